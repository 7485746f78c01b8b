"""Journey 2 in Chromium: rank the wards, save a profile, open a ward's profile — in English and Arabic."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from test_browser import shot, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_rank_wards_save_a_profile_and_open_a_ward(server, page_in, locale):
    page = page_in(locale)
    sign_in(page, server, "analyst", "analyst-demo-pass")
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.locator('.city-nav a[href="/c/mombasa/priorities/"]').click()
    page.select_option("#id_preset", "basic-needs-first")
    page.locator("form.priorities-form button.primary").click()
    rows = page.locator("table.ranking tbody tr")
    expect(rows).to_have_count(30)
    first = rows.first
    expect(first.locator("td").first).to_have_text("1")
    expect(first.locator("ol.drivers li")).to_have_count(3)
    assert page.locator("figure.map svg a").count() == 30
    assert page.locator("figure.chart svg").count() == 1
    if locale == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert re.search(r"[\u0600-\u06FF]", page.locator("h1").inner_text())
    shot(page, f"priorities-{locale}")
    top_ward = first.locator("td a").first.inner_text()
    name = f"Basic needs first ({locale})"
    page.fill("#id_name", name)
    page.locator("form[action$='/priorities/save/'] button.primary").click()
    page.wait_for_url(re.compile(r"/c/mombasa/profiles/\d+/$"))
    expect(page.locator("h1")).to_have_text(name)
    page.locator('.city-nav a[href="/c/mombasa/profiles/"]').click()
    expect(page.get_by_role("link", name=name)).to_be_visible()
    page.get_by_role("link", name=name).click()
    page.locator("table.ranking tbody tr").first.locator("td a").first.click()
    page.wait_for_url(re.compile(r"/c/mombasa/areas/KE\d+/$"))
    assert top_ward in page.locator("h1").inner_text()
    expect(page.locator("table.series tbody tr").first).to_be_visible()
    assert page.locator("table.series svg").count() >= 10  # a sparkline per indicator
    expect(page.get_by_text(name)).to_be_visible()  # its rank in the saved profile
    shot(page, f"ward-profile-{locale}")
