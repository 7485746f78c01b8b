"""Local mapping as users meet it: observations, reports, prioritisation, profiles, hotspots, privacy."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from tamasuk.audit.models import AuditEvent
from tamasuk.cities.models import Area
from tamasuk.mapping import services
from tamasuk.mapping.models import CommunityReport, Indicator, Observation, PriorityProfile

ALL_INDICATORS = [
    "youth-unemployment", "food-insecurity", "informal-housing", "no-sanitation", "below-poverty-line",
    "trust-in-police", "feel-safe-at-night",
]


def obs(row, area, indicator, value, period="2030"):
    return services.ObservationInput(row=row, area=area, indicator=indicator, period=period,
                                     period_start=dt.date(int(period[:4]), 1, 1),
                                     period_end=dt.date(int(period[:4]), 12, 31), value=value)


@pytest.fixture
def events(db):
    start = AuditEvent.objects.count()
    return lambda: AuditEvent.objects.count() - start


def test_import_is_all_or_nothing_and_names_the_bad_rows(users, city, events):
    records = [obs(2, "KE00100101", "food-insecurity", 10.0), obs(3, "Nowhere", "food-insecurity", 11.0),
               obs(4, "KE00100102", "not-an-indicator", 12.0)]
    summary = services.import_observations(actor=users["coordinator"], city=city, records=records)
    assert not summary.ok
    assert {(e.row, e.column, e.value) for e in summary.errors} == {(3, "area", "Nowhere"),
                                                                  (4, "indicator", "not-an-indicator")}
    assert not Observation.objects.filter(period="2030").exists() and events() == 0


def test_every_import_path_refuses_values_the_unit_rules_out(users, city, events):
    """The unit checks live in the service, so the demo, a file and every later adapter get them alike."""
    records = [obs(2, "KE00100101", "food-insecurity", 140.0), obs(3, "KE00100102", "food-insecurity", 20.0),
               obs(4, "KE00100103", "hate-speech-incidents", -2.0)]
    summary = services.import_observations(actor=users["coordinator"], city=city, records=records)
    assert [(e.row, e.column, e.value) for e in summary.errors] == [
        (2, "value:food-insecurity", "140"), (4, "value:hate-speech-incidents", "-2")]
    assert "100" in summary.errors[0].message
    assert not Observation.objects.filter(period="2030").exists() and events() == 0


def test_dry_run_reports_then_import_then_reimport_changes_nothing(users, city, events):
    records = [obs(2, "KE00100101", "food-insecurity", 10.0), obs(3, "Changamwe Ward 2", "food-insecurity", 11.0)]
    dry = services.import_observations(actor=users["coordinator"], city=city, records=records, dry_run=True)
    assert (dry.new, dry.changed, dry.unchanged) == (2, 0, 0)
    assert not Observation.objects.filter(period="2030").exists() and events() == 0
    done = services.import_observations(actor=users["coordinator"], city=city, records=records, source_name="x.csv")
    assert (done.new, events()) == (2, 1)
    assert Observation.objects.get(period="2030", area__code="KE00100102").value == 11.0  # matched by name
    again = services.import_observations(actor=users["coordinator"], city=city, records=records)
    assert (again.new, again.changed, again.unchanged, events()) == (0, 0, 2, 1)
    changed = services.import_observations(actor=users["coordinator"], city=city,
                                           records=[obs(2, "KE00100101", "food-insecurity", 12.5)])
    assert changed.changed == 1 and changed.examples[0]["before"] == 10.0 and events() == 2


def test_a_point_becomes_its_ward_and_is_forgotten(users, city, events):
    from shapely.geometry import shape

    ward = Area.objects.get(city=city, code="KE00100303")
    p = shape(ward.geometry).representative_point()
    report = services.create_report(actor=users["member"], city=city, category="hate_speech",
                                    date=dt.date(2026, 9, 1), channel="sms", text="slogans", point=(p.x, p.y))
    assert report.area == ward
    assert not {f.name for f in CommunityReport._meta.get_fields()} & {"lon", "lat", "point", "reporter",
                                                                          "created_by", "phone", "name"}
    event = AuditEvent.objects.order_by("-pk").first()
    assert "slogans" not in event.after and events() == 1  # the free text is not copied into the log


def test_a_point_outside_the_city_is_refused(users, city):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="outside every area"):
        services.create_report(actor=users["member"], city=city, category="tension", date=dt.date(2026, 1, 1),
                               channel="web", point=(10.0, 10.0))


def _ranking_url(**extra):
    params = {"period": "2030", "preset": "balanced", "normalisation": "minmax", "aggregation": "arithmetic",
              "impute": "mean", "indicators": ALL_INDICATORS, **extra}
    return reverse("mapping:priorities", args=["mombasa"]), params


def _seed_2030(users, city, worst="KE00100404"):
    """Every ward middling, one ward worst on every indicator (direction respected)."""
    records, row = [], 1
    for ward in Area.objects.filter(city=city, level=2):
        for code in ALL_INDICATORS:
            better = Indicator.objects.get(city=city, code=code).direction == "better"
            value = 50.0 + (hash((ward.code, code)) % 20)
            if ward.code == worst:
                value = 1.0 if better else 99.0
            row += 1
            records.append(obs(row, ward.code, code, value))
    assert services.import_observations(actor=users["coordinator"], city=city, records=records).ok


def test_the_ward_worst_on_everything_ranks_first_with_its_drivers(users, city, client_for):
    _seed_2030(users, city)
    url, params = _ranking_url()
    html = client_for("analyst").get(url, params).content.decode()
    table = html[html.index('<table class="ranking">'):]
    body = table.index("<tbody>")
    first_row = table[body:table.index("</tr>", body)]
    assert "KE00100404" in first_row and ">1<" in first_row
    assert first_row.count("<li>") == 3
    assert "extremis" not in html.lower()  # need for services and investment, never a label on people


def test_saving_recomputes_on_the_server_and_the_profile_never_changes(users, city, client_for, events):
    _seed_2030(users, city)
    url, params = _ranking_url()
    c = client_for("coordinator")
    response = c.post(reverse("mapping:save_profile", args=["mombasa"]),
                      {**params, "name": "Vaccination, October", "results": "forged"})
    profile = PriorityProfile.objects.get(name="Vaccination, October")
    assert response.status_code == 302 and response["Location"].endswith(f"/profiles/{profile.pk}/")
    assert profile.results["areas"][0]["code"] == "KE00100404" and profile.spec["preset"] == "balanced"
    assert AuditEvent.objects.order_by("-pk").first().action == "profile.save"
    profile.name = "changed"
    with pytest.raises(ValueError, match="cannot be changed"):
        profile.save()
    page = c.get(reverse("mapping:profile", args=["mombasa", profile.pk])).content.decode()
    assert "Vaccination, October" in page and "cannot be changed" in page
    area_page = c.get(reverse("mapping:area", args=["mombasa", "KE00100404"])).content.decode()
    assert "Vaccination, October" in area_page and "rank 1 of 30" in area_page


def test_profile_exports_carry_hxl_and_geojson(users, city, client_for):
    _seed_2030(users, city)
    url, params = _ranking_url()
    c = client_for("analyst")
    c.post(reverse("mapping:save_profile", args=["mombasa"]), {**params, "name": "Export check"})
    profile = PriorityProfile.objects.get(name="Export check")
    rows = list(csv.reader(io.StringIO(c.get(reverse("mapping:profile_csv", args=["mombasa", profile.pk]))
                                       .content.decode())))
    assert rows[1][:4] == ["#adm2+code", "#adm2+name", "#severity+score", "#severity+rank"]
    assert len(rows) == 2 + 30 and rows[2][0] == "KE00100404"
    geo = c.get(reverse("mapping:profile_geojson", args=["mombasa", profile.pk])).json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 30
    assert geo["features"][0]["properties"]["rank"] == 1


def _report_table(html: str) -> dict:
    """The ward page's report counts: {(year, category): shown text}."""
    from lxml import html as lxml_html

    table = lxml_html.fromstring(html).xpath('//table[@data-dataset="report-counts"]')[0]
    categories = [th.get("data-category") for th in table.xpath(".//thead//th[@data-category]")]
    out = {}
    for tr in table.xpath(".//tbody/tr"):
        for category, td in zip(categories, tr.xpath("./td"), strict=True):
            out[(int(tr.get("data-year")), category)] = td.text_content().strip()
    return out


