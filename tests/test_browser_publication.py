"""What leaves the city team, in Chromium: a focal point reads a ward's published counts and open themes only;
the coordinator decides that a sensitive theme may be shared, and the focal point then sees it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from test_browser import shot, sign_in

pytestmark = pytest.mark.browser

WARD = "/c/mombasa/areas/KE00100301/"
TRUST = "Residents who trust the police"


def _set_theme(server, page, theme_name: str, sensitivity: str):
    page.goto(server["url"] + "/c/mombasa/indicators/")
    card = page.locator("section.card", has=page.locator("h2", has_text=theme_name))
    card.locator("select[name$='-sensitivity']").select_option(sensitivity)
    card.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Theme saved.")).to_be_visible()


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_a_focal_point_sees_published_counts_and_open_themes_only(server, page_in, locale):
    page = page_in(locale)
    sign_in(page, server, "member", "member-demo-pass")
    page.wait_for_url(re.compile(r"/c/mombasa/organisations/\d+/$"))
    page.goto(server["url"] + WARD)
    table = page.locator('table[data-dataset="report-counts"]')
    expect(table).to_be_visible()
    categories = table.locator("thead th[data-category]")
    # Tension, grievance and their sum: hate speech, incidents and grievances about security forces stay inside.
    expect(categories).to_have_count(3)
    cells = [t.strip() for t in table.locator("tbody td").all_inner_texts()]
    assert cells and all(c in {"<5", "x", "–"} or (c.isdigit() and (int(c) == 0 or int(c) >= 5)) for c in cells)
    series = page.locator("table.series tbody tr")
    expect(series.first).to_be_visible()
    assert page.locator("table.series").inner_text().count("%") >= 5
    if locale == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
        # Markers keep their order inside a right-to-left page ("<5", not "5>").
        assert table.locator("bdi[dir=ltr]").first.inner_text().strip() in {"<5", "x", "–"} or \
            table.locator("bdi[dir=ltr]").first.inner_text().strip().isdigit()
    else:
        assert TRUST not in page.content()
    shot(page, f"ward-published-{locale}")


def test_the_coordinator_shares_a_sensitive_theme_and_the_network_sees_it(server, page_in):
    coordinator = page_in("en-GB")
    sign_in(coordinator, server, "coordinator", "coordinator-demo-pass")
    coordinator.wait_for_url(re.compile(r"/c/mombasa/$"))
    member = page_in("en-GB")
    sign_in(member, server, "member", "member-demo-pass")
    member.wait_for_url(re.compile(r"/c/mombasa/organisations/\d+/$"))
    member.goto(server["url"] + WARD)
    assert TRUST not in member.content()
    _set_theme(server, coordinator, "Trust in police", "open")
    try:
        shot(coordinator, "indicators-theme-shared")
        member.goto(server["url"] + WARD)
        expect(member.get_by_role("cell", name=TRUST, exact=True)).to_be_visible()
        # Grievances about security forces belong to the same theme: their counts are now published too.
        expect(member.locator('table[data-dataset="report-counts"] th[data-category="security_grievance"]')
               ).to_be_visible()
    finally:
        _set_theme(server, coordinator, "Trust in police", "city")
    member.goto(server["url"] + WARD)
    assert TRUST not in member.content()
