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


THREEW_HEAD = ("Organisation,Type,Sector,Activity,Ward,Women,Men,Total\r\n"
               "#org,#org+type,#sector,#subsector,#adm2+code,#reached+f,#reached+m,#reached+total\r\n")


def _sheet(org: str, first_sector: str = "Education") -> bytes:
    return (THREEW_HEAD + f"{org},NGO,{first_sector},Homework club,KE00100101,4,3,7\r\n"
            f"{org},NGO,WASH,,KE00100102,,,\r\n").encode()


def _upload_sheet(page, server, name: str, data: bytes, button: str = "Upload and check"):
    page.goto(server["url"] + "/c/mombasa/imports/threew/")
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.locator("form.import-upload button.primary").click()
    page.wait_for_url(re.compile(r"/c/mombasa/imports/\d+/$"))


def test_a_coordinator_imports_a_3w_sheet_through_the_import_pipeline(server, page_in):
    page = page_in("en-GB")
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.goto(server["url"] + "/c/mombasa/directory/")
    page.get_by_role("link", name="import a 3W/4W sheet").click()
    page.wait_for_url(re.compile(r"/c/mombasa/imports/threew/$"))
    expect(page.locator("h1")).to_contain_text("3W/4W sheet")

    # A mistake: the worker's dry run lists it by row, column and value, and offers no confirmation.
    _upload_sheet(page, server, "partners.csv", _sheet("Browser Reading Club", "Educaton"))
    errors = page.locator("table.errors-table")
    expect(errors).to_be_visible(timeout=60_000)  # htmx reloads the page once the worker is done
    row = errors.locator("tbody tr").first
    expect(row.locator("td").nth(0)).to_have_text("3")
    expect(row.locator("td").nth(1)).to_have_text("C (Sector)")
    expect(row.locator("td").nth(2)).to_have_text("Educaton")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)

    # The corrected sheet: an organisation and two services, listed with their sector and wards; confirmed.
    _upload_sheet(page, server, "partners.csv", _sheet("Browser Reading Club"))
    expect(page.locator(".count-new")).to_have_text("3", timeout=60_000)
    expect(page.locator(".count-errors")).to_have_text("0")
    expect(page.locator("table.new-organisations")).to_contain_text("Browser Reading Club")
    expect(page.locator("table.new-services")).to_contain_text("Homework club")
    expect(page.locator("table.new-services")).to_contain_text("Water and sanitation")
    shot(page, "directory-import-dry-run-en")
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible(timeout=60_000)
    expect(page.locator(".import-summary")).to_contain_text(
        "Imported partners.csv: 1 new organisations, 2 new services, 0 services changed.")
    page.get_by_role("link", name="See the directory").click()
    page.wait_for_url(re.compile(r"/c/mombasa/directory/$"))
    expect(page.get_by_text("Browser Reading Club").first).to_be_visible()


def test_the_3w_dry_run_page_in_arabic(server, page_in):
    page = page_in("ar")
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    _upload_sheet(page, server, "شركاء.csv", _sheet("نادي القراءة في بواني"))
    expect(page.locator(".count-new")).to_have_text(re.compile("^[3٣]$"), timeout=60_000)  # the city's digits
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.locator("table.new-organisations")).to_contain_text("نادي القراءة في بواني")
    shot(page, "directory-import-dry-run-ar")
