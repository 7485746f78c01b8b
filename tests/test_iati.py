"""IATI 2.03 export of a plan: valid against the official schema, numbers as entered, escaping, who gets it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from conftest import REFERENCE
from tamasuk.interop import iati
from tamasuk.plans import iati_export, services
from tamasuk.plans.services import ActualInput

IATI = REFERENCE / "iati-2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(scope="module")
def schema():
    # xml.xsd and iati-common.xsd are imported from the same folder: nothing is fetched.
    return etree.XMLSchema(etree.parse(str(IATI / "iati-activities-schema.xsd")))


def assert_valid(schema, content: bytes) -> etree._Element:
    doc = etree.fromstring(content)
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)
    return doc


@pytest.fixture
def running(draft, users):
    """The draft adopted, a year of values (disaggregated by sex and by age band), the amnesty cancelled."""
    coordinator = users["coordinator"]
    services.adopt_plan(actor=coordinator, plan=draft["plan"])
    services.record_actuals(actor=coordinator, indicator=draft["indicator"], year=2024, values=[
        ActualInput(value=Decimal(40)), ActualInput(value=Decimal(22), sex="f"), ActualInput(value=Decimal(18), sex="m"),
        ActualInput(value=Decimal(30), age_band="15-24"), ActualInput(value=Decimal(10), age_band="25-35")])
    services.record_actuals(actor=coordinator, indicator=draft["trust"], year=2024, values=[
        ActualInput(value=Decimal("33.75"))])
    theirs = draft["theirs"]
    theirs.refresh_from_db()
    services.update_item(actor=coordinator, item=theirs, expected_version=theirs.version, status="cancelled")
    services.record_progress(actor=users["member"], activity=draft["mine"], period="2024-Q2", status="on_track",
                             narrative="Started")
    draft["plan"].refresh_from_db()
    return draft


def activity_el(doc, suffix: str):
    found = [a for a in doc.iter("iati-activity") if a.findtext("iati-identifier").endswith(suffix)]
    assert len(found) == 1, f"one activity ending in {suffix}"
    return found[0]


def indicator_el(activity, code: str):
    return activity.xpath(f"result/indicator[reference/@code='{code}']")[0]


def test_the_reference_example_validates_and_a_broken_one_does_not(schema):
    """The harness itself: the official results example passes, and the schema really is strict."""
    example = etree.parse(str(IATI / "example-results.xml"))
    assert schema.validate(example), schema.error_log
    activity = example.getroot().find("iati-activity")
    activity.remove(activity.find("iati-identifier"))
    assert not schema.validate(example)


def test_a_running_plan_is_valid_iati_with_parent_and_children(running, users, schema):
    plan = running["plan"]
    doc = assert_valid(schema, iati.activities_xml(iati_export.export_for(users["coordinator"], plan)))
    prefix = f"XX-TAMASUK-MOMBASA-LAP{plan.pk}"
    parent = activity_el(doc, f"LAP{plan.pk}")
    assert parent.get("hierarchy") == "1" and parent.findtext("iati-identifier") == prefix
    assert parent.find("reporting-org").get("ref") == "XX-TAMASUK-MOMBASA"
    assert sorted(r.get("ref") for r in parent.findall("related-activity[@type='2']")) == \
        [f"{prefix}-1.1.1", f"{prefix}-1.1.2"]
    mentoring, amnesty = activity_el(doc, "-1.1.1"), activity_el(doc, "-1.1.2")
    for child in (mentoring, amnesty):
        assert child.get("hierarchy") == "2"
        assert child.find("related-activity[@type='1']").get("ref") == prefix
        assert child.find("recipient-country").get("code") == "KE"
    assert (parent.find("activity-status").get("code"), mentoring.find("activity-status").get("code"),
            amnesty.find("activity-status").get("code")) == ("2", "2", "5")
    # the lead implements, the partner too, the city is accountable
    roles = {(p.get("role"), p.findtext("narrative")) for p in mentoring.findall("participating-org")}
    assert roles == {("2", "Mombasa"), ("4", running["mine"].lead.name), ("4", running["theirs"].lead.name)}
    # actual start from the first progress update (2024-Q2); an ongoing activity has no actual end
    assert {d.get("type"): d.get("iso-date") for d in mentoring.findall("activity-date")} == {
        "1": "2024-01-01", "2": "2024-04-01", "3": "2025-12-31"}
    assert parent.find("sector").get("code") == "15220"
    assert {(s.get("vocabulary"), s.get("code")) for s in mentoring.findall("sector")} == {("99", "1"), ("98", "N1")}
    assert len(mentoring.findall("location")) == 2


def test_titles_carry_every_language_entered(running, users, schema):
    doc = assert_valid(schema, iati.activities_xml(iati_export.export_for(users["coordinator"], running["plan"])))
    parent = activity_el(doc, f"LAP{running['plan'].pk}")
    assert parent.get(XML_LANG) == "en"
    title = {n.get(XML_LANG): n.text for n in parent.findall("title/narrative")}
    assert title == {None: "Test plan", "sw": "Mpango wa majaribio", "ar": "خطة تجريبية"}
    mentoring = activity_el(doc, "-1.1.1")
    assert {n.get(XML_LANG) for n in mentoring.findall("title/narrative")} == {None, "sw", "ar"}
    objective = mentoring.find("description[@type='2']")
    assert {n.get(XML_LANG): n.text for n in objective.findall("narrative")} == {None: "Youth jobs",
                                                                                 "sw": "Ajira kwa vijana"}


def test_numbers_come_back_as_entered(running, users, schema):
    doc = assert_valid(schema, iati.activities_xml(iati_export.export_for(users["coordinator"], running["plan"])))
    mentored = indicator_el(activity_el(doc, "-1.1.1"), "I1")
    assert mentored.get("measure") == "1" and mentored.get("ascending") == "true"
    assert mentored.getparent().get("type") == "1"  # an output
    baseline = mentored.find("baseline")
    assert (baseline.get("year"), baseline.get("iso-date"), Decimal(baseline.get("value"))) == \
        ("2023", "2023-12-31", Decimal(0))
    periods = {p.find("period-start").get("iso-date"): p for p in mentored.findall("period")}
    assert set(periods) == {"2024-01-01", "2025-01-01"}
    assert periods["2024-01-01"].find("period-end").get("iso-date") == "2024-12-31"
    targets = {k: Decimal(p.find("target").get("value")) for k, p in periods.items()}
    assert targets == {"2024-01-01": Decimal(50), "2025-01-01": Decimal(120)}
    actuals = {tuple((d.get("name"), d.get("value")) for d in a.findall("dimension")): Decimal(a.get("value"))
               for a in periods["2024-01-01"].findall("actual")}
    assert actuals == {(): 40, (("sex", "female"),): 22, (("sex", "male"),): 18,
                       (("age", "15-24"),): 30, (("age", "25-35"),): 10}
    assert periods["2025-01-01"].find("actual") is None

    # the objective's outcome indicator sits on the plan, as a percentage with decimals intact
    trust = indicator_el(activity_el(doc, f"LAP{running['plan'].pk}"), "O1")
    assert trust.get("measure") == "2" and trust.getparent().get("type") == "2"
    assert trust.getparent().findtext("title/narrative") == "Youth jobs"
    assert Decimal(trust.find("baseline").get("value")) == Decimal("31.5")
    values = {p.find("period-start").get("iso-date")[:4]: (p.find("target"), p.find("actual"))
              for p in trust.findall("period")}
    assert Decimal(values["2024"][0].get("value")) == Decimal("35.25")
    assert Decimal(values["2024"][1].get("value")) == Decimal("33.75")
    assert Decimal(values["2026"][0].get("value")) == 45 and values["2026"][1] is None

    # the budget, split by calendar year (IATI periods are a year at most), adds up to what was entered
    budgets = activity_el(doc, "-1.1.1").findall("budget")
    assert [(b.find("period-start").get("iso-date"), b.find("period-end").get("iso-date")) for b in budgets] == \
        [("2024-01-01", "2024-12-31"), ("2025-01-01", "2025-12-31")]
    assert sum(Decimal(b.findtext("value")) for b in budgets) == Decimal("100000")
    assert {b.find("value").get("currency") for b in budgets} == {"KES"}
    assert [b.find("value").get("value-date") for b in budgets] == ["2024-01-01", "2025-01-01"]
    assert activity_el(doc, f"LAP{running['plan'].pk}").find("budget") is None  # never counted twice


def test_a_plan_with_nothing_in_it_is_still_valid(city, users, schema):
    plan = services.create_plan(actor=users["coordinator"], city=city, title="Empty", start_year=2025,
                                end_year=2027)
    doc = assert_valid(schema, iati.activities_xml(iati_export.export_for(users["coordinator"], plan)))
    (only,) = doc.findall("iati-activity")
    assert only.find("result") is None and only.find("activity-status").get("code") == "1"


def test_special_characters_are_escaped_and_come_back_unchanged(draft, users, schema):
    coordinator, mine = users["coordinator"], draft["mine"]
    title = 'Youth & police <dialogue> "safe spaces" \'now\''
    mine.refresh_from_db()
    services.update_item(actor=coordinator, item=mine, expected_version=mine.version, title=title,
                         description="Budget < 5% & rising > 2024")
    content = iati.activities_xml(iati_export.export_for(coordinator, draft["plan"]))
    assert b"Youth &amp; police &lt;dialogue&gt;" in content
    mentoring = activity_el(assert_valid(schema, content), "-1.1.1")
    assert mentoring.findtext("title/narrative") == title
    assert mentoring.findtext("description[@type='1']/narrative") == "Budget < 5% & rising > 2024"


def test_the_registered_identifier_is_used_once_entered(draft, users, schema):
    plan = draft["plan"]
    assert iati_export.warnings_for(plan)[0].find("XX-TAMASUK-MOMBASA") >= 0
    services.update_plan(actor=users["coordinator"], plan=plan, iati_organisation="KE-GOV-MSA", visibility="public")
    services.adopt_plan(actor=users["coordinator"], plan=plan)
    plan.refresh_from_db()
    assert iati_export.warnings_for(plan) == []
    doc = assert_valid(schema, iati.activities_xml(iati_export.export_for(users["coordinator"], plan)))
    assert [a.findtext("iati-identifier") for a in doc.iter("iati-activity")] == [
        f"KE-GOV-MSA-LAP{plan.pk}", f"KE-GOV-MSA-LAP{plan.pk}-1.1.1", f"KE-GOV-MSA-LAP{plan.pk}-1.1.2"]


def test_the_download_warns_until_the_city_enters_its_identifier(running, users, client_for):
    from django.urls import reverse

    plan = running["plan"]
    url = reverse("plans:iati", kwargs={"slug": "mombasa", "pk": plan.pk})
    page = client_for("analyst").get(url)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "XX-TAMASUK-MOMBASA" in page.content.decode()
    download = client_for("analyst").get(url + "?accept=1")
    assert download["Content-Type"].startswith("application/xml")
    assert download["Content-Disposition"] == f'attachment; filename="mombasa-plan-{plan.pk}-iati.xml"'
    assert b"XX-TAMASUK-MOMBASA" in download.content.split(b"<iati-activities")[0]  # the warning, as a comment

    services.update_plan(actor=users["coordinator"], plan=plan, iati_organisation="KE-GOV-MSA", visibility="public")
    direct = client_for("auditor").get(url)
    assert direct["Content-Type"].startswith("application/xml") and b"KE-GOV-MSA-LAP" in direct.content
    assert client_for("member").get(url).status_code == 403


def test_small_counts_are_withheld_from_the_published_file(running, users, city, schema):
    """The file is for the public IATI registry: small counts are withheld whoever downloads it."""
    plan, indicator, coordinator = running["plan"], running["indicator"], users["coordinator"]
    services.update_plan(actor=coordinator, plan=plan, visibility="national")
    services.record_actuals(actor=coordinator, indicator=indicator, year=2025, values=[
        ActualInput(value=Decimal(40)), ActualInput(value=Decimal(37), sex="f"), ActualInput(value=Decimal(3), sex="m")])
    services.record_actuals(actor=coordinator, indicator=indicator, year=2026, values=[
        ActualInput(value=Decimal(100)), ActualInput(value=Decimal(68), sex="f"), ActualInput(value=Decimal(32), sex="m"),
        ActualInput(value=Decimal(58), age_band="15-24"), ActualInput(value=Decimal(42), age_band="25-35"),
        ActualInput(value=Decimal(30), sex="f", age_band="15-24"), ActualInput(value=Decimal(28), sex="m", age_band="15-24"),
        ActualInput(value=Decimal(38), sex="f", age_band="25-35"), ActualInput(value=Decimal(4), sex="m", age_band="25-35")])
    plan.refresh_from_db()

    def cells(user, year):
        doc = assert_valid(schema, iati.activities_xml(iati_export.export_for(user, plan)))
        period = [p for p in indicator_el(activity_el(doc, "-1.1.1"), "I1").findall("period")
                  if p.find("period-start").get("iso-date") == f"{year}-01-01"][0]
        return {tuple(d.get("value") for d in a.findall("dimension")): a.get("value") for a in period.findall("actual")}

    assert city.suppression_k == 5
    assert cells(users["coordinator"], 2025) == cells(users["national"], 2025)
    # 3 is below k = 5, and 37 would give it away by subtraction from the total: both withheld
    assert cells(users["national"], 2025) == {(): "40", ("female",): None, ("male",): None}
    # sex × age band: the 4 hides with the three other cells of its rectangle; the margins (the cells of
    # one dimension alone) and the total stay, and cannot pin down any hidden cell
    assert cells(users["coordinator"], 2026)[("male", "25-35")] is None
    assert cells(users["national"], 2026) == {
        (): "100", ("female",): "68", ("male",): "32", ("15-24",): "58", ("25-35",): "42",
        ("female", "15-24"): None, ("male", "15-24"): None, ("female", "25-35"): None, ("male", "25-35"): None}


def test_budget_split_adds_up_whatever_the_dates():
    parts = iati.budget_periods(Decimal("1000.01"), dt.date(2024, 3, 1), dt.date(2026, 2, 28))
    assert [p[0].isoformat() for p in parts] == ["2024-03-01", "2025-01-01", "2026-01-01"]
    assert sum(p[2] for p in parts) == Decimal("1000.01")
    assert all((e - s).days < 366 for s, e, _ in parts)


def _minimal(**activity) -> dict:
    return {"reporting_org": {"ref": "KE-GOV-1", "type": "11", "name": {"en": "City"}}, "language": "en",
            "currency": "KES", "country": "KEN", "generated": dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
            "plan": {"code": "LAP1", "title": {"en": "Plan"}, "description": {"en": "A plan"}, "status": "adopted",
                     "planned_start": dt.date(2024, 1, 1), "planned_end": dt.date(2026, 12, 31)},
            "activities": [{"code": "1", "title": {"en": "One"}, "description": {}, "status": "completed",
                            "planned_start": dt.date(2024, 1, 1), "planned_end": dt.date(2025, 12, 31),
                            "lead": {"name": {"en": "Org"}}, **activity}]}


def test_an_actual_date_after_the_export_is_not_published(schema):
    doc = assert_valid(schema, iati.activities_xml(_minimal(actual_start=dt.date(2024, 2, 1),
                                                            actual_end=dt.date(2025, 12, 31))))
    child = doc.findall("iati-activity")[1]
    assert [d.get("type") for d in child.findall("activity-date")] == ["1", "2", "3"]
    assert child.find("activity-status").get("code") == "3"  # completed, the plan still monitored


def test_codes_that_collide_as_identifiers_are_refused():
    data = _minimal()
    data["activities"].append({**data["activities"][0], "code": "1 "})
    with pytest.raises(ValueError, match="KE-GOV-1-LAP1-1"):
        iati.activities_xml(data)
