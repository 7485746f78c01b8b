"""Journey 2.2–2.3 in Chromium when a new year brings data for only some wards (issue 10, item 2).

A coordinator opens Priorities: the page opens on the latest year with enough data, not the thin new one. Ranking
the thin year shows how little it stands on; saving it is refused with the numbers, then saved flagged when the
coordinator ticks "save anyway"; the flag follows the profile to a ward's page. English and Arabic.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from conftest import ROOT
from test_browser import shot, sign_in

pytestmark = pytest.mark.browser

THIN_YEAR = "2031"
# Two indicators for the first ten wards, imported as the coordinator would (dry run, then import).
SEED = f"""
import datetime as dt
from django.contrib.auth import get_user_model
from tamasuk.cities.models import Area, City
from tamasuk.mapping import services
city = City.objects.get(slug="mombasa")
wards = list(Area.objects.filter(city=city, level=2).order_by("code"))[:10]
records = [services.ObservationInput(row=2 + 2 * k + j, area=w.code, indicator=code, period="{THIN_YEAR}",
                                     period_start=dt.date({THIN_YEAR}, 1, 1), period_end=dt.date({THIN_YEAR}, 12, 31),
                                     value=20.0 + 3 * k + 5 * j)
           for k, w in enumerate(wards) for j, code in enumerate(["food-insecurity", "youth-unemployment"])]
summary = services.import_observations(actor=get_user_model().objects.get(username="coordinator"), city=city,
                                       records=records, source_name="thin-year.csv")
assert summary.ok, summary.errors
"""
# The thin year leaves the shared demo server as it found it, for the other browser tests.
CLEAN = f"""
from tamasuk.mapping.models import Observation
Observation.objects.filter(city__slug="mombasa", period="{THIN_YEAR}").delete()
"""


def _shell(server, script):
    subprocess.run([sys.executable, "-m", "tamasuk", "shell", "-c", script], env=server["env"], cwd=ROOT,
                   capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def thin_year(server):
    _shell(server, SEED)
    yield THIN_YEAR
    _shell(server, CLEAN)


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_a_thin_year_is_not_the_default_shows_its_coverage_and_is_saved_only_flagged(server, page_in, thin_year,
                                                                                     locale):
    page = page_in(locale)
    sign_in(page, server, "coordinator", "coordinator-demo-pass")
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.locator('.city-nav a[href="/c/mombasa/priorities/"]').click()
    period = page.locator("#id_period")
    # The new year is offered, marked as thin, but the page opens on the latest year with enough data.
    assert period.input_value() != thin_year
    assert "4 %" in period.locator(f'option[value="{thin_year}"]').inner_text()

    # Journey 2.2: rank the wards on the thin year → a warning, and what the ranking stands on.
    page.select_option("#id_period", thin_year)
    page.select_option("#id_preset", "basic-needs-first")
    page.locator("form.priorities-form button.primary").click()
    expect(page.locator(".low-coverage[role=alert]")).to_be_visible()
    expect(page.locator("section.coverage")).to_contain_text("20")
    expect(page.locator("section.coverage")).to_contain_text("420")
    expect(page.locator('.coverage-table tr[data-indicator="food-insecurity"]')).to_contain_text("10")
    rows = page.locator("table.ranking tbody tr")
    expect(rows).to_have_count(30)
    assert page.locator("td.ward-coverage .badge").count() == 20  # wards with no value at all
    # A ward without data has no "main driver": only its gaps, named as the city average.
    empty_ward = page.locator("table.ranking tbody tr", has=page.locator("td.ward-coverage .badge")).first
    assert empty_ward.locator("ol.drivers li").count() == 0
    expect(empty_ward.locator(".no-data")).to_be_visible()
    if locale == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
    shot(page, f"priorities-thin-{locale}")

    # Journey 2.3: saving is refused with the numbers…
    name = f"Thin year ({locale})"
    page.fill("#id_name", name)
    page.locator("form[action$='/priorities/save/'] button.primary").click()
    refusal = page.locator(".messages li.error")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("70")
    assert "/profiles/" not in page.url
    shot(page, f"priorities-thin-refused-{locale}")
    # …then saved, flagged, when the coordinator ticks "save anyway".
    page.fill("#id_name", name)
    page.check("#id_save_low_coverage")
    page.locator("form[action$='/priorities/save/'] button.primary").click()
    page.wait_for_url(re.compile(r"/c/mombasa/profiles/\d+/$"))
    expect(page.locator("h1 .low-coverage-flag")).to_be_visible()
    expect(page.locator(".low-coverage[role=alert]")).to_be_visible()
    shot(page, f"profile-thin-flagged-{locale}")
    page.locator('.city-nav a[href="/c/mombasa/profiles/"]').click()
    expect(page.locator("tr", has=page.get_by_role("link", name=name)).locator(".badge")).to_be_visible()

    # The ward's page shows its rank in the profile with the flag and its own coverage.
    page.get_by_role("link", name=name).click()
    page.locator("table.ranking tbody tr").first.locator("td a").first.click()
    page.wait_for_url(re.compile(r"/c/mombasa/areas/KE\d+/$"))
    item = page.locator("li", has=page.get_by_role("link", name=name))
    expect(item.locator(".badge")).to_be_visible()
    expect(item.locator(".rank-coverage")).to_be_visible()
    shot(page, f"ward-thin-profile-{locale}")
