"""Journey 3 in Chromium: a focal point edits only its own organisation; a coordinator allocates a campaign."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from test_browser import shot, sign_in

pytestmark = pytest.mark.browser


def test_a_focal_point_edits_its_own_organisation_only(server, page_in):
    page = page_in("en-GB")
    sign_in(page, server, "member", "member-demo-pass")
    page.wait_for_url(re.compile(r"/c/mombasa/organisations/\d+/$"))
    page.locator('.city-nav a[href="/c/mombasa/directory/"]').click()
    expect(page.locator("h1")).to_have_text("Who does what where")
    assert "Synthetic confidential address 7" not in page.content()
    # The member's own youth group offers "Edit"; find it by trying the youth groups in turn.
    own = None
    page.goto(server["url"] + "/c/mombasa/directory/?type=youth")
    for href in [a.get_attribute("href") for a in page.locator("ul.tiles a").all()]:
        page.goto(server["url"] + href)
        if page.get_by_role("link", name="Edit this organisation").count():
            own = href
            break
    assert own, "the member is the focal point of one youth group"
    page.get_by_role("link", name="Edit this organisation").click()
    page.fill("#id_description", "Football leagues and mentoring (edited in the browser).")
    page.locator("form button.primary").click()
    expect(page.get_by_text("Football leagues and mentoring (edited in the browser).")).to_be_visible()
    shot(page, "organisation-edited-en")
    page.goto(server["url"] + "/c/mombasa/directory/?type=health")
    others = [a.get_attribute("href") for a in page.locator("ul.tiles a").all()]
    page.goto(server["url"] + others[0])
    assert page.get_by_role("link", name="Edit this organisation").count() == 0
    response = page.goto(server["url"] + others[0] + "edit/")
    assert response.status == 403


def test_a_coordinator_runs_a_campaign_allocation(server, page_in):
    page = page_in("en-GB")
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.goto(server["url"] + "/c/mombasa/allocations/new/?sector=health")
    page.fill("#total", "3000")
    page.locator("form button.primary").first.click()
    rows = page.locator("table.allocation tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == 30
    expect(rows.first.locator("td").first).to_have_text("1")
    assert "of 3000 units allocated" in page.locator("h2").first.inner_text()
    page.fill("#name", "Vaccination week (browser)")
    page.get_by_role("button", name="Save allocation").click()
    page.wait_for_url(re.compile(r"/allocations/\d+/$"))
    expect(page.locator("h1")).to_have_text("Vaccination week (browser)")
    page.get_by_role("button", name="Attach").click()
    expect(page.get_by_text("Attached to the meeting's decisions.")).to_be_visible()
    shot(page, "allocation-en")
