"""Journey 3, step 4 in Chromium: a coordinator records this week's meeting — attendees, a decision citing a saved
priority profile, two action items (one already overdue) — the overdue one turns red; the minutes download as PDF."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS
from test_browser import shot, sign_in

pytestmark = pytest.mark.browser

RED = "rgb(164, 22, 26)"  # --bad in tamasuk.css
ARABIC = re.compile(r"[\u0600-\u06FF]")


def _save_profile(page, server, name):
    """Journey 2, step 3: rank the wards "basic needs first" and save the result as a profile."""
    page.goto(server["url"] + "/c/mombasa/priorities/")
    page.select_option("#id_preset", "basic-needs-first")
    page.locator("form.priorities-form button.primary").click()
    expect(page.locator("table.ranking tbody tr")).to_have_count(30)
    page.fill("#id_name", name)
    page.locator("form[action$='/priorities/save/'] button.primary").click()
    page.wait_for_url(re.compile(r"/c/mombasa/profiles/\d+/$"))


def _pdf_text_and_png(path, stem):
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(ARTIFACTS / stem)], check=True)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_record_this_weeks_meeting_overdue_turns_red_minutes_as_pdf(server, page_in, locale, tmp_path):
    page = page_in(locale)
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    profile_name = f"Vaccination wards ({locale})"
    _save_profile(page, server, profile_name)

    page.locator('.city-nav a[href="/c/mombasa/forums/"]').click()
    page.wait_for_url(re.compile(r"/c/mombasa/forums/$"))
    page.locator("table.forums a", has_text=re.compile("Health network|الشبكة الصحية")).first.click()
    page.wait_for_url(re.compile(r"/c/mombasa/forums/\d+/$"))
    forum_url = page.url
    page.locator("a[href$='/meetings/new/']").click()

    today = dt.date.today()
    late, later = f"Check cold chain ({locale})", f"Report doses by ward ({locale})"
    third = f"Brief the faith councils ({locale})"
    decision = f"Vaccinate the ten wards of highest need first ({locale})"
    page.evaluate("window.__sameDocument = true")  # gone if anything below reloads the page
    page.fill("#id_date", today.isoformat())
    # Attendees: a checkable list with a filter, not a Ctrl-click select.
    attendees = page.locator("input[name=attendees]")
    first_name = page.locator("#id_attendees li[data-checklist-option]").first.inner_text().strip()
    page.locator("#id_attendees [data-checklist-filter]").fill(first_name[:6])
    expect(page.locator("#id_attendees li[data-checklist-option]:visible")).not_to_have_count(
        attendees.count())  # the filter hides the others
    page.locator("#id_attendees li[data-checklist-option]:visible input").first.check()
    page.locator("#id_attendees [data-checklist-filter]").fill("")
    for k in range(1, 3):
        attendees.nth(k).check()
    expect(page.locator("#id_attendees [data-checklist-count]")).to_have_text("3")
    page.fill("#id_people_present", "12")
    page.fill("#id_agenda", "Vaccination round: which wards first")
    page.fill("#id_information", "Doses for 6,000 people arrive on Friday")
    page.fill("#id_decisions-0-text", decision)
    value = page.locator("#id_decisions-0-profile option", has_text=profile_name).get_attribute("value")
    page.select_option("#id_decisions-0-profile", value)
    page.fill("#id_items-0-text", late)
    page.select_option("#id_items-0-owner", index=1)
    page.fill("#id_items-0-due", (today - dt.timedelta(days=2)).isoformat())
    page.locator("details.areas-pick").first.locator("summary").click()
    page.locator("input[name='items-0-areas']").first.check()
    page.fill("#id_items-1-text", later)
    page.select_option("#id_items-1-owner", index=2)
    page.fill("#id_items-1-due", (today + dt.timedelta(days=7)).isoformat())
    # One more action item row arrives in place: nothing typed is lost, the page is not reloaded.
    page.locator("button[name=more][value=items]").click()
    expect(page.locator("#id_items-2-text")).to_be_focused()
    assert page.locator("#id_items-TOTAL_FORMS").input_value() == "3"
    assert page.evaluate("window.__sameDocument === true") and page.input_value("#id_items-0-text") == late
    page.fill("#id_items-2-text", third)
    page.select_option("#id_items-2-owner", index=3)
    page.fill("#id_items-2-due", (today + dt.timedelta(days=14)).isoformat())
    shot(page, f"meeting-form-{locale}")
    page.locator("form.meeting-form button.primary").click()

    page.wait_for_url(re.compile(r"/c/mombasa/meetings/\d+/$"))
    expect(page.locator("ol.decisions")).to_contain_text(decision)
    expect(page.locator("ol.decisions a", has_text=profile_name)).to_be_visible()  # the cited profile, linked
    expect(page.locator("table.action-items", has_text=third)).to_be_visible()  # the row added in place
    shot(page, f"meeting-{locale}")
    meeting_url = page.url

    # The meeting is corrected: one more person was present, and the third item is dropped.
    page.locator(f"a[href='{meeting_url.split(server['url'])[1]}edit/']").click()
    page.fill("#id_people_present", "13")
    page.locator("#id_items-2-remove").check()
    page.locator("form.meeting-form button.primary").click()
    page.wait_for_url(meeting_url)
    expect(page.locator("main")).to_contain_text(re.compile("13|١٣"))
    expect(page.locator("table.action-items")).not_to_contain_text(third)

    page.goto(forum_url)
    overdue_row = page.locator("table.action-items tbody tr", has_text=late)
    on_time_row = page.locator("table.action-items tbody tr", has_text=later)
    expect(overdue_row).to_have_class(re.compile(r"\boverdue\b"))
    expect(overdue_row.locator("td").first).to_have_css("color", RED)
    expect(on_time_row.locator("td").first).not_to_have_css("color", RED)
    expect(page.locator("table.digest tbody tr.overdue").first).to_be_visible()
    if locale == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
    shot(page, f"forum-{locale}")

    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed: the PDF was not checked")
    page.goto(meeting_url)
    with page.expect_download() as info:
        page.locator("p.downloads a[href$='minutes.pdf']").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    path = tmp_path / "minutes.pdf"
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
    text = _pdf_text_and_png(path, f"minutes-{locale}")
    def packed(t):  # table cells wrap long texts over lines, and pdftotext drops the hyphen it broke at
        return "".join(t.split()).replace("-", "")

    assert all(packed(t) in packed(text) for t in (decision, late, profile_name)), text
    if locale == "ar":
        assert ARABIC.search(text), text
