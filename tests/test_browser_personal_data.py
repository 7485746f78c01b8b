"""Journey in Chromium: a coordinator moderates a report with a phone number in it, is shown the number as
likely personal data, removes it and saves — in English and in Arabic (Arabic-Indic digits)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS
from test_browser import shot, sign_in

pytestmark = pytest.mark.browser

TEXTS = {
    "en-GB": ("Young men fought near the market; their leader asks to be called on 0722 123 456.",
              "0722 123 456", "Young men fought near the market; their leader asks to be called."),
    "ar": ("شجار بين شبان قرب السوق؛ يطلب قائدهم الاتصال به على ٠٧٢٢ ١٢٣ ٤٥٦",
           "٠٧٢٢ ١٢٣ ٤٥٦", "شجار بين شبان قرب السوق؛ يطلب قائدهم أن يتواصل معه المنسق."),
}


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_a_coordinator_removes_a_phone_number_before_sharing_a_report(server, page_in, locale):
    flagged, number, cleaned = TEXTS[locale]
    page = page_in(locale)
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.goto(server["url"] + "/c/mombasa/reports/")
    form = page.locator("form[action*='/moderate/']").first
    form.locator("textarea[name=moderated_text]").fill(flagged)
    form.locator("input[name=share]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/reports/\d+/moderate/$"))
    warning = page.locator(".errors.personal-data")
    expect(warning).to_be_visible()
    expect(warning.locator("li")).to_have_count(1)
    expect(warning.locator("li")).to_contain_text(number)
    expect(page.locator("input[type=checkbox][name=confirmed_not_personal]")).to_be_visible()
    expect(page.locator("#id_moderated_text")).to_have_value(flagged)  # nothing typed is lost
    if locale == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
    shot(page, f"moderation-personal-data-{locale}")
    page.fill("#id_moderated_text", cleaned)
    page.locator("form button.primary").click()
    page.wait_for_url(re.compile(r"/c/mombasa/reports/$"))
    expect(page.locator(".messages")).to_be_visible()
    expect(page.get_by_text(cleaned)).to_be_visible()
    assert number not in page.content()
    page.get_by_text(cleaned).scroll_into_view_if_needed()  # the list is long: a screenshot of the saved row
    page.screenshot(path=str(ARTIFACTS / f"moderation-saved-{locale}.png"))
