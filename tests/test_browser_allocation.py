"""Journey 3, step 5 in Chromium: a campaign allocation for another sector than health, in the campaign's own unit,
attached to a meeting's decision, which then shows the wards and amounts on the meeting page and in the minutes."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS
from test_browser import shot, sign_in

pytestmark = pytest.mark.browser
WESTERN = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_allocate_places_for_youth_and_cite_it_in_a_meeting(server, page_in, locale, tmp_path):
    page = page_in(locale)
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.locator('.city-nav a[href="/c/mombasa/directory/"]').click()
    page.locator("a[href='/c/mombasa/allocations/new/']").click()
    page.wait_for_url(re.compile(r"/allocations/new/$"))
    page.evaluate("window.__sameDocument = true")

    health = set(page.locator("#participants input[type=checkbox]").evaluate_all("els => els.map(e => e.name)"))
    # Choosing the sector redraws the organisations in place (htmx): the youth organisations, all ticked.
    page.select_option("#sector", "youth")
    expect(page.locator("#participants input[name=listed_sector]")).to_have_value("youth")
    youth = set(page.locator("#participants input[type=checkbox]").evaluate_all("els => els.map(e => e.name)"))
    assert youth and youth != health
    expect(page.locator("#participants input[type=checkbox]:not(:checked)")).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true")

    page.fill("#unit", "places")
    page.fill("#total", "3000")
    page.fill("#rate", "0.05")
    page.locator("form.allocation-inputs button.primary").click()
    heading = page.locator("h2.allocated")
    expect(heading).to_be_visible()
    assert int(heading.get_attribute("data-allocated")) > 0  # never "0 of 3000" because the list was stale
    assert heading.get_attribute("data-total") == "3000"
    expect(heading).to_contain_text("places")
    expect(page.locator("table.allocation thead")).to_contain_text("places")
    shot(page, f"allocation-form-{locale}")

    name = f"Youth centre places ({locale})"
    page.fill("#name", name)
    page.locator("form[method=post] button.primary").click()
    page.wait_for_url(re.compile(r"/allocations/\d+/$"))
    allocation_id = page.url.rstrip("/").rsplit("/", 1)[1]
    page.fill("#text", f"Open the youth centres in the wards of highest need ({locale})")
    page.locator("form.card button.primary").click()
    page.locator("a[href*='/meetings/']").first.click()
    page.wait_for_url(re.compile(r"/meetings/\d+/$"))

    cited = page.locator(f".decision-allocation[data-allocation='{allocation_id}']")
    expect(cited).to_be_visible()
    rows = cited.locator("table.allocation-cited tbody tr")
    assert rows.count() > 0
    expect(cited).to_contain_text("places")
    shot(page, f"allocation-meeting-{locale}")

    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed: the PDF was not checked")
    with page.expect_download() as info:
        page.locator("p.downloads a[href$='minutes.pdf']").first.click()
    path = tmp_path / "minutes.pdf"
    info.value.save_as(path)
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(ARTIFACTS / f"allocation-minutes-{locale}")],
                   check=True)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    # pdftotext writes Arabic in visual order with direction marks: compare the allocation's name and the first
    # ward's code, digits folded to Western ones.
    def packed(t):
        t = re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", t).translate(WESTERN)
        return "".join(t.split()).replace("-", "")

    assert packed(name) in packed(text), text
    first_code = rows.first.locator(".code").inner_text()
    assert packed(first_code) in packed(text), text
    assert "places" in text
