"""Priorities never rank silently on thin data (issue 10, item 2).

The scenario of the issue: a new year arrives with 2 indicators for 10 of the city's 30 wards. The page must not
open on it, must show what each ranking stands on (per indicator, per ward), must refuse to save it as a profile
(or save it visibly flagged, when a coordinator says so), and must never present a city average standing in for a
missing value as what drives a ward's need.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from tamasuk.analysis import index as engine
from tamasuk.audit.models import AuditEvent
from tamasuk.cities.models import Area
from tamasuk.mapping import services
from tamasuk.mapping.models import Indicator, PriorityProfile

NEW_YEAR = "2031"
THIN = ["food-insecurity", "youth-unemployment"]


def _latest_full_period(city) -> str:
    from tamasuk.mapping.models import Observation

    return max(Observation.objects.filter(city=city).exclude(period=NEW_YEAR).values_list("period", flat=True))


@pytest.fixture
def thin_year(users, city):
    """2 indicators × 10 of the 30 wards, for a year nobody has any other figure for."""
    wards = list(Area.objects.filter(city=city, level=2).order_by("code"))[:10]
    records, row = [], 1
    for k, ward in enumerate(wards):
        for code in THIN:
            row += 1
            records.append(services.ObservationInput(
                row=row, area=ward.code, indicator=code, period=NEW_YEAR, period_start=dt.date(2031, 1, 1),
                period_end=dt.date(2031, 12, 31), value=20.0 + 3 * k + (5 if code == THIN[0] else 0)))
    assert services.import_observations(actor=users["coordinator"], city=city, records=records).ok
    return [w.code for w in wards]


def _params(period=NEW_YEAR, indicators=None, city=None):
    codes = indicators or list(Indicator.objects.filter(city=city).values_list("code", flat=True))
    return {"period": period, "preset": "balanced", "normalisation": "minmax", "aggregation": "arithmetic",
            "impute": "mean", "indicators": codes}


def _rows(html: str) -> dict[str, str]:
    """The ranking table's rows by ward code."""
    table = html[html.index('<table class="ranking">'):]
    table = table[:table.index("</table>")]
    body = table[table.index("<tbody>"):]
    rows = re.findall(r"<tr[^>]*>.*?</tr>", body, re.S)
    return {re.search(r'class="code">([^<]+)<', row).group(1): row for row in rows}


def _selected_period(html: str) -> str:
    select = html[html.index('name="period"'):]
    select = select[:select.index("</select>")]
    return re.search(r'<option value="([^"]+)"[^>]*selected', select).group(1)


def test_the_page_opens_on_the_latest_period_with_enough_data_and_says_which_are_thin(city, thin_year, client_for):
    html = client_for("analyst").get(reverse("mapping:priorities", args=["mombasa"])).content.decode()
    assert _selected_period(html) == _latest_full_period(city) != NEW_YEAR
    option = re.search(rf'<option value="{NEW_YEAR}"[^>]*>([^<]+)<', html).group(1)
    assert "too few to rank" in option and "4 %" in option  # 20 of 14 × 30 values: 4.8 %, rounded down


def test_the_citys_threshold_decides_which_period_is_enough(city, thin_year, client_for):
    city.coverage_threshold = 4
    city.save(update_fields=["coverage_threshold"])
    html = client_for("analyst").get(reverse("mapping:priorities", args=["mombasa"])).content.decode()
    assert _selected_period(html) == NEW_YEAR


def test_a_thin_ranking_shows_its_coverage_per_indicator_and_per_ward(city, thin_year, client_for):
    html = client_for("analyst").get(reverse("mapping:priorities", args=["mombasa"]),
                                     _params(city=city)).content.decode()
    assert re.search(r'class="notice low-coverage" role="alert"', html)
    assert "20 of 420 ward × indicator values are present" in html and "70 %" in html
    per_indicator = dict(re.findall(r'<tr data-indicator="([^"]+)"><td>[^<]*</td><td>([^<]+)</td>', html))
    assert per_indicator["food-insecurity"] == "10 of 30" and per_indicator["trust-in-police"] == "0 of 30"
    rows = _rows(html)
    assert len(rows) == 30
    for code, row in rows.items():
        present = 2 if code in thin_year else 0
        assert f"{present} of 14 indicators" in row
        assert ('<span class="badge warn">no data</span>' in row) == (present == 0)
        assert f"No data for {14 - present} indicators — city average used" in row  # the gaps, named inside