def _small_cell(city, *, category: str = "tension"):
    """A (ward, year) whose count of an open category is between 1 and k-1 in the demo data."""
    from collections import Counter

    counts = Counter((r.area.code, r.date.year) for r in
                     CommunityReport.objects.filter(city=city, category=category).select_related("area"))
    return next((key, n) for key, n in sorted(counts.items()) if 0 < n < city.suppression_k)


def test_small_report_counts_are_hidden_outside_the_city_team(city, client_for):
    (ward, year), n = _small_cell(city)
    url = reverse("mapping:area", args=["mombasa", ward])
    team = _report_table(client_for("analyst").get(url).content.decode())
    network = _report_table(client_for("member").get(url).content.decode())
    assert team[(year, "tension")] == str(n)
    assert network[(year, "tension")] in {"<5", "x", "–"}
    assert not any(v.isdigit() and 0 < int(v) < 5 for v in network.values())
    # Sensitive categories (hate speech, grievances about security forces…) stay with the city team.
    assert (year, "hate_speech") in team and (year, "security_grievance") in team
    assert not any(c in {"hate_speech", "security_grievance", "incident"} for _y, c in network)


def test_ward_page_and_api_publish_the_same_cells(city, client_for):
    """The issue's leak: the page and the API suppressed different cells of one table."""
    (ward, year), _n = _small_cell(city)
    for role in ("member", "peer", "national"):
        c = client_for(role)
        page = _report_table(c.get(reverse("mapping:area", args=["mombasa", ward])).content.decode())
        data = c.get(reverse("api-1:report_counts", args=["mombasa"]), {"year": year}).json()
        row = next(a for a in data["areas"] if a["code"] == ward)["counts"]
        assert data["suppressed"] is True and set(row) == {c for (y, c) in page if y == year and c}
        assert {c: str(v) for c, v in row.items()} == {c: v for (y, c), v in page.items() if y == year and c}


