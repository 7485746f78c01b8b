"""Journey 1 in a real browser (Debian's Chromium) against `tamasuk serve --init` on a fresh database."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def sign_in(page, server, username="coordinator", password="coordinator-demo-pass"):
    page.goto(server["url"] + "/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_sign_in_open_the_map_and_click_a_ward(server, page_in):
    page = page_in("en-GB")
    page.goto(server["url"] + "/")
    assert page.locator("h1").inner_text() == "Sign in"
    assert "Synthetic demo data" in page.locator(".demo-banner").inner_text()
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    assert page.locator("h1").inner_text() == "Mombasa"
    assert page.locator("figure.map svg a").count() == 30
    shot(page, "city-en")
    page.locator('figure.map svg a[href="/c/mombasa/areas/KE00100402/"]').click()
    page.wait_for_url(re.compile(r"/areas/KE00100402/$"))
    assert "Nyali Ward 2" in page.locator("h1").inner_text()
    assert "Synthetic demo data" in page.locator(".demo-banner").inner_text()
    shot(page, "area-en")


def test_choosing_a_level_redraws_the_map_in_place(server, page_in):
    page = page_in("en-GB")
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/"))
    page.get_by_label("Sub-county").check()
    expect(page.locator("figure.map svg a")).to_have_count(6)
    assert "level=1" in page.url  # htmx pushed the choice into the address: it can be shared
    page.get_by_label("Population density").check()
    expect(page.locator("figure.map svg")).to_contain_text("km²")


def test_an_arabic_browser_gets_arabic_right_to_left(server, page_in):
    page = page_in("ar")
    page.goto(server["url"] + "/accounts/login/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    heading = page.locator("h1").inner_text()
    assert heading != "Sign in" and re.search(r"[\u0600-\u06FF]", heading), heading
    shot(page, "login-ar")


def test_switching_language_to_arabic_mirrors_the_page(server, page_in):
    page = page_in("en-GB")
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/"))
    page.select_option("#lang-select", "ar")  # the switcher submits itself
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.locator("html").get_attribute("lang") == "ar"
    banner = page.locator(".demo-banner").inner_text()
    assert re.search(r"[\u0600-\u06FF]", banner), banner
    # Logical properties: the brand sits on the right in Arabic, the account links on the left.
    brand, account = page.locator(".brand").bounding_box(), page.locator(".account").bounding_box()
    assert brand["x"] > account["x"]
    shot(page, "city-ar")
    page.select_option("#lang-select", "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")


def test_home_page_transfers_under_100_kb(server, page_in, browser):
    page = page_in("en-GB")
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/"))
    # A signed-in visit with an empty cache: everything the home page needs comes over the wire.
    fresh = browser.new_context(locale="en-GB")
    fresh.add_cookies(page.context.cookies())
    visit = fresh.new_page()
    sizes = []
    visit.on("requestfinished", lambda request: sizes.append(
        (request.url, request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"])))
    visit.goto(server["url"] + "/c/mombasa/", wait_until="networkidle")
    fresh.close()
    total = sum(n for _, n in sizes)
    assert any(url.endswith(".js") for url, _ in sizes) and any(url.endswith(".css") for url, _ in sizes), sizes
    assert total < 100_000, f"{total} bytes: {sizes}"
    print(f"home page: {total} bytes transferred in {len(sizes)} requests")


def test_api_docs_page_lists_the_endpoints(server, page_in):
    page = page_in("en-GB")
    page.goto(server["url"] + "/api/v1/docs")
    expect(page.get_by_text("/api/v1/cities/{slug}/areas", exact=True)).to_be_visible(timeout=15_000)