def test_a_driver_is_never_a_value_the_ward_does_not_have(city, thin_year, client_for):
    html = client_for("analyst").get(reverse("mapping:priorities", args=["mombasa"]),
                                     _params(city=city)).content.decode()
    rows = _rows(html)
    assert len(rows) == 30
    for code, row in rows.items():
        drivers = re.findall(r"<li[^>]*>(.*?)</li>", row, re.S)
        for d in drivers:  # each driver shows the ward's own value; none stands in for a gap unmarked
            assert re.search(r"\(\d+\.\d %\)", d) or "no data — city average used" in d, (code, d)
        if code not in thin_year:
            assert drivers == []  # nothing drives a ward with no data: it only sits at the average
            assert "Households with insufficient food" in row  # …and its gaps are named


def test_a_thin_ranking_is_not_saved_unless_a_coordinator_flags_it(city, users, thin_year, client_for):
    url = reverse("mapping:save_profile", args=["mombasa"])
    params = _params(city=city)
    start = PriorityProfile.objects.count()
    # An analyst cannot save it at all, even asking to flag it; the page says why, with the numbers.
    analyst = client_for("analyst")
    response = analyst.post(url, {**params, "name": "Thin, analyst", "save_low_coverage": "on"}, follow=True)
    text = response.content.decode()
    assert PriorityProfile.objects.count() == start
    assert "only 4 % of ward × indicator values are present" in text and "minimum of 70 %" in text
    # A coordinator is refused too unless they tick "save anyway".
    coordinator = client_for("coordinator")
    coordinator.post(url, {**params, "name": "Thin, unticked"})
    assert PriorityProfile.objects.count() == start
    page = coordinator.get(reverse("mapping:priorities", args=["mombasa"]), params).content.decode()
    assert 'name="save_low_coverage"' in page
    assert 'name="save_low_coverage"' not in analyst.get(reverse("mapping:priorities", args=["mombasa"]),
                                                         params).content.decode()
    coordinator.post(url, {**params, "name": "Thin, flagged", "save_low_coverage": "on"})
    profile = PriorityProfile.objects.get(name="Thin, flagged")
    assert profile.low_coverage
    event = AuditEvent.objects.filter(action="profile.save").order_by("-pk").first()
    assert event.after_value["low_coverage"] is True and event.after_value["coverage"] == pytest.approx(4.8, abs=0.05)
    assert event.after_value["coverage_threshold"] == 70

    # The flag follows the profile: its page, the list, the ward page, the API, exports, a decision citing it.
    page = coordinator.get(reverse("mapping:profile", args=["mombasa", profile.pk])).content.decode()
    assert "low-coverage-flag" in page and "20 of 420 ward × indicator values are present" in page
    assert "low data coverage" in coordinator.get(reverse("mapping:profiles", args=["mombasa"])).content.decode()
    ward = coordinator.get(reverse("mapping:area", args=["mombasa", thin_year[0]])).content.decode()
    item = ward[ward.index("Thin, flagged"):][:600]
    assert "low data coverage" in item and "data for 2 of 14 indicators" in item
    from tamasuk.api.services import create_token

    _token, secret = create_token(actor=users["analyst"], name="coverage")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    listed = {p["name"]: p for p in api.get("/api/v1/cities/mombasa/profiles").json()}
    assert listed["Thin, flagged"]["low_coverage"] is True
    assert listed["Thin, flagged"]["coverage"]["share"] == pytest.approx(20 / 420, abs=1e-6)
    one = api.get(f"/api/v1/cities/mombasa/profiles/{profile.pk}").json()
    assert one["low_coverage"] is True and one["coverage"]["sufficient"] is False
    ranked = {r["code"]: r for r in one["results"]["areas"]}
    assert ranked[thin_year[0]]["coverage"] == {"present": 2, "of": 14, "share": pytest.approx(2 / 14, abs=1e-6)}
    assert all(not d["imputed"] for r in ranked.values() for d in r["drivers"])
    geo = coordinator.get(reverse("mapping:profile_geojson", args=["mombasa", profile.pk])).json()
    assert geo["low_coverage"] is True
    csv_text = coordinator.get(reverse("mapping:profile_csv", args=["mombasa", profile.pk])).content.decode()
    assert "#meta+low_coverage" in csv_text and ",yes" in csv_text

    from tamasuk.network.coordination import services as forum_services
    from tamasuk.network.models import Forum

    forum = Forum.objects.filter(city=city).first()
    meeting = forum_services.record_meeting(
        actor=users["coordinator"], forum=forum, date=dt.date.today(), people_present=5, agenda="Where first",
        decisions=[forum_services.DecisionInput(text="Start with the first wards", profile=profile)], action_items=[])
    shown = coordinator.get(reverse("network:meeting", args=["mombasa", meeting.pk])).content.decode()
    cite = shown[shown.index("Thin, flagged"):][:400]
    assert "low data coverage" in cite
    minutes = coordinator.get(reverse("network:minutes_md", args=["mombasa", meeting.pk])).content.decode()
    assert "Low data coverage" in minutes


