"""The plan's monitoring dashboard: statuses by pillar and by area, indicators against targets, budget, and what a
reader outside the city team may see."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.urls import reverse

from tamasuk.plans import dashboard, services
from tamasuk.plans.services import ActualInput

TODAY = dt.date(2025, 1, 15)


@pytest.fixture
def monitored(db, city, users):
    """An adopted plan (2024–2026) seen on 15 January 2025, two pillars, six activities:

    1.1.1 Mentoring   wards of sub-county S1          updates: 2024-Q1 on track, Q2 and Q4 at risk  → at risk
    1.1.2 Amnesty     a ward of S2 and S1 itself      ended 2024-06-30, last update on track       → late
    2.1.1 Food banks  no area                         ended 2024-12-31, last update completed      → completed
    2.1.2 Shelter     a ward of S2                    no update                                    → not started
    2.1.3 Clinics     no area                         latest update (2024-Q4) on track             → on track
    2.1.4 Cancelled   no area                         cancelled: not counted, budget kept
    """
    coordinator = users["coordinator"]
    member_org = users["member"].organisations.get()
    other_org = city.organisations.exclude(pk=member_org.pk).first()
    framework = services.create_framework(actor="test", country="KEN", name="NAP dashboard", start_year=2024,
                                          end_year=2028, pillars=[("N1", "Prevention")])
    plan = services.create_plan(actor=coordinator, city=city, title="Dashboard plan", start_year=2024,
                                end_year=2026, framework=framework, currency="KES", visibility="national")
    s1, s2 = [a for a in city.areas.filter(level=1).order_by("code") if a.children.count() >= 2][:2]
    s1_wards, s2_wards = list(s1.children.order_by("code")[:2]), list(s2.children.order_by("code")[:1])
    youth = services.add_pillar(actor=coordinator, plan=plan, code="1", title="Youth")
    needs = services.add_pillar(actor=coordinator, plan=plan, code="2", title="Basic needs")
    o1 = services.add_objective(actor=coordinator, pillar=youth, code="1.1", title="Youth jobs")
    o2 = services.add_objective(actor=coordinator, pillar=needs, code="2.1", title="Food and shelter")

    def activity(objective, code, title, start, end, budget, areas=(), lead=other_org, **kw):
        return services.add_activity(actor=coordinator, objective=objective, code=code, title=title, lead=lead,
                                     start=start, end=end, budget=Decimal(budget), areas=areas, **kw)

    d = dt.date
    acts = {
        "mentoring": activity(o1, "1.1.1", "Mentoring", d(2024, 1, 1), d(2026, 12, 31), 100000, s1_wards,
                              lead=member_org),
        "amnesty": activity(o1, "1.1.2", "Amnesty", d(2024, 1, 1), d(2024, 6, 30), 50000, [s2_wards[0], s1]),
        "food": activity(o2, "2.1.1", "Food banks", d(2024, 1, 1), d(2024, 12, 31), 30000),
        "shelter": activity(o2, "2.1.2", "Shelter", d(2025, 1, 1), d(2026, 12, 31), 20000, s2_wards),
        "clinics": activity(o2, "2.1.3", "Clinics", d(2024, 1, 1), d(2026, 6, 30), 40000),
        "cancelled": activity(o2, "2.1.4", "Cancelled", d(2024, 1, 1), d(2024, 3, 31), 10000, status="cancelled"),
    }
    mentored = services.add_indicator(actor=coordinator, plan=plan, activity=acts["mentoring"], code="I1",
                                      name="Young people mentored", unit="people", counts_people=True,
                                      baseline_value=Decimal(0), baseline_date=d(2023, 12, 31),
                                      targets={2024: 50, 2025: 120}, disaggregation=["sex"])
    weapons = services.add_indicator(actor=coordinator, plan=plan, code="I2", name="Weapons surrendered",
                                     unit="weapons", baseline_value=Decimal(10), targets={2024: 100})
    women = services.add_indicator(actor=coordinator, plan=plan, code="I3", name="Women on peace committees",
                                   unit="people", counts_people=True, baseline_value=Decimal(2), targets={2024: 20})
    services.add_indicator(actor=coordinator, plan=plan, code="I4", name="Residents who feel safe", unit="%",
                           higher_is_better=True, targets={2025: 60, 2026: 70})
    services.adopt_plan(actor=coordinator, plan=plan)

    def progress(key, period, status, spent=None):
        services.record_progress(actor=coordinator, activity=acts[key], period=period, status=status,
                                 narrative=f"{key} {period}", spent=Decimal(spent) if spent is not None else None)

    progress("mentoring", "2024-Q1", "on_track", 20000)
    progress("mentoring", "2024-Q2", "at_risk", 10000)
    progress("mentoring", "2024-Q4", "at_risk")
    progress("amnesty", "2024-Q1", "on_track", 5000)
    progress("food", "2024-Q3", "on_track", 12000)
    progress("food", "2024-Q4", "completed", 18000)
    progress("clinics", "2024-Q3", "late")
    progress("clinics", "2024-Q4", "on_track", 1000)
    # 2024: 40 mentored; 2025 so far: 12 (9 women, 3 men) → the 2025 total is what counts
    services.record_actuals(actor=coordinator, indicator=mentored, year=2024, values=[ActualInput(Decimal(40))])
    services.record_actuals(actor=coordinator, indicator=mentored, year=2025, values=[
        ActualInput(Decimal(12)), ActualInput(Decimal(9), sex="f"), ActualInput(Decimal(3), sex="m")])
    services.record_actuals(actor=coordinator, indicator=weapons, year=2024, values=[ActualInput(Decimal(3))])
    services.record_actuals(actor=coordinator, indicator=women, year=2024, values=[ActualInput(Decimal(4))])
    plan.refresh_from_db()
    return {"plan": plan, "s1": s1, "s2": s2, **acts}


def counts(row):
    return {k: v for k, v in row.counts.items() if v}


def test_each_activity_gets_the_status_of_its_latest_update_unless_it_is_late_or_not_started(monitored, users):
    d = dashboard.build(users["coordinator"], monitored["plan"], today=TODAY)
    status = {s.activity.code: s.status for s in d.activities}
    assert status == {"1.1.1": "at_risk", "1.1.2": "late", "2.1.1": "completed", "2.1.2": "not_started",
                      "2.1.3": "on_track", "2.1.4": "cancelled"}
    assert [(r.label, counts(r)) for r in d.by_pillar] == [
        ("1 Youth", {"at_risk": 1, "late": 1}),
        ("2 Basic needs", {"not_started": 1, "on_track": 1, "completed": 1}),
    ]
    assert counts(d.totals) == {"not_started": 1, "on_track": 1, "at_risk": 1, "late": 1, "completed": 1}
    assert d.cancelled == 1
    assert [n for _, _, n in d.summary] == [1, 1, 1, 0, 1, 1]  # nobody owes 2024-Q4 a report


def test_a_year_later_everything_unfinished_past_its_end_is_late(monitored, users):
    d = dashboard.build(users["coordinator"], monitored["plan"], today=dt.date(2026, 7, 1))
    # clinics ended 2026-06-30: late; mentoring ("at risk" in 2024-Q4) and shelter (running since 2025, never
    # reported) owe a report for 2026-Q2: not reported, whatever they said before
    assert counts(d.totals) == {"late": 2, "not_reported": 2, "completed": 1}
    status = {s.activity.code: s.status for s in d.activities}
    assert status["1.1.1"] == "not_reported" and status["2.1.2"] == "not_reported"


def test_activities_count_once_for_each_sub_county_they_work_in(monitored, users, city):
    d = dashboard.build(users["coordinator"], monitored["plan"], today=TODAY)
    rows = {r.code: r for r in d.by_area}
    assert list(rows)[:-1] == list(city.areas.filter(level=1).order_by("code").values_list("code", flat=True))
    s1, s2 = monitored["s1"], monitored["s2"]
    # mentoring works in two wards of S1 but counts once there; amnesty counts for S1 and for S2
    assert counts(rows[s1.code]) == {"at_risk": 1, "late": 1}
    assert counts(rows[s2.code]) == {"late": 1, "not_started": 1}
    others = [r for code, r in rows.items() if code not in (s1.code, s2.code, "")]
    assert others and all(r.total == 0 for r in others)
    assert d.by_area[-1].label == "No area given (city-wide)"
    assert counts(d.by_area[-1]) == {"completed": 1, "on_track": 1}


def test_budget_planned_against_spent_per_pillar(monitored, users):
    d = dashboard.build(users["coordinator"], monitored["plan"], today=TODAY)
    assert [(r.label, r.planned, r.spent) for r in d.budget] == [
        ("1 Youth", Decimal(150000), Decimal(35000)),
        ("2 Basic needs", Decimal(100000), Decimal(31000)),  # the cancelled activity's 10,000 stays planned
    ]
    assert (d.budget_total.planned, d.budget_total.spent) == (Decimal(250000), Decimal(66000))
    assert d.budget[0].percent_text == "23\u00a0%" and d.budget_total.spent_text == "66,000"


def test_indicators_latest_year_against_that_years_target(monitored, users):
    d = dashboard.build(users["coordinator"], monitored["plan"], today=TODAY)
    rows = {r.indicator.code: r for r in d.indicators}
    mentored = rows["I1"]
    assert (mentored.year, mentored.actual, mentored.target, mentored.baseline) == (2025, 12, 120, 0)
    # progress from the baseline: 12 of the way from 0 to 120
    assert mentored.progress.percent == 10 and mentored.progress_text == "10\u00a0% of the way to the target"
    # 3 weapons against a baseline of 10: below where it started, not "3 % of the target"
    assert (rows["I2"].year, rows["I2"].actual, rows["I2"].target) == (2024, 3, 100)
    assert rows["I2"].progress.percent is None and rows["I2"].progress_text == "moving away from the target"
    assert (rows["I3"].actual, rows["I3"].baseline, rows["I3"].suppressed) == (4, 2, False)
    assert rows["I3"].progress.percent == 11  # 2 of the 18 from 2 to 20
    nothing_yet = rows["I4"]
    assert (nothing_yet.year, nothing_yet.actual, nothing_yet.target_year, nothing_yet.target) == (None, None, 2025, 60)


def test_counts_of_people_below_k_are_hidden_from_the_national_liaison(monitored, users, city):
    assert city.suppression_k == 5
    d = dashboard.build(users["national"], monitored["plan"], today=TODAY)
    rows = {r.indicator.code: r for r in d.indicators}
    assert d.published_k == 5
    assert rows["I3"].actual == "<5" and rows["I3"].baseline == "<5" and rows["I3"].progress is None
    assert rows["I3"].suppressed and rows["I3"].progress_text == "–"
    assert rows["I1"].actual == 12 and rows["I1"].baseline == 0  # 12 is at least k; a zero identifies nobody
    assert rows["I2"].actual == 3  # weapons are not people
    drawn = dashboard.charts(d)["indicators"]
    assert "4 against a target" not in drawn and "&lt;5 against a target of 20 people" in drawn
    # the city team sees the true numbers
    assert dashboard.build(users["analyst"], monitored["plan"], today=TODAY).published_k is None


def test_charts_are_the_four_drawings_of_the_dashboard(monitored, users):
    d = dashboard.build(users["coordinator"], monitored["plan"], today=TODAY)
    svgs = dashboard.charts(d, rtl=True)
    assert set(svgs) == {"status_by_pillar", "status_by_area", "indicators", "budget"}
    for svg in svgs.values():
        root = ET.fromstring(svg)
        assert root.find("{http://www.w3.org/2000/svg}title").text
    assert "1 Youth: At risk 1, Late 1" in svgs["status_by_pillar"]
    ids = [i for svg in svgs.values() for i in ET.fromstring(svg).iter() if i.get("id")]
    assert len({i.get("id") for i in ids}) == len(ids)  # one page holds all four


def test_the_page_shows_charts_and_their_numbers_to_the_coordinator(monitored, client_for):
    plan = monitored["plan"]
    url = reverse("plans:dashboard", args=["mombasa", plan.pk])
    response = client_for("coordinator").get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 4 and "Monitoring dashboard" in html
    # the table under the chart repeats its numbers, each cell named for a phone's stacked layout
    youth = re.search(r'<tr><th scope="row">1 Youth</th>(.*?)</tr>', html).group(1)
    cells = re.findall(r'<td data-label="([^"]+)">(\d+)</td>', youth)
    assert [label for label, _ in cells] == ["Not started", "On track", "At risk", "Not reported", "Late", "Completed",
                                             "Total"]
    # today mentoring's "at risk" of 2024 is stale: it owes reports (or has ended), it is not "at risk"
    assert dict(cells)["At risk"] == "0" and dict(cells)["Total"] == "2"
    assert "150,000" in html and "66,000" in html
    assert "Young people mentored" in html and "&lt;5" not in html  # the city team sees small counts
    assert "1 cancelled activity is not counted" in html


def test_the_national_liaison_reads_the_shared_plans_dashboard_with_small_counts_hidden(monitored, client_for):
    plan = monitored["plan"]
    response = client_for("national").get(reverse("plans:dashboard", args=["mombasa", plan.pk]))
    assert response.status_code == 200
    assert "&lt;5" in response.content.decode()
    plan.visibility = "network"
    plan.save(update_fields=["visibility"])
    assert client_for("national").get(reverse("plans:dashboard", args=["mombasa", plan.pk])).status_code == 404


def test_the_arabic_page_mirrors_the_charts(monitored, client_for):
    plan = monitored["plan"]
    c = client_for("coordinator")
    response = c.get(reverse("plans:dashboard", args=["mombasa", plan.pk]), HTTP_ACCEPT_LANGUAGE="ar")
    html = response.content.decode()
    assert 'dir="rtl"' in html and 'text-anchor="end"' in html
