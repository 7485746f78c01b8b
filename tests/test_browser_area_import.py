"""Issue 10, item 12 in a real browser, on the import pipeline: a coordinator uploads ward boundaries from the
web, sees every error with its feature and field, fixes the file, confirms the dry run, and the ward changes; then
puts it back.

Runs against the shared `tamasuk serve --init` server, which starts the task worker beside the web server: the dry
runs and imports are real background jobs, followed on the page by htmx polling. The ward it renames is restored
at the end with its own boundary, parent, population and names, read from the served database.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import ROOT
from test_browser import sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_imports")
WARD = "KE00100301"
READ_WARD = f"""
import json
from tamasuk.cities.models import Area
a = Area.objects.select_related("parent").get(city__slug="mombasa", code="{WARD}")
print(json.dumps({{"code": a.code, "name": a.name, "names": a.names, "parent": a.parent.code,
                  "population": a.population, "geometry": a.geometry}}))
"""


def ward(server) -> dict:
    out = subprocess.run([sys.executable, "-m", "tamasuk", "shell", "-c", READ_WARD], env=server["env"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def feature_file(w: dict, name: str) -> bytes:
    props = {"code": w["code"], "name": name, "parent": w["parent"], "population": w["population"],
             **{f"name_{lang}": text for lang, text in w["names"].items()}}
    return json.dumps({"type": "FeatureCollection",
                       "features": [{"type": "Feature", "properties": props, "geometry": w["geometry"]}]}).encode()


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def upload(page, data: bytes, langs: str):
    page.set_input_files("#id_file", files=[{"name": "wards.geojson", "mimeType": "application/geo+json",
                                             "buffer": data}])
    page.fill("#id_parent_prop", "parent")
    page.fill("#id_population_prop", "population")
    page.fill("#id_name_langs", langs)
    page.locator("form.import-upload button[type=submit]").click()
    page.wait_for_url(re.compile(r"/c/mombasa/imports/\d+/$"))


def test_upload_areas_from_the_web_with_a_dry_run(server, page_in):
    original = ward(server)
    langs = ", ".join(f"{lang}=name_{lang}" for lang in original["names"])
    page = page_in("en-GB")
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.get_by_role("link", name="Import data").click()
    page.wait_for_url(re.compile(r"/c/mombasa/imports/$"))
    page.get_by_role("link", name="Areas (ward boundaries)").click()
    page.wait_for_url(re.compile(r"/c/mombasa/imports/areas/$"))

    # A file with two mistakes: a feature without its code, and one whose parent does not exist.
    broken = json.loads(feature_file(original, original["name"]))
    extra = json.loads(json.dumps(broken["features"][0]))
    del extra["properties"]["code"]
    lost = json.loads(json.dumps(broken["features"][0]))
    lost["properties"].update(code="KE00100399", parent="KE999")
    broken["features"] += [extra, lost]
    upload(page, json.dumps(broken).encode(), langs)
    errors = page.locator("table.errors-table tbody tr")
    expect(errors).to_have_count(2, timeout=30_000)  # the worker ran the dry run; htmx reloaded the page
    expect(errors.nth(0).locator("td").nth(0)).to_have_text("1")
    expect(errors.nth(0).locator("td").nth(1)).to_have_text("code")
    expect(errors.nth(1).locator("td").nth(0)).to_have_text("2")
    expect(errors.nth(1).locator("td").nth(1)).to_have_text("parent")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    shot(page, "area-import-errors-en")

    # The corrected file renames the ward: the dry run shows one changed area; confirming writes it.
    page.get_by_role("link", name="Upload the corrected file").click()
    page.wait_for_url(re.compile(r"/c/mombasa/imports/areas/$"))
    upload(page, feature_file(original, original["name"] + " (renamed)"), langs)
    expect(page.locator(".count-changed")).to_have_text("1", timeout=30_000)
    expect(page.locator(".count-errors")).to_have_text("0")
    changed = page.locator("table.area-changes-table tbody tr.area-changed")
    expect(changed).to_have_count(1)
    expect(changed.locator("td").nth(0)).to_have_text(WARD)
    # The name changes; the boundary is the same shape (the reader may list its points from another start).
    expect(changed.locator("td").nth(2)).to_contain_text("name")
    expect(changed.locator("td strong")).to_have_count(0)
    assert ward(server)["name"] == original["name"], "a dry run writes nothing"
    shot(page, "area-import-dry-run-en")
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible(timeout=30_000)
    expect(page.locator(".import-summary")).to_contain_text("1 updated")
    after = ward(server)
    assert after["name"] == original["name"] + " (renamed)"
    assert (after["parent"], after["population"], after["names"]) == (
        original["parent"], original["population"], original["names"])

    # In Arabic, the same page, right to left; then the ward is put back as it was.
    ar = page_in("ar")
    sign_in(ar, server)
    ar.wait_for_url(re.compile(r"/c/mombasa/$"))
    ar.goto(server["url"] + "/c/mombasa/imports/areas/")
    expect(ar.locator("html")).to_have_attribute("dir", "rtl")
    upload(ar, feature_file(original, original["name"]), langs)
    expect(ar.locator(".count-changed")).to_have_text(re.compile("[1١]"), timeout=30_000)
    expect(ar.locator("table.area-changes-table tr.area-changed")).to_have_count(1)
    shot(ar, "area-import-dry-run-ar")
    ar.locator("form[action$='/confirm/'] button[type=submit]").click()
    expect(ar.locator(".import-summary .status.ok")).to_be_visible(timeout=30_000)
    assert ward(server)["name"] == original["name"]