def test_api_report_counts_for_a_peer_publish_no_small_cell(city, client_for):
    year = CommunityReport.objects.filter(city=city).latest("date").date.year
    data = client_for("peer").get(reverse("api-1:report_counts", args=["mombasa"])).json()
    assert data["suppressed"] is True and data["year"] == year
    assert data["categories"] == ["tension", "grievance"]
    cells = [v for a in data["areas"] for v in a["counts"].values()]
    assert "<5" in cells
    assert not any(isinstance(v, int) and 0 < v < 5 for v in cells)
    own = client_for("analyst").get(reverse("api-1:report_counts", args=["mombasa"]), {"year": year}).json()
    assert own["suppressed"] is False
    assert own["totals"]["all"] == CommunityReport.objects.filter(city=city, date__year=year).count()
    span = client_for("analyst").get(reverse("api-1:report_counts", args=["mombasa"]),
                                     {"since": "2000-01-01", "until": "2100-01-01"}).json()
    assert span["totals"]["all"] == CommunityReport.objects.filter(city=city).count()


def test_outsiders_cannot_ask_for_overlapping_spans(client_for):
    """Two overlapping spans would give the counts of their difference by subtraction."""
    response = client_for("peer").get(reverse("api-1:report_counts", args=["mombasa"]), {"since": "2025-06-01"})
    assert response.status_code == 422 and "calendar year" in response.json()["detail"][0]["msg"]


def test_sensitive_series_stay_in_the_city_team(city, client_for):
    ward = "KE00100101"
    url = reverse("mapping:area", args=["mombasa", ward])
    assert "Residents who trust the police" in client_for("analyst").get(url).content.decode()
    for role in ("member", "national", "peer"):
        html = client_for(role).get(url).content.decode()
        assert "Youth unemployment rate" in html
        for sensitive in ("Residents who trust the police", "Hate speech incidents recorded", "Violent crime",
                          "unfair treatment by authorities"):
            assert sensitive not in html, (role, sensitive)
    data = client_for("member").get(reverse("api-1:list_observations", args=["mombasa"]),
                                    {"limit": 10000}).json()
    assert data["results"] and not {r["indicator"] for r in data["results"]} & {
        "trust-in-police", "hate-speech-incidents", "violent-crime", "unfair-treatment", "feel-safe-at-night"}
    codes = {i["code"] for i in client_for("member").get(reverse("api-1:list_indicators", args=["mombasa"])).json()}
    assert "youth-unemployment" in codes and "trust-in-police" not in codes


def test_a_city_can_publish_a_sensitive_theme(city, users, client_for):
    from tamasuk.mapping.models import Theme

    theme = Theme.objects.get(city=city, code="police-trust")
    services.update_theme(actor=users["coordinator"], theme=theme, name=theme.name, sensitivity="open")
    html = client_for("member").get(reverse("mapping:area", args=["mombasa", "KE00100101"])).content.decode()
    assert "Residents who trust the police" in html
    data = client_for("peer").get(reverse("api-1:report_counts", args=["mombasa"])).json()
    assert "security_grievance" in data["categories"]


def test_hotspot_page_finds_the_synthetic_clusters(client_for):
    html = client_for("analyst").get(reverse("mapping:hotspots", args=["mombasa"]),
                                     {"variable": "reports:", "since": "2024-01-01", "until": "2026-12-31"}
                                     ).content.decode()
    assert "Hot spot" in html
    assert "No ward is significantly hot or cold" not in html


