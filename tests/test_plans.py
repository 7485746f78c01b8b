"""Plans: structure, versions and diffs, concurrent edits, progress with evidence, who may write what."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tamasuk.plans import services
from tamasuk.plans.diff import diff
from tamasuk.plans.models import PlanStatus, ReviewStatus


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


# ---- the pages, as users use them ----

def _url(name, *args):
    from django.urls import reverse

    return reverse(name, args=args)


def test_a_coordinator_writes_a_plan_through_the_pages(client_for, city, framework):
    c = client_for("coordinator")
    r = c.post(_url("plans:plans", city.slug), {"title": "Written in the browser", "start_year": 2025,
                                                "end_year": 2027, "framework": framework.pk, "currency": "kes",
                                                "visibility": "network"})
    assert r.status_code == 302
    from tamasuk.plans.models import Plan

    plan = Plan.objects.get(title="Written in the browser")
    assert plan.currency == "KES" and plan.status == "draft"
    assert c.post(_url("plans:new_item", city.slug, plan.pk, "pillar"), {"code": "1", "title": "Trust"}).status_code == 302
    pillar = plan.pillars.get()
    assert c.post(_url("plans:new_item", city.slug, plan.pk, "objective"),
                  {"pillar": pillar.pk, "code": "1.1", "title": "Police and youth meet"}).status_code == 302
    objective = plan.objectives.get()
    lead = city.organisations.first()
    r = c.post(_url("plans:new_item", city.slug, plan.pk, "activity"), {
        "objective": objective.pk, "code": "1.1.1", "title": "Weapons amnesty", "lead": lead.pk,
        "start": "2025-03-01", "end": "2025-02-01", "status": "planned",
        "national_pillars": [framework.pillars.get(code="N2").pk]})
    assert r.status_code == 200 and "The end comes before the start." in r.content.decode()
    r = c.post(_url("plans:new_item", city.slug, plan.pk, "activity"), {
        "objective": objective.pk, "code": "1.1.1", "title": "Weapons amnesty", "lead": lead.pk, "budget": "250000",
        "start": "2025-03-01", "end": "2025-12-31", "status": "planned",
        "national_pillars": [framework.pillars.get(code="N2").pk]})
    assert r.status_code == 302
    activity = plan.activities.get()
    r = c.post(_url("plans:new_item", city.slug, plan.pk, "indicator"), {
        "code": "I1", "name": "Weapons handed in", "unit": "weapons", "kind": "output",
        "attached_to": f"activity:{activity.pk}", "baseline_value": "0", "baseline_date": "2024-12-31",
        "target_2025": "40", "target_2026": "60", "higher_is_better": "on"})
    assert r.status_code == 302
    indicator = plan.indicators.get()
    assert {t.year: t.value for t in indicator.targets.all()} == {2025: 40, 2026: 60}
    assert indicator.activity == activity
    page = c.get(_url("plans:plan", city.slug, plan.pk)).content.decode()
    assert "Weapons amnesty" in page and "250,000" in page and "N2" in page
    token = c.get(_url("plans:plan", city.slug, plan.pk)).context["structure_token"]
    assert c.post(_url("plans:adopt", city.slug, plan.pk), {"version": plan.version, "structure": token}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "adopted" and plan.versions.get().number == 1


def test_two_people_editing_the_same_activity_the_second_sees_the_conflict(client_for, city, draft):
    mine = draft["mine"]
    url = _url("plans:edit_item", city.slug, draft["plan"].pk, "activity", mine.pk)
    first, second = client_for("coordinator"), client_for("admin")
    # Both open the form at the same version.
    assert first.get(url).status_code == 200 and second.get(url).status_code == 200
    base = {"objective": draft["objective"].pk, "code": mine.code, "lead": mine.lead_id, "start": "2024-01-01",
            "end": "2025-12-31", "status": "planned", "version": mine.version}
    assert first.post(url, {**base, "title": "Mentoring for 200", "budget": "120000"}).status_code == 302
    r = second.post(url, {**base, "title": "Mentoring in two wards", "budget": "100000"})
    page = r.content.decode()
    assert r.status_code == 200 and "Someone else saved this while you were editing" in page
    assert "Mentoring for 200" in page and "Mentoring in two wards" in page  # theirs beside mine
    mine.refresh_from_db()
    assert mine.title == "Mentoring for 200"  # nothing overwritten
    # Saving again from the conflict page is a conscious overwrite at the new version.
    version = r.context["form"].data["version"]
    assert second.post(url, {**base, "version": version, "title": "Mentoring in two wards",
                             "budget": "120000"}).status_code == 302
    mine.refresh_from_db()
    assert mine.title == "Mentoring in two wards"


def test_a_focal_point_reports_on_its_own_activity_only(client_for, city, draft, users, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    plan = draft["plan"]
    services.adopt_plan(actor=users["coordinator"], plan=plan)
    member = client_for("member")
    own = _url("plans:record_progress", city.slug, plan.pk, draft["mine"].pk)
    other = _url("plans:record_progress", city.slug, plan.pk, draft["theirs"].pk)
    assert member.get(other).status_code == 403
    assert member.post(other, {"period": "2024-Q1", "status": "late", "narrative": "x"}).status_code == 403
    sheet = SimpleUploadedFile("attendance.csv", b"date,attended\n2024-02-01,14\n", content_type="text/csv")
    r = member.post(own, {"period": "2024-Q1", "status": "at_risk", "narrative": "Fewer mentors than planned",
                          "spent": "15000", "evidence": [sheet]})
    assert r.status_code == 302, r.content.decode()[:2000]
    update = draft["mine"].progress.get()
    assert (update.status, update.spent, update.evidence.get().name) == ("at_risk", 15000, "attendance.csv")
    evidence_url = _url("plans:evidence", city.slug, update.evidence.get().pk)
    assert b"".join(member.get(evidence_url).streaming_content) == b"date,attended\n2024-02-01,14\n"
    assert client_for("auditor").get(evidence_url).status_code == 200
    plan.visibility = "national"
    plan.save()
    assert client_for("national").get(evidence_url).status_code == 403
    # A renamed executable is refused with the file's name, and nothing is recorded.
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00", content_type="image/png")
    r = member.post(own, {"period": "2024-Q2", "status": "on_track", "narrative": "ok", "evidence": [fake]})
    assert r.status_code == 200 and "photo.png" in r.content.decode()
    assert not draft["mine"].progress.filter(period="2024-Q2").exists()


def test_outside_the_city_team_small_counts_of_people_are_hidden(client_for, city, draft, users):
    plan = draft["plan"]
    services.adopt_plan(actor=users["coordinator"], plan=plan)
    c = client_for("coordinator")
    url = _url("plans:actuals", city.slug, plan.pk, draft["indicator"].pk)
    seen = c.get(url + "?year=2024").context["form"].initial["seen"]
    assert c.post(url, {"year": 2024, "seen": seen, "total": "3", "cell_0_sex": "f", "cell_0_value": "2",
                        "cell_1_sex": "m", "cell_1_value": "1"}).status_code == 302
    assert draft["indicator"].actuals.count() == 3
    plan.visibility = "national"
    plan.save()
    plan_url = _url("plans:plan", city.slug, plan.pk)
    assert "&lt;5" in client_for("national").get(plan_url).content.decode()
    assert "&lt;5" not in c.get(plan_url).content.decode()


SETUP = """
import django, datetime as dt; django.setup()
from tamasuk.cities import services as cities
from tamasuk.network.directory.services import create_organisation
from tamasuk.plans import services
city = cities.create_city(actor="setup", name="Racetown", slug="race", country="KEN", languages=["en"])
org = create_organisation(actor="setup", city=city, name="Youth group", type="youth")
plan = services.create_plan(actor="setup", city=city, title="Race plan", start_year=2025, end_year=2026)
pillar = services.add_pillar(actor="setup", plan=plan, code="1", title="P")
objective = services.add_objective(actor="setup", pillar=pillar, code="1.1", title="O")
a = services.add_activity(actor="setup", objective=objective, code="1.1.1", title="Original", lead=org,
                          start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
print(a.pk)
"""

EDITOR = """
import django, sys, time; django.setup()
from tamasuk.plans import services
from tamasuk.plans.models import Activity
a = Activity.objects.get(pk=int(sys.argv[1]))
seen = a.version                      # both editors open the form at the same version
print("ready", flush=True)
sys.stdin.readline()                  # and press save at the same moment, when the test says go
try:
    services.update_item(actor=sys.argv[2], item=a, expected_version=seen, title="Saved by " + sys.argv[2])
    print("saved")
except services.StaleEdit as stale:
    print("stale", stale.current["title"])
"""


def test_two_concurrent_editors_in_separate_processes_one_wins_the_other_is_told(fresh_database):
    """Two real processes save the same activity at the same instant: one write lands, the other is refused
    with what the winner saved; nothing is silently overwritten (SQLite and PostgreSQL alike)."""
    import subprocess
    import sys

    env = {**fresh_database.env, "DJANGO_SETTINGS_MODULE": "tamasuk.settings"}
    pk = subprocess.run([sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, check=True,
                        timeout=120).stdout.strip().splitlines()[-1]
    procs = {name: subprocess.Popen([sys.executable, "-c", EDITOR, pk, name], env=env, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("amina", "baraka")}
    # A barrier, not a clock: on a busy machine one editor may take seconds longer to start, and would then open
    # the form after the other had saved.
    for p in procs.values():
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    for p in procs.values():
        p.stdin.write("go\n")
        p.stdin.flush()
    out = {}
    for name, p in procs.items():
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
        out[name] = stdout.strip().splitlines()[-1]
    assert sorted(o.split()[0] for o in out.values()) == ["saved", "stale"], out
    winner = next(n for n, o in out.items() if o == "saved")
    loser = next(n for n, o in out.items() if o != "saved")
    assert out[loser] == f"stale Saved by {winner}"
    check = ("import django; django.setup()\nfrom tamasuk.plans.models import Activity\n"
             f"print(Activity.objects.get(pk={pk}).title)")
    title = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True,
                           timeout=60).stdout.strip()
    assert title == f"Saved by {winner}"


def test_the_demo_city_can_be_reset_with_its_plan(fresh_database):
    """`tamasuk demo --reset` removes the whole demo city (plans, reviews, forums, allocations) and loads it again."""
    fresh_database.tamasuk("demo")
    fresh_database.tamasuk("demo", "--reset")
    import subprocess
    import sys

    check = ("import django; django.setup()\nfrom tamasuk.plans.models import Plan\n"
             "from tamasuk.audit.queries import verify_chain\n"
             "p = Plan.objects.get(city__slug='mombasa')\nprint(Plan.objects.count(), p.adopted_version, "
             "verify_chain().ok)")
    env = {**fresh_database.env, "DJANGO_SETTINGS_MODULE": "tamasuk.settings"}
    out = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True,
                         timeout=120).stdout.split()
    assert out == ["1", "2", "True"]


def test_removing_items_of_a_draft_and_keeping_history(draft, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    coordinator = users["coordinator"]
    services.remove_item(actor=coordinator, item=draft["indicator"])
    services.remove_item(actor=coordinator, item=draft["theirs"])
    extra = services.add_pillar(actor=coordinator, plan=draft["plan"], code="9", title="Spare")
    services.remove_item(actor=coordinator, item=extra)
    plan = draft["plan"]
    assert list(plan.activities.values_list("code", flat=True)) == ["1.1.1"]
    services.adopt_plan(actor=coordinator, plan=plan)
    services.record_progress(actor=coordinator, activity=draft["mine"], period="2024-Q1", status="on_track",
                             narrative="Started")
    services.open_review(actor=coordinator, plan=plan, title="R", period="2024")
    # An objective or pillar whose activity has progress stays: cancel the activity instead.
    for item in (draft["mine"], draft["objective"], draft["pillar"]):
        with pytest.raises(ValidationError, match="cancelled instead"):
            services.remove_item(actor=coordinator, item=item)


def test_a_focal_point_changes_how_its_activity_runs_not_its_design(client_for, city, draft):
    mine = draft["mine"]
    url = _url("plans:edit_item", city.slug, draft["plan"].pk, "activity", mine.pk)
    member = client_for("member")
    form = member.get(url).context["form"]
    assert set(form.fields) == {"version", "description", "partners", "start", "end", "status"}
    r = member.post(url, {"version": mine.version, "description": "Two cohorts", "start": "2024-02-01",
                          "end": "2025-12-31", "status": "ongoing", "budget": "1", "lead": city.organisations.last().pk})
    assert r.status_code == 302
    mine.refresh_from_db()
    assert (mine.description, mine.status, mine.budget, mine.lead) == (
        "Two cohorts", "ongoing", Decimal("100000"), draft["mine"].lead)


def test_progress_moves_the_activity_from_planned_to_ongoing_to_completed(draft, users):
    coordinator, theirs = users["coordinator"], draft["theirs"]
    services.adopt_plan(actor=coordinator, plan=draft["plan"])
    assert theirs.status == "planned"
    services.record_progress(actor=coordinator, activity=theirs, period="2024-Q1", status="not_started",
                             narrative="Waiting for funds")
    theirs.refresh_from_db()
    assert theirs.status == "planned"
    services.record_progress(actor=coordinator, activity=theirs, period="2024-Q2", status="late", narrative="Begun")
    theirs.refresh_from_db()
    assert theirs.status == "ongoing"
    services.record_progress(actor=coordinator, activity=theirs, period="2024-Q3", status="completed",
                             narrative="Done")
    theirs.refresh_from_db()
    assert theirs.status == "completed"


def test_a_small_baseline_of_people_never_leaves_the_city_team(client_for, city, draft, users):
    """Pages, the API and the diff between versions all hide a count of people below k outside the city team."""
    coordinator, plan, indicator = users["coordinator"], draft["plan"], draft["indicator"]
    indicator.refresh_from_db()
    services.update_item(actor=coordinator, item=indicator, expected_version=indicator.version,
                         baseline_value=Decimal(3))
    services.update_plan(actor=coordinator, plan=plan, visibility="national")
    services.adopt_plan(actor=coordinator, plan=plan)
    review = services.open_review(actor=coordinator, plan=plan, title="R", period="2024")
    indicator.refresh_from_db()
    services.update_item(actor=coordinator, item=indicator, expected_version=indicator.version,
                         baseline_value=Decimal(2))
    plan_url = _url("plans:plan", city.slug, plan.pk)
    api_url = f"/api/v1/cities/{city.slug}/plans/{plan.pk}"
    diff_url = _url("plans:diff", city.slug, plan.pk) + "?from=1&to=current"
    review_url = _url("plans:review", city.slug, review.pk)
    for role in ("national", "member"):
        c = client_for(role)
        page = c.get(plan_url).content.decode()
        assert "&lt;5" in page
        data = c.get(api_url).json()
        assert data["indicators"][0]["baseline"] == "<5"
        assert all(i["baseline_value"] in ("<5", None) or i["code"] != "I1" for i in data["structure"]["indicators"])
        for url in (diff_url, review_url):
            # 3 → 2 is "<5" → "<5" to them: no change to show at all.
            assert "aseline" not in c.get(url).content.decode()
    team = client_for("coordinator")
    assert team.get(api_url).json()["indicators"][0]["baseline"] == "2"
    assert all("aseline" in team.get(url).content.decode() for url in (diff_url, review_url))


def test_removing_an_activity_never_takes_recorded_values_with_it(draft, users):
    coordinator = users["coordinator"]
    services.adopt_plan(actor=coordinator, plan=draft["plan"])
    services.record_actuals(actor=coordinator, indicator=draft["trust"], year=2024,
                            values=[services.ActualInput(Decimal("33"))])
    services.open_review(actor=coordinator, plan=draft["plan"], title="R", period="2024")
    for item in (draft["objective"], draft["pillar"], draft["trust"]):
        with pytest.raises(ValidationError, match="recorded values"):
            services.remove_item(actor=coordinator, item=item)
    assert draft["trust"].actuals.count() == 1


def test_a_plan_in_force_keeps_its_years_and_national_alignment(draft, users, framework):
    coordinator, plan = users["coordinator"], draft["plan"]
    other = services.create_framework(actor="test", country="KEN", name="NAP 2030", start_year=2030, end_year=2035)
    with pytest.raises(ValidationError, match="national pillars|national action plan"):
        services.update_plan(actor=coordinator, plan=plan, framework=other)
    services.adopt_plan(actor=coordinator, plan=plan)
    plan.refresh_from_db()
    with pytest.raises(ValidationError, match="draft or under review"):
        services.update_plan(actor=coordinator, plan=plan, end_year=2030)
    services.open_review(actor=coordinator, plan=plan, title="R", period="2024")
    plan.refresh_from_db()
    with pytest.raises(ValidationError, match="outside 2025–2026"):
        services.update_plan(actor=coordinator, plan=plan, start_year=2025)  # the 2024 target would fall outside
    services.update_plan(actor=coordinator, plan=plan, end_year=2027, visibility="national")
    plan.refresh_from_db()
    assert (plan.end_year, plan.visibility) == (2027, "national")


def test_two_people_reporting_the_same_new_quarter_the_second_is_told(client_for, city, draft, users):
    plan, mine = draft["plan"], draft["mine"]
    services.adopt_plan(actor=users["coordinator"], plan=plan)
    url = _url("plans:record_progress", city.slug, plan.pk, mine.pk)
    first, second = client_for("coordinator"), client_for("member")
    form = {"period": "2024-Q1", "status": "on_track", "version": "", "opened_period": ""}
    assert first.post(url, {**form, "narrative": "Coordinator's account"}).status_code == 302
    r = second.post(url, {**form, "status": "late", "narrative": "Member's account"})
    assert r.status_code == 200 and "Someone else saved this while you were editing" in r.content.decode()
    assert mine.progress.get().narrative == "Coordinator's account"
    # Saving again from the conflict page corrects that quarter, knowingly.
    again = {k: v for k, v in r.context["form"].data.items() if k != "csrfmiddlewaretoken"}
    assert second.post(url, {**again, "narrative": "Both accounts"}).status_code == 302
    assert mine.progress.get().narrative == "Both accounts"
    # A correction of 2024-Q1 cannot be turned into a report for another quarter with Q1's version.
    update = mine.progress.get()
    r = second.post(url, {"period": "2024-Q2", "status": "on_track", "narrative": "x", "version": update.version,
                          "opened_period": "2024-Q1"})
    assert r.status_code == 200 and "This form corrects 2024-Q1" in r.content.decode()
    assert not mine.progress.filter(period="2024-Q2").exists()


def test_indicator_values_keep_their_cells_and_are_not_overwritten_unseen(client_for, city, draft, users):
    plan, indicator = draft["plan"], draft["indicator"]
    services.adopt_plan(actor=users["coordinator"], plan=plan)
    services.record_actuals(actor=users["coordinator"], indicator=indicator, year=2024, values=[
        services.ActualInput(Decimal(40)), services.ActualInput(Decimal(25), sex="f"),
        services.ActualInput(Decimal(15), sex="m"), services.ActualInput(Decimal(9), sex="f", age_band="15-24")])
    url = _url("plans:actuals", city.slug, plan.pk, indicator.pk) + "?year=2024"
    member, coordinator = client_for("member"), client_for("coordinator")
    opened = member.get(url).context["form"]
    assert opened.initial["total"] == "40"
    cells = {tuple(opened.initial.get(f"cell_{n}_{d}", "") for d in ("sex", "age_band")):
             opened.initial.get(f"cell_{n}_value") for n in opened.rows if opened.initial.get(f"cell_{n}_value")}
    assert cells == {("f", ""): "25", ("m", ""): "15", ("f", "15-24"): "9"}
    # The member corrects the total only: everything else the form holds is posted back as it was.
    data = {k: ("" if v is None else v) for k, v in opened.initial.items()}
    data["total"] = "41"
    # Meanwhile the coordinator records the year anew.
    coordinator_form = coordinator.get(url).context["form"]
    assert coordinator.post(url, {"year": 2024, "seen": coordinator_form.initial["seen"], "total": "50"}).status_code == 302
    r = member.post(url, data)
    assert r.status_code == 200 and "Someone else recorded values for this year" in r.content.decode()
    assert [(a.sex, a.value) for a in indicator.actuals.filter(year=2024)] == [("", 50)]
    # Saving again, knowingly, replaces theirs with the member's whole year, cells included.
    again = {k: v for k, v in r.context["form"].data.items() if k != "csrfmiddlewaretoken"}
    assert member.post(url, again).status_code == 302
    assert indicator.actuals.filter(year=2024).count() == 4
    assert indicator.actuals.get(year=2024, sex="", age_band="").value == 41
    # Nonsense in the address never breaks the page.
    assert member.get(_url("plans:actuals", city.slug, plan.pk, indicator.pk) + "?year=²").status_code == 200


def test_deciding_pages_freeze_only_what_the_person_saw(client_for, city, draft, users):
    """Adopting, or finishing a review, refuses when the plan or review changed after the page was opened; an
    editing form without its version is refused, never saved blind."""
    c, plan = client_for("coordinator"), draft["plan"]
    plan_url = _url("plans:plan", city.slug, plan.pk)
    seen = c.get(plan_url).context["structure_token"]
    services.add_pillar(actor=users["admin"], plan=plan, code="2", title="Added by someone else meanwhile")
    r = c.post(_url("plans:adopt", city.slug, plan.pk), {"version": plan.version, "structure": seen}, follow=True)
    assert "The plan changed since you opened this page" in r.content.decode()
    plan.refresh_from_db()
    assert plan.status == "draft"
    # An edit form posted without its version is refused.
    pillar = draft["pillar"]
    r = c.post(_url("plans:edit_item", city.slug, plan.pk, "pillar", pillar.pk), {"code": "1", "title": "Blind"})
    assert r.status_code == 200 and "This form is out of date" in r.content.decode()
    pillar.refresh_from_db()
    assert pillar.title == "Youth"
    # Nonsense in the address never breaks a page.
    assert c.get(_url("plans:new_item", city.slug, plan.pk, "objective") + "?pillar=abc").status_code == 200
    assert c.get(_url("plans:new_item", city.slug, plan.pk, "activity") + "?objective=1x").status_code == 200
    # A review is adopted only as it was read.
    r = c.post(_url("plans:adopt", city.slug, plan.pk), {"version": plan.version,
                                                         "structure": c.get(plan_url).context["structure_token"]},
               follow=True)
    assert "version 1 is in force" in r.content.decode(), [str(m) for m in r.context["messages"]]
    plan.refresh_from_db()
    review = services.open_review(actor=users["coordinator"], plan=plan, title="R", period="2024")
    services.add_pillar(actor=users["coordinator"], plan=plan, code="3", title="Third")
    page = c.get(_url("plans:review", city.slug, review.pk))
    token, version = page.context["structure_token"], review.version
    services.update_review(actor=users["admin"], review=review, decisions="Add a third pillar.")
    r = c.post(_url("plans:adopt_review", city.slug, review.pk), {"version": version, "structure": token},
               follow=True)
    assert "Someone changed the review meanwhile" in r.content.decode()
    review.refresh_from_db()
    assert review.status == "open"
    r = c.post(_url("plans:adopt_review", city.slug, review.pk), {"version": review.version, "structure": token})
    review.refresh_from_db()
    assert review.status == "adopted"


def test_the_plan_api_keeps_whole_numbers_whole_and_small_counts_hidden(city, client_for):
    """Whole numbers stay whole ("30", never "3E+1"); outside the city team no count of people from 1 to k-1."""
    from django.urls import reverse

    from tamasuk.plans.models import Plan, Target

    plan = Plan.objects.filter(city=city).first()
    target = Target.objects.filter(indicator__plan=plan).select_related("indicator").first()
    target.value = Decimal(30)
    target.save(update_fields=["value"])
    for role in ("coordinator", "national"):
        data = client_for(role).get(reverse("api-1:get_plan", args=["mombasa", plan.pk])).json()
        row = next(i for i in data["indicators"] if i["code"] == target.indicator.code)
        assert next(v for v in row["values"] if v["year"] == target.year)["target"] == "30"
        if role == "national":
            shown = [v["actual"] for i in data["indicators"] if i["counts_people"] for v in i["values"]]
            assert not any(v is not None and not v.startswith("<") and 0 < Decimal(v) < 5 for v in shown)


def test_an_empty_draft_cannot_be_adopted_and_the_error_names_what_is_missing(city, users, client_for):
    coordinator = users["coordinator"]
    plan = services.create_plan(actor=coordinator, city=city, title="Empty", start_year=2025, end_year=2027)
    with pytest.raises(ValidationError) as empty:
        services.adopt_plan(actor=coordinator, plan=plan)
    text = " ".join(empty.value.messages)
    assert "a pillar" in text and "an objective" in text and "an activity" in text
    pillar = services.add_pillar(actor=coordinator, plan=plan, code="1", title="Youth")
    services.add_objective(actor=coordinator, pillar=pillar, code="1.1", title="Jobs")
    with pytest.raises(ValidationError) as no_activity:
        services.adopt_plan(actor=coordinator, plan=plan)
    text = " ".join(no_activity.value.messages)
    assert "an activity" in text and "a pillar" not in text and "an objective" not in text
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and not plan.versions.exists()
    # the page says the same, and the plan stays a draft
    c = client_for("coordinator")
    token = c.get(_url("plans:plan", city.slug, plan.pk)).context["structure_token"]
    response = c.post(_url("plans:adopt", city.slug, plan.pk), {"version": plan.version, "structure": token},
                      follow=True)
    assert "it needs at least an activity" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
