"""Journey 2, step 1 in a real browser: upload a ward spreadsheet, see its errors, fix it, confirm, watch it land.

Runs against `tamasuk serve --init`, which starts the task worker beside the web server: the dry run and the
import below are real background jobs, followed on the page by htmx polling.
"""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS

pytestmark = pytest.mark.browser

WARDS = ["KE00100301", "KE00100302", "KE00100303"]


def workbook(values: list) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ward code", "Indicator", "Year", "Value"])
    ws.append(["#adm2+code", "#indicator+code", "#date+year", "#indicator+value"])
    for ward, value in zip(WARDS, values, strict=True):
        ws.append([ward, "no-sanitation", 2022, value])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def upload_and_check(page, server, data: bytes):
    page.goto(server["url"] + "/c/mombasa/")
    page.get_by_role("link", name="Import data").click()
    page.wait_for_url(re.compile(r"/c/mombasa/imports/$"))
    page.get_by_role("link", name="Indicator values (ward data)").click()
    page.wait_for_url(re.compile(r"/c/mombasa/imports/observations/$"))
    page.set_input_files("#id_file", files=[{"name": "sanitation-2022.xlsx", "mimeType": XLSX, "buffer": data}])
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r"/c/mombasa/imports/\d+/$"))
    expect(page.get_by_role("heading", name="HXL hashtags found")).to_be_visible()
    expect(page.locator("ul.detected")).to_contain_text("#adm2+code")
    shot(page, "import-mapping-en")
    page.get_by_role("button", name="Start the dry run").click()


def test_upload_errors_fix_confirm_and_watch_it_land(server, page_in):
    page = page_in("en-GB")
    page.goto(server["url"] + "/")
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", "coordinator-demo-pass")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/c/mombasa/$"))

    # A file with a mistake: the dry run lists it with its row, column and value, and offers no confirmation.
    upload_and_check(page, server, workbook([14.5, "twelve", 9]))
    errors = page.locator("table.errors-table")
    expect(errors).to_be_visible(timeout=30_000)  # the worker ran the dry run; htmx reloaded the page
    row = errors.locator("tbody tr").first
    expect(row.locator("td").nth(0)).to_have_text("4")
    expect(row.locator("td").nth(1)).to_have_text("D (Value)")
    expect(row.locator("td").nth(2)).to_have_text("twelve")
    expect(page.locator(".count-errors")).to_have_text("1")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    shot(page, "import-errors-en")

    # The corrected file: three new values, confirmed, written by the worker while the page follows it.
    upload_and_check(page, server, workbook([14.5, 12, 9]))
    expect(page.locator(".count-new")).to_have_text("3", timeout=30_000)
    expect(page.locator(".count-errors")).to_have_text("0")
    shot(page, "import-dry-run-en")
    page.get_by_role("button", name="Confirm import").click()
    # The job page right after confirming: the progress block (polled by htmx), then the summary.
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible(timeout=30_000)
    expect(page.locator(".count-new")).to_have_text("3")
    expect(page.locator(".import-summary")).to_contain_text("3 values are now in the city's data.")
    shot(page, "import-done-en")