def test_reports_list_is_the_city_teams_and_a_member_can_record_one(city, client_for):
    assert client_for("member").get(reverse("mapping:reports", args=["mombasa"])).status_code == 403
    response = client_for("member").post(reverse("mapping:new_report", args=["mombasa"]), {
        "category": "grievance", "date": "2026-10-01", "area": "KE00100201", "channel": "forum",
        "text": "water points closed"})
    assert response.status_code == 302
    assert CommunityReport.objects.filter(city=city, text="water points closed", area__code="KE00100201").exists()
    bad = client_for("member").post(reverse("mapping:new_report", args=["mombasa"]), {
        "category": "grievance", "date": "2026-10-01", "channel": "forum"})
    assert "Choose the area, or give a point inside it." in bad.content.decode()


def test_coordinator_adds_and_edits_an_indicator(city, client_for, events):
    from tamasuk.mapping.models import Theme

    theme = Theme.objects.get(city=city, code="housing")
    c = client_for("coordinator")
    response = c.post(reverse("mapping:indicators", args=["mombasa"]), {
        "code": "overcrowding", "name": "Overcrowded dwellings", "unit": "%", "direction": "worse",
        "theme": theme.pk, "source": "Census 2019", "hxl_tag": "#indicator+overcrowding"})
    assert response.status_code == 302
    ind = Indicator.objects.get(city=city, code="overcrowding")
    c.post(reverse("mapping:edit_indicator", args=["mombasa", "overcrowding"]), {
        "name": "Overcrowded dwellings", "unit": "% of dwellings", "direction": "worse", "theme": theme.pk,
        "source": "Census 2019", "opened": services.indicator_token(ind)})
    ind.refresh_from_db()
    assert ind.unit == "% of dwellings" and events() == 2
    dup = c.post(reverse("mapping:indicators", args=["mombasa"]), {
        "code": "overcrowding", "name": "x", "unit": "%", "direction": "worse", "theme": theme.pk})
    assert dup.status_code == 200 and Indicator.objects.filter(city=city, code="overcrowding").count() == 1


def test_an_indicator_with_a_denominator_is_ranked_as_a_rate(users, city, client_for):
    from tamasuk.mapping.models import Theme

    theme = Theme.objects.get(city=city, code="violence")
    population = services.create_indicator(actor=users["coordinator"], city=city, code="residents",
                                           name="Residents", unit="people", direction="better", theme=theme)
    services.create_indicator(actor=users["coordinator"], city=city, code="burglaries", name="Burglaries",
                              unit="reported", direction="worse", theme=theme, denominator=population)
    records, row = [], 1
    for ward in Area.objects.filter(city=city, level=2):
        count, people = 100.0, 10_000.0
        if ward.code == "KE00100101":
            count, people = 150.0, 100_000.0  # most burglaries, lowest rate
        if ward.code == "KE00100505":
            people = 1_000.0  # an average count in a small ward: the highest rate
        for code, value in [("burglaries", count), ("residents", people), ("food-insecurity", 50.0)]:
            row += 1
            records.append(obs(row, ward.code, code, value))
    assert services.import_observations(actor=users["coordinator"], city=city, records=records).ok
    url, params = _ranking_url(indicators=["burglaries", "food-insecurity"])
    html = client_for("analyst").get(url, params).content.decode()
    table = html[html.index('<table class="ranking">'):]
    codes = re.findall(r'<span class="code">(KE\d+)</span>', table)
    assert codes[0] == "KE00100505" and codes[-1] == "KE00100101"


def test_a_city_adds_its_own_theme(city, client_for):
    from tamasuk.mapping.models import Theme

    c = client_for("coordinator")
    response = c.post(reverse("mapping:indicators", args=["mombasa"]),
                      {"add_theme": "1", "new-code": "land", "new-name": "Land disputes", "new-group": "drivers",
                       "new-sensitivity": "city"})
    theme = Theme.objects.get(city=city, code="land")
    assert response.status_code == 302 and theme.name == "Land disputes" and theme.sensitivity == "city"
    dup = c.post(reverse("mapping:indicators", args=["mombasa"]),
                 {"add_theme": "1", "new-code": "land", "new-name": "Again", "new-group": "drivers",
                  "new-sensitivity": "open"})
    assert dup.status_code == 200 and Theme.objects.filter(city=city, code="land").count() == 1
    assert client_for("analyst").post(reverse("mapping:indicators", args=["mombasa"]), {
        "add_theme": "1", "new-code": "x", "new-name": "X", "new-group": "drivers"}).status_code == 302
    assert not Theme.objects.filter(city=city, code="x").exists()  # readers cannot write


def test_the_city_api_says_below_which_count_numbers_are_hidden(client_for):
    data = client_for("peer").get(reverse("api-1:get_city", args=["mombasa"])).json()
    assert data["small_count_threshold"] == 5 and "suppression_k" not in data