def test_a_well_covered_ranking_saves_unflagged_with_its_coverage(city, users, client_for):
    period = _latest_full_period(city)
    c = client_for("analyst")
    c.post(reverse("mapping:save_profile", args=["mombasa"]), {**_params(period, city=city), "name": "Full year"})
    profile = PriorityProfile.objects.get(name="Full year")
    assert not profile.low_coverage and profile.results["coverage"]["sufficient"]
    event = AuditEvent.objects.filter(action="profile.save").order_by("-pk").first()
    assert "low_coverage" not in event.after_value and event.after_value["coverage"] >= 70
    page = c.get(reverse("mapping:profile", args=["mombasa", profile.pk])).content.decode()
    assert "ward × indicator values are present" in page and "low-coverage-flag" not in page


def test_the_robustness_numbers_are_explained_in_plain_words(city, client_for):
    html = client_for("analyst").get(reverse("mapping:priorities", args=["mombasa"]),
                                     _params(_latest_full_period(city), city=city)).content.decode()
    assert "In 9 runs out of 10 the ward's rank stayed between the two numbers shown" in html
    assert "from 0 (no effect) to 1" in html


def test_profiles_saved_before_coverage_was_kept_are_flagged_from_their_missing_counts(city, users, client_for):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("tamasuk.mapping.migrations.0004_profile_low_coverage")
    areas = [{"code": a.code, "rank": k + 1, "score": 50.0, "rank_low": 1, "rank_high": 30, "name": a.name,
              "names": {}, "drivers": [{"code": "a", "name": "Missing one", "value": None, "unit": "%"}]}
             for k, a in enumerate(Area.objects.filter(city=city, level=2).order_by("code"))]
    old = {"areas": areas, "missing": {"a": 25, "b": 5}, "sensitivity": [],
           "indicators": [{"code": "a", "name": "Missing one"}, {"code": "b", "name": "Mostly there"}]}
    fine = {**old, "missing": {"a": 3, "b": 0}}
    thin = PriorityProfile.objects.create(city=city, name="old thin", period="2020", spec={}, results=old,
                                          created_by=users["analyst"])
    full = PriorityProfile.objects.create(city=city, name="old full", period="2020", spec={}, results=fine,
                                          created_by=users["analyst"])
    migration.flag_profiles_saved_on_thin_data(apps, None)
    thin.refresh_from_db()
    full.refresh_from_db()
    assert thin.low_coverage and not full.low_coverage  # 30 of 60 values; 57 of 60
    page = client_for("analyst").get(reverse("mapping:profile", args=["mombasa", thin.pk])).content.decode()
    assert "30 of 60 ward × indicator values are present" in page and "low-coverage-flag" in page
    assert "no data — city average used" in page  # its drivers without a value are marked


def test_engine_coverage_and_drivers_leave_out_imputed_values():
    X = np.array([[1.0, np.nan, 3.0], [2.0, 5.0, np.nan], [np.nan, np.nan, np.nan], [4.0, 1.0, 2.0]])
    cov = engine.coverage(X, threshold=0.7)
    assert cov.share == pytest.approx(7 / 12) and not cov.sufficient
    assert cov.by_indicator.tolist() == pytest.approx([0.75, 0.5, 0.5])
    assert cov.by_unit.tolist() == pytest.approx([2 / 3, 2 / 3, 0.0, 1.0])
    assert engine.coverage(X, threshold=0.5).sufficient
    spec = engine.IndexSpec((engine.Node("index", 2), *(engine.Node(c, 1, parent="index") for c in "abc")))
    result = engine.compute(X, spec, engine.IndexOptions(impute="mean"))
    assert [d.imputed for d in result.top_drivers(2, n=3)] == [True, True, True]
    assert result.top_drivers(2, n=3, observed_only=True) == []
    observed = result.top_drivers(0, n=3, observed_only=True)
    assert {d.code for d in observed} == {"a", "c"} and not any(d.imputed for d in observed)
