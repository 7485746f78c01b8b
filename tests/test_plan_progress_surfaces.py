"""Falling ("lower is better") indicators and stale reports read the same on every surface: the plan page, the
dashboard, the API, the review report PDF (as text) and the IATI export."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse
from django.utils import translation
from lxml import etree

from tamasuk.analysis import reporting
from tamasuk.plans import iati_export, review_report, services
from tamasuk.plans.services import ActualInput

HALF_WAY = "52 % of the way to the target"  # 34.8 → 33.5 of the way down to 32.3
AWAY = "moving away from the target"  # 22 → 23 while the target is 20.9


def plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.fixture
def falling(db, city, users):
    coordinator = users["coordinator"]
    lead = users["member"].organisations.get()
    plan = services.create_plan(actor=coordinator, city=city, title="Falling plan", start_year=2024, end_year=2027,
                                currency="KES", visibility="national")
    pillar = services.add_pillar(actor=coordinator, plan=plan, code="1", title="Livelihoods")
    objective = services.add_objective(actor=coordinator, pillar=pillar, code="1.1", title="Fewer idle youth")
    today = dt.date.today()
    running = services.add_activity(actor=coordinator, objective=objective, code="1.1.1", title="Job clubs",
                                    lead=lead, start=dt.date(2024, 1, 1), end=dt.date(today.year + 1, 12, 31),
                                    budget=Decimal(1000))
    unemployment = services.add_indicator(actor=coordinator, plan=plan, code="U", name="Youth unemployment rate",
                                          unit="%", kind="outcome", higher_is_better=False,
                                          baseline_value=Decimal("34.8"), baseline_date=dt.date(2023, 12, 31),
                                          targets={2025: Decimal("32.3")})
    food = services.add_indicator(actor=coordinator, plan=plan, code="F", name="Households food insecure",
                                  unit="%", kind="outcome", higher_is_better=False, baseline_value=Decimal("22"),
                                  targets={2025: Decimal("20.9")})
    services.adopt_plan(actor=coordinator, plan=plan)
    services.record_actuals(actor=coordinator, indicator=unemployment, year=2025,
                            values=[ActualInput(Decimal("33.5"))])
    services.record_actuals(actor=coordinator, indicator=food, year=2025, values=[ActualInput(Decimal("23"))])
    # "On track" two quarters before the last completed one: stale, not news that it is on track
    due = reporting.last_completed_quarter(today)
    stale = reporting.quarter_of(reporting.quarter_bounds(due)[0] - dt.timedelta(days=100))
    services.record_progress(actor=coordinator, activity=running, period=stale, status="on_track",
                             narrative="Clubs met")
    review = services.open_review(actor=coordinator, plan=plan, title="Review", period="2025")
    plan.refresh_from_db()
    return {"plan": plan, "review": review, "stale": stale, "due": due}


def _cell(html: str, code: str) -> str:
    doc = lxml.html.fromstring(html)
    (cell,) = doc.xpath(f'//tr[@data-indicator="{code}"]//td[@data-progress]')
    return plain(cell.text_content())


def test_a_falling_indicator_shows_the_same_progress_on_every_surface(falling, client_for, users, city, tmp_path):
    plan = falling["plan"]
    c = client_for("coordinator")
    dashboard = c.get(reverse("plans:dashboard", args=[city.slug, plan.pk])).content.decode()
    page = c.get(reverse("plans:plan", args=[city.slug, plan.pk])).content.decode()
    api = {i["code"]: i for i in c.get(f"/api/v1/cities/{city.slug}/plans/{plan.pk}").json()["indicators"]}
    with translation.override("en"):
        pdf = review_report.pdf(users["coordinator"], falling["review"])
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    pdf_text = plain(subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                                    text=True).stdout)
    iati = etree.fromstring(iati_export.xml_for(users["coordinator"], plan)[0])

    def iati_comment(code: str) -> str:
        (indicator,) = [i for i in iati.iter("indicator") if i.find("reference").get("code") == code]
        assert indicator.get("ascending") == "false"
        (period,) = indicator.findall("period")
        return plain("".join(period.find("actual/comment/narrative").itertext()))

    for code, words, state, percent in (("U", HALF_WAY, "towards", 52), ("F", AWAY, "moving_away", None)):
        assert _cell(dashboard, code).startswith(words)
        assert _cell(page, code).startswith(words)
        assert (api[code]["progress"]["state"], api[code]["progress"]["percent"]) == (state, percent)
        assert plain(api[code]["progress"]["text"]) == words
        assert f"Progress 2025: {words}" in pdf_text
        assert words in iati_comment(code)
    # never the value divided by the target (33.5 / 32.3 = 104 %, 23 / 20.9 = 110 %)
    for text in (plain(dashboard), plain(page), pdf_text):
        assert "104 %" not in text and "110 %" not in text


def test_a_stale_on_track_report_reads_as_not_reported_on_every_surface(falling, client_for, users, city, tmp_path):
    plan = falling["plan"]
    c = client_for("coordinator")
    page = lxml.html.fromstring(c.get(reverse("plans:plan", args=[city.slug, plan.pk])).content.decode())
    (status,) = page.xpath("//tr[contains(@class, 'activity-row')]//td[@data-status]")
    assert status.get("data-status") == "not_reported"
    assert "Not reported" in status.text_content() and falling["stale"] in status.text_content()
    assert "On track" not in status.text_content()
    dashboard = lxml.html.fromstring(c.get(reverse("plans:dashboard", args=[city.slug, plan.pk])).content.decode())
    summary = {li.get("class"): plain(li.text_content()) for li in dashboard.xpath("//ul[@class='dash-summary']/li")}
    assert summary["dash-not_reported"] == "1 Not reported" and summary["dash-on_track"] == "0 On track"
    data = c.get(f"/api/v1/cities/{city.slug}/plans/{plan.pk}").json()
    assert data["activities"] == [{"code": "1.1.1", "status": "not_reported", "last_reported": falling["stale"]}]
    assert data["last_completed_quarter"] == falling["due"]
    with translation.override("en"):
        html = review_report.html(users["coordinator"], falling["review"])
    counts = {m.group(1): m.group(2) for m in re.finditer(
        r'<td class="status-(\w+)"><span class="n">(\d+)</span>', html)}
    assert counts["not_reported"] == "1" and counts["on_track"] == "0"


def test_the_reporting_page_marks_the_missing_quarters(falling, client_for, city):
    plan = falling["plan"]
    html = client_for("coordinator").get(reverse("plans:reporting", args=[city.slug, plan.pk])).content.decode()
    doc = lxml.html.fromstring(html)
    row = doc.xpath('//tr[@data-activity="1.1.1"]')[0]
    cells = {td.get("data-quarter"): td.get("data-cell") for td in row.xpath("td[@data-quarter]")}
    quarters = reporting.quarters_between("2024-Q1", falling["due"])
    assert list(cells) == quarters  # one column per quarter from the plan's start to the last completed one
    assert cells[falling["stale"]] == "reported"
    assert cells[falling["due"]] == "missing"
    assert sum(v == "missing" for v in cells.values()) == len(quarters) - 1
    per_quarter = {td.get("data-quarter"): td.get("data-completeness") for td in doc.xpath("//tfoot//td[@data-quarter]")}
    assert per_quarter[falling["stale"]] == "100" and per_quarter[falling["due"]] == "0"
    # linked from the plan page and the dashboard
    url = reverse("plans:reporting", args=[city.slug, plan.pk])
    c = client_for("coordinator")
    for page in ("plans:plan", "plans:dashboard"):
        assert f'href="{url}"' in c.get(reverse(page, args=[city.slug, plan.pk])).content.decode()
