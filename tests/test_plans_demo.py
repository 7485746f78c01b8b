"""The demo city's Local Action Plan: adopted last January, reviewed once, progress up to the last completed quarter
(with two quarters honestly missing), all of it audited, and every figure its texts quote the same as on its pages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from tamasuk.audit.queries import verify_chain
from tamasuk.plans.diff import diff
from tamasuk.plans.models import Plan, PlanStatus, ProgressStatus, ProgressUpdate, ReviewStatus


@pytest.fixture
def plan(city):
    return Plan.objects.get(city=city, title="Mombasa County Action Plan (demo)")


def test_the_demo_plan_is_aligned_with_the_national_strategy_and_shared_nationally(plan):
    first = dt.date.today().year - 1
    assert (plan.start_year, plan.end_year, plan.currency, plan.visibility) == (first, first + 4, "KES", "national")
    assert plan.framework.country == "KEN"
    assert [p.code for p in plan.framework.pillars.all()] == [f"N{k}" for k in range(1, 10)]
    assert plan.pillars.count() == 4 and plan.objectives.count() == 8
    titles = " ".join(plan.activities.values_list("title", flat=True)).lower()
    for needed in ("weapons amnesty", "youth reform", "basic-needs", "young entrepreneurs"):
        assert needed in titles


def test_it_was_revised_to_version_two_by_its_annual_review(plan):
    first = plan.start_year
    assert (plan.status, plan.adopted_version) == (PlanStatus.REVISED, 2)
    v1, v2 = plan.versions.order_by("number")
    review = plan.reviews.get()
    assert (review.title, review.status) == (f"Annual review {first}", ReviewStatus.ADOPTED)
    assert v2.review == review and v2.reason == review.decisions and review.findings and review.recommendations
    assert v1.adopted_at.date() == dt.date(first, 1, 15) and v1.adopted_at < review.opened_at < v2.adopted_at


def test_the_diff_from_version_one_shows_the_added_activity_the_budget_and_the_target(plan):
    v1, v2 = plan.versions.order_by("number")
    changes = diff(v1.snapshot["structure"], v2.snapshot["structure"])
    added = [(c.item_type, c.code, c.title) for c in changes if c.kind == "added"]
    assert added == [("activity", "4.2.2", "Women-led mediation pilot")]
    fields = {(c.item_type, c.code, f.field): (f.before, f.after) for c in changes for f in c.fields}
    assert fields[("activity", "2.1.1", "budget")] == ("12000000", "15500000")
    before, after = fields[("indicator", "I6", "targets")]
    assert (before[str(plan.start_year + 1)], after[str(plan.start_year + 1)]) == ("150", "200")


def _last_completed_quarter(today: dt.date) -> tuple[int, int]:
    return (today.year, (today.month - 1) // 3) if today.month > 3 else (today.year - 1, 4)


def test_quarterly_progress_up_to_the_last_completed_quarter_with_evidence(plan):
    first = plan.start_year
    last_year, last_q = _last_completed_quarter(dt.date.today())
    updates = ProgressUpdate.objects.filter(activity__plan=plan)
    assert sorted(set(updates.values_list("period", flat=True))) == [
        f"{y}-Q{q}" for y in range(first, last_year + 1) for q in range(1, 5) if (y, q) <= (last_year, last_q)]
    statuses = set(updates.values_list("status", flat=True))
    assert {ProgressStatus.ON_TRACK, ProgressStatus.AT_RISK, ProgressStatus.LATE, ProgressStatus.COMPLETED} <= statuses
    # Updates are dated after the quarter they report, all in the past.
    for u in updates:
        year, quarter = int(u.period[:4]), int(u.period[-1])
        assert u.created_at.date() > dt.date(year, 3 * quarter, 28) and u.created_at.date() <= dt.date.today()
    kinds = {e.content_type for u in updates for e in u.evidence.all()}
    assert {"text/csv", "text/plain", "image/png"} <= kinds
    png = next(e for u in updates for e in u.evidence.all() if e.content_type == "image/png")
    with png.file.open("rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_two_activities_honestly_miss_a_quarter(plan):
    """Not every focal point reports every quarter: the demo has gaps for a completeness view to show."""
    last_year, last_q = _last_completed_quarter(dt.date.today())
    gaps = {}
    for activity in plan.activities.exclude(status="completed"):
        reported = set(activity.progress.values_list("period", flat=True))
        due = [f"{y}-Q{q}" for y in range(activity.start.year, last_year + 1) for q in range(1, 5)
               if (y, q) <= (last_year, last_q) and dt.date(y, 3 * q - 2, 1) <= activity.end
               and dt.date(y, 3 * q, 28) >= activity.start]
        if missing := [p for p in due if p not in reported]:
            gaps[activity.code] = missing
    assert set(gaps) == {"2.2.1", "4.2.1"}, gaps
    assert gaps["2.2.1"] == [f"{last_year}-Q{last_q}"] and gaps["4.2.1"] == [f"{plan.start_year}-Q3"]


def test_indicators_have_targets_every_year_and_actuals_for_every_year_that_ended(plan):
    years = set(range(plan.start_year, plan.end_year + 1))
    ended = set(range(plan.start_year, dt.date.today().year))
    indicators = list(plan.indicators.all())
    assert len(indicators) >= 8
    assert any(i.mapping_indicator and i.mapping_indicator.code == "trust-in-police" for i in indicators)
    for i in indicators:
        assert {t.year for t in i.targets.all()} == years
        assert i.baseline_value is not None and i.baseline_date is not None
        assert {a.year for a in i.actuals.all() if a.is_total} == ended
    people = [i for i in indicators if i.counts_people]
    assert people and all(i.disaggregation == ["sex", "age_band"] for i in people)
    cells = [a for i in people for a in i.actuals.all() if not a.is_total]
    assert any(a.value < 5 for a in cells), "some cells are small, so suppression has something to hide"
    for i in people:  # the cells add up to the total
        for year in ended:
            rows = [a for a in i.actuals.all() if a.year == year]
            assert sum(a.value for a in rows if not a.is_total) == next(a.value for a in rows if a.is_total)


def _figures(text: str) -> set[Decimal]:
    """The figures a text quotes: not codes of things (activity 2.1.1, indicator I6, 2025-Q3) nor list numbers."""
    text = re.sub(r"(?m)^\d+\.\s", " ", text)
    text = re.sub(r"\b\d+(?:\.\d+){2,}\b|\b[INQ]\d+\b|-Q\d\b", " ", text)
    return {Decimal(m.replace(",", "")) for m in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def test_every_figure_in_the_review_and_the_progress_notes_is_what_the_plan_pages_show(plan, client_for):
    """The demo once said 187 weapons in its review and 54 on its dashboard: its texts now quote its data."""
    coordinator = client_for("coordinator")
    slug = plan.city.slug
    dashboard = coordinator.get(f"/c/{slug}/plans/{plan.pk}/dashboard/").content.decode()
    pages = dashboard + coordinator.get(f"/c/{slug}/plans/{plan.pk}/").content.decode() + coordinator.get(
        f"/c/{slug}/plans/{plan.pk}/diff/", {"from": 1, "to": 2}).content.decode()
    shown = _figures(re.sub(r"<[^>]+>", " ", pages).replace("\u00a0", " "))
    review = plan.reviews.get()
    texts = [review.findings, review.decisions, review.recommendations,
             *ProgressUpdate.objects.filter(activity__plan=plan).values_list("narrative", flat=True)]
    quoted = set().union(*(_figures(t) for t in texts))
    assert quoted, "the review and the notes quote the plan's figures"
    assert quoted <= shown, f"figures in the texts that no plan page shows: {sorted(quoted - shown)}"
    # The amnesty's closing note and the review quote the dashboard's own value for weapons surrendered.
    row = re.search(r'<tr data-indicator="I2">(.*?)</tr>', dashboard, re.S).group(1)
    value = int(re.search(r'data-label="Value">([^<]+)<', row).group(1).replace(",", ""))
    closing = ProgressUpdate.objects.get(activity__plan=plan, activity__code="1.2.1", status=ProgressStatus.COMPLETED)
    assert f"{value:,} weapons" in closing.narrative and f"{value:,} weapons" in review.findings


def test_the_member_focal_point_leads_the_first_activity(plan, users):
    first = plan.activities.order_by("pk").first()
    assert first.code == "1.1.1"
    assert first.lead == users["member"].organisations.get()
    assert plan.activities.exclude(lead=first.lead).exists()


def test_the_demo_plan_is_in_the_audit_chain_and_the_chain_verifies(plan):
    from tamasuk.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="plan.version.adopt", city_id_ref=plan.city_id).count() == 2
    assert AuditEvent.objects.filter(action="plan.progress.record", city_id_ref=plan.city_id).count() == \
        ProgressUpdate.objects.filter(activity__plan=plan).count()
    assert verify_chain().ok
