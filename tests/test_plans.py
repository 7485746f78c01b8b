"""Plans: structure, versions and diffs, concurrent edits, progress with evidence, who may write what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tamasuk.plans import services
from tamasuk.plans.diff import diff
from tamasuk.plans.models import PlanStatus, ReviewStatus


@pytest.fixture
def framework(db):
    return services.create_framework(actor="test", country="KEN", name="NAP test", start_year=2024, end_year=2028,
                                     pillars=[("N1", "Prevention"), ("N2", "Policing"), ("N3", "Rehabilitation")])


@pytest.fixture
def draft(db, city, users, framework):
    """A small draft plan: one pillar, one objective, two activities (one led by the member's organisation)."""
    coordinator = users["coordinator"]
    member_org = users["member"].organisations.get()
    other_org = city.organisations.exclude(pk=member_org.pk).first()
    plan = services.create_plan(actor=coordinator, city=city, title="Test plan", start_year=2024, end_year=2026,
                                framework=framework, currency="KES")
    pillar = services.add_pillar(actor=coordinator, plan=plan, code="1", title="Youth")
    objective = services.add_objective(actor=coordinator, pillar=pillar, code="1.1", title="Youth jobs")
    mine = services.add_activity(actor=coordinator, objective=objective, code="1.1.1", title="Mentoring",
                                 lead=member_org, start=dt.date(2024, 1, 1), end=dt.date(2025, 12, 31),
                                 budget=Decimal("100000"), national_pillars=list(framework.pillars.filter(code="N1")),
                                 areas=list(city.areas.filter(level=2)[:2]))
    theirs = services.add_activity(actor=coordinator, objective=objective, code="1.1.2", title="Amnesty",
                                   lead=other_org, start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30))
    indicator = services.add_indicator(actor=coordinator, plan=plan, activity=mine, code="I1",
                                       name="Young people mentored", unit="people", counts_people=True,
                                       baseline_value=Decimal(0), baseline_date=dt.date(2023, 12, 31),
                                       targets={2024: 50, 2025: 120}, disaggregation=["sex"])
    return {"plan": plan, "pillar": pillar, "objective": objective, "mine": mine, "theirs": theirs,
            "indicator": indicator}


def test_adopting_freezes_version_one_and_locks_the_structure(draft, users):
    plan = draft["plan"]
    version = services.adopt_plan(actor=users["coordinator"], plan=plan)
    plan.refresh_from_db()
    assert (version.number, plan.status, plan.adopted_version) == (1, PlanStatus.ADOPTED, 1)
    codes = [a["code"] for p in version.snapshot["structure"]["pillars"] for o in p["objectives"]
             for a in o["activities"]]
    assert codes == ["1.1.1", "1.1.2"]
    with pytest.raises(ValidationError):
        services.add_pillar(actor=users["coordinator"], plan=plan, code="2", title="Late addition")


def test_a_review_produces_version_two_and_the_diff_says_what_changed(draft, users):
    coordinator, plan = users["coordinator"], draft["plan"]
    services.adopt_plan(actor=coordinator, plan=plan)
    review = services.open_review(actor=coordinator, plan=plan, title="Review 2024", period="2024")
    mine = draft["mine"]
    mine.refresh_from_db()
    services.update_item(actor=coordinator, item=mine, expected_version=mine.version, budget=Decimal("150000"))
    services.add_pillar(actor=coordinator, plan=plan, code="2", title="Basic needs")
    services.update_review(actor=coordinator, review=review, decisions="Scale up mentoring; add basic needs.")
    v2 = services.adopt_review(actor=coordinator, review=review)
    plan.refresh_from_db()
    review.refresh_from_db()
    assert (v2.number, plan.status, review.status) == (2, PlanStatus.REVISED, ReviewStatus.ADOPTED)
    assert v2.reason == "Scale up mentoring; add basic needs."
    v1 = plan.versions.get(number=1)
    changes = diff(v1.snapshot["structure"], v2.snapshot["structure"])
    summary = {(c.kind, c.item_type, c.code): [(f.field, f.before, f.after) for f in c.fields] for c in changes}
    assert summary == {("changed", "activity", "1.1.1"): [("budget", "100000", "150000")],
                       ("added", "pillar", "2"): []}


def test_a_stale_edit_is_refused_and_shows_what_the_other_person_saved(draft, users):
    mine = draft["mine"]
    seen = mine.version
    services.update_item(actor=users["coordinator"], item=mine, expected_version=seen, title="Mentoring (first)")
    stale = type(mine).objects.get(pk=mine.pk)
    with pytest.raises(services.StaleEdit) as caught:
        services.update_item(actor=users["admin"], item=stale, expected_version=seen, title="Mentoring (second)")
    assert caught.value.current["title"] == "Mentoring (first)"
    assert caught.value.by == "coordinator"
    stale.refresh_from_db()
    assert stale.title == "Mentoring (first)"


def test_progress_with_evidence_is_recorded_whole_or_not_at_all(draft, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plan = draft["plan"]
    services.adopt_plan(actor=users["coordinator"], plan=plan)
    good = services.EvidenceInput(name="attendance.csv", data=b"date,attended\n2024-02-01,14\n")
    bad = services.EvidenceInput(name="photo.png", data=b"MZ not a png")
    with pytest.raises(ValidationError, match="photo.png"):
        services.record_progress(actor=users["member"], activity=draft["mine"], period="2024-Q1",
                                 status="on_track", narrative="Started", evidence=[good, bad])
    assert not draft["mine"].progress.exists()
    update = services.record_progress(actor=users["member"], activity=draft["mine"], period="2024-Q1",
                                      status="on_track", narrative="Started", spent=Decimal("20000"),
                                      evidence=[good])
    stored = update.evidence.get()
    assert stored.file.read() == good.data and stored.size == len(good.data)
