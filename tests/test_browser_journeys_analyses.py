"""Journeys 2.5, 3.2 and 3.3 in Chromium, on the demo city exactly as `make run` loads it (`serve --init`):
hotspots of hate-speech reports last quarter, coverage gaps for a sector, and the network drawing with its
bridging organisations and sectors that never talk. The demo's data is dated from the day it is loaded, so
these analyses have something true to show on any day."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from test_browser import shot, sign_in

pytestmark = pytest.mark.browser


def _number(text: str) -> float:
    return float(text.strip().replace("\u2212", "-").replace(",", ""))


def test_hotspots_show_wards_significantly_hot_or_cold_for_hate_speech_last_quarter(server, page_in):
    page = page_in("en-GB")
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.locator('.city-nav a[href="/c/mombasa/hotspots/"]').click()
    expect(page.locator("h1")).to_have_text("Hot and cold spots")
    # The default: hate-speech reports over the last three months, up to today.
    expect(page.locator("#id_variable")).to_have_value("reports:hate_speech")
    period = page.get_by_text(re.compile(r"^Reports from ")).inner_text()
    assert dt.date.today().strftime("%Y") in period
    rows = page.locator("section table tbody tr")
    classes = [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())]
    assert any(c.startswith("Hot spot") for c in classes), classes
    assert any(c.startswith("Cold spot") for c in classes), classes
    for i, label in enumerate(classes):
        z = _number(rows.nth(i).locator("td").nth(2).inner_text())
        p = _number(rows.nth(i).locator("td").nth(3).inner_text())
        # Hot means above the neighbourhood's expectation, cold below; significant after the FDR correction.
        assert (z > 0) == label.startswith("Hot spot"), (label, z)
        assert p <= 0.10
    # The map colours the same wards, and the numbers are explained in plain words beside them.
    assert page.locator("figure.map svg a").count() == 30
    explain = page.locator('[data-explain="hotspots"]')
    expect(explain).to_contain_text("false discovery rate")
    expect(explain).to_contain_text("by luck alone")
    shot(page, "journey-2-5-hotspots-en")

    arabic = page_in("ar")
    sign_in(arabic, server)
    arabic.wait_for_url(re.compile(r"/c/mombasa/$"))
    arabic.goto(server["url"] + "/c/mombasa/hotspots/")
    assert arabic.locator("html").get_attribute("dir") == "rtl"
    assert arabic.locator("section table tbody tr").count() == rows.count()
    shot(arabic, "journey-2-5-hotspots-ar")


def test_coverage_gaps_show_wards_of_high_need_and_low_service_on_a_map_and_a_list(server, page_in):
    page = page_in("en-GB")
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.goto(server["url"] + "/c/mombasa/directory/")
    page.get_by_role("link", name="Coverage gaps").click()
    expect(page.locator("h1")).to_have_text("High need, low coverage")
    page.select_option("#sector", "health")
    page.locator("form button.primary").click()
    expect(page.locator("#sector")).to_have_value("health")
    rows = page.locator("section table tbody tr")
    assert rows.count() >= 10
    cells = [[rows.nth(i).locator("td").nth(k).inner_text() for k in range(5)] for i in range(rows.count())]
    need = [_number(c[1]) for c in cells]
    capacity = [_number(c[2].split("(")[0]) for c in cells]
    gap = [_number(c[4]) for c in cells]
    # The list is ordered by gap, and its head is a ward of high need with (almost) no health service.
    assert gap == sorted(gap, reverse=True)
    assert need[0] >= sorted(need)[len(need) // 2] and capacity[0] <= sorted(capacity)[len(capacity) // 2]
    flagged = page.locator("section table tbody tr.overdue")
    assert flagged.count() >= 1, "wards of high need and low coverage are marked"
    # The same wards on the map: every ward is drawn, and links to its page.
    assert page.locator("figure.map svg a").count() == 30
    shot(page, "journey-3-2-coverage-en")
    arabic = page_in("ar")
    sign_in(arabic, server)
    arabic.wait_for_url(re.compile(r"/c/mombasa/$"))
    arabic.goto(server["url"] + "/c/mombasa/coverage/?sector=health")
    assert arabic.locator("section table tbody tr").count() == rows.count()
    shot(arabic, "journey-3-2-coverage-ar")


def test_the_network_drawing_shows_bridging_organisations_and_sectors_that_never_talk(server, page_in):
    page = page_in("en-GB")
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.goto(server["url"] + "/c/mombasa/directory/")
    page.get_by_role("link", name="The network drawing").click()
    expect(page.locator("h1")).to_have_text("The prevention network")
    lead = page.locator("p.lead").inner_text()
    n_orgs = int(re.search(r"(\d+) organisations", lead).group(1))
    drawing = page.locator("figure.network > svg")
    assert drawing.locator("circle").count() == n_orgs
    assert drawing.locator("line").count() == int(re.search(r"(\d+) links", lead).group(1)) > 0
    # Bridging organisations: named, linked to their page, ringed in the drawing, each with who it holds on.
    items = page.locator("h2:has-text('Organisations that bridge groups') + ul li")
    assert items.count() >= 1
    expect(items.first).to_contain_text("would be cut off without it")
    cut_off = [int(re.search(r"(\d+) organisations? would be cut off", items.nth(i).inner_text()).group(1))
               for i in range(items.count())]
    assert max(cut_off) >= 2
    assert drawing.locator('circle[stroke="#000"]').count() == items.count()
    # Sectors that never talk: the demo's health providers and community safety (police, national agencies).
    sectors = page.locator("h2:has-text('Sectors with no link between them') ~ ul").first
    expect(sectors).to_contain_text("Health — Community safety")
    expect(page.locator('[data-explain="betweenness"]')).to_contain_text("shortest paths")
    shot(page, "journey-3-3-network-en")
    arabic = page_in("ar")
    sign_in(arabic, server)
    arabic.wait_for_url(re.compile(r"/c/mombasa/$"))
    arabic.goto(server["url"] + "/c/mombasa/network/")
    assert arabic.locator("figure.network > svg circle").count() == n_orgs
    shot(arabic, "journey-3-3-network-ar")
