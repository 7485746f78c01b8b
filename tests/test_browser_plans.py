"""Journey 4 in Chromium: a coordinator writes a Local Action Plan and adopts it; the member focal point records
quarterly progress with evidence; two editors save the same activity at once; a review produces version 2, its
diff and its PDF report; the auditor reads everything, changes nothing and verifies the evidence pack; the
national liaison sees the shared plans against the national pillars.

The tests share one plan, written in the browser by a module fixture and followed through the journey in the
file's order (each test also passes on its own); the demo plan (adopted, two years of progress, one review)
serves the auditor, the national liaison and the Arabic pages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import subprocess
import zipfile

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS
from test_browser import shot, sign_in

pytestmark = pytest.mark.browser

ARABIC = re.compile(r"[\u0600-\u06FF]")
DEMO_PLAN = "Mombasa County Action Plan (demo)"
TITLE = "Likoni youth and safety plan (browser)"
ACTIVITY = "Weekend football league with mentoring"
INDICATOR = "Young people mentored"
TODAY = dt.date.today()
START, END = TODAY.year, TODAY.year + 2
QUARTER = f"{TODAY.year}-Q{(TODAY.month - 1) // 3 + 1}"
PASSWORDS = {"admin": "admin-demo-pass", "coordinator": "coordinator-demo-pass", "member": "member-demo-pass",
             "auditor": "auditor-demo-pass", "national": "national-demo-pass"}


def _as(page_in, server, username, locale="en-GB"):
    page = page_in(locale)
    sign_in(page, server, username, PASSWORDS[username])
    page.wait_for_url(re.compile(r"/(c/mombasa/)?$"))
    return page


def _open_plan(page, server, title):
    page.goto(server["url"] + "/c/mombasa/plans/")
    page.locator("table.plans a", has_text=title).click()
    page.wait_for_url(re.compile(r"/c/mombasa/plans/\d+/$"))
    return page.url


def _member_organisation(page, server) -> str:
    """The youth group whose focal point the demo `member` is: the one whose page offers them "Edit"."""
    page.goto(server["url"] + "/c/mombasa/directory/?type=youth")
    for href in [a.get_attribute("href") for a in page.locator("ul.tiles a").all()]:
        page.goto(server["url"] + href)
        if page.get_by_role("link", name="Edit this organisation").count():
            return page.locator("h1").inner_text().strip()
    raise AssertionError("the member is the focal point of no youth group")


def _pdf_png_and_text(path, stem):
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(ARTIFACTS / stem)], check=True)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def _no_writing(page):
    """Nothing on the page lets its reader change the plan: no form that posts, no edit/add/adopt/record link."""
    main = page.locator("main")
    expect(main.locator("form[method=post]")).to_have_count(0)
    for name in [r"\bedit\b", r"\badd\b", r"\badopt", r"\brecord\b", r"\bcorrect\b", r"\bremove\b",
                 r"open the review", r"change the plan"]:
        expect(main.get_by_role("link", name=re.compile(name, re.I))).to_have_count(0)
        expect(main.get_by_role("button", name=re.compile(name, re.I))).to_have_count(0)


@pytest.fixture(scope="module")
def written(server, browser):
    """Journey 4, step 1, in the browser: the coordinator writes a plan from nothing and adopts it."""
    ctx = browser.new_context(locale="en-GB", extra_http_headers={"Accept-Language": "en-GB"})
    page = ctx.new_page()
    sign_in(page, server, "member", PASSWORDS["member"])
    page.wait_for_url(re.compile(r"/c/mombasa/organisations/\d+/$"))
    lead = _member_organisation(page, server)
    page.context.clear_cookies()

    sign_in(page, server)
    page.wait_for_url(re.compile(r"/c/mombasa/$"))
    page.locator('.city-nav a[href="/c/mombasa/plans/"]').click()
    expect(page.locator("table.plans")).to_contain_text(DEMO_PLAN)
    page.get_by_text("Write a new plan").click()
    page.fill("#id_title", TITLE)
    page.fill("#id_start_year", str(START))
    page.fill("#id_end_year", str(END))
    page.select_option("#id_framework", label=page.locator("#id_framework option", has_text="(demo)")
                       .first.inner_text())
    page.fill("#id_currency", "kes")
    shot(page, "plan-new-en")
    page.get_by_role("button", name="Create the draft").click()
    page.wait_for_url(re.compile(r"/c/mombasa/plans/\d+/$"))
    plan_url = page.url
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.locator(".pstatus")).to_have_text("Draft")
    expect(page.locator("table.matrix")).to_contain_text("No pillar yet.")

    page.get_by_role("link", name="Add a pillar").click()
    page.fill("#id_code", "1")
    page.fill("#id_title", "Youth and safety")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("tr.pillar-row")).to_contain_text("1 · Youth and safety")

    page.locator("tr.pillar-row").get_by_role("link", name="add an objective").click()
    expect(page.locator("#id_pillar option:checked")).to_have_text("1 Youth and safety")
    page.fill("#id_code", "1.1")
    page.fill("#id_title", "Young people choose sport over gangs")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("tr.objective-row")).to_contain_text("1.1 · Young people choose sport over gangs")

    page.locator("tr.objective-row").get_by_role("link", name="add an activity").click()
    expect(page.locator("#id_start")).to_have_value(f"{START}-01-01")  # the plan's years, ready to narrow
    page.fill("#id_code", "1.1.1")
    page.fill("#id_title", ACTIVITY)
    page.fill("#id_description", "Saturday matches in Likoni with a mentor for every team.")
    page.select_option("#id_lead", label=lead)
    for ward in page.locator("#id_areas input[type=checkbox]").all()[:2]:  # the first two wards
        ward.check()
    page.fill("#id_budget", "2500000")
    page.get_by_label("N1 Psychosocial").check()
    page.get_by_label("N7 Arts and culture").check()
    shot(page, "plan-activity-form-en")
    page.get_by_role("button", name="Save").click()
    row = page.locator("tr.activity-row", has_text=ACTIVITY)
    expect(row).to_contain_text(lead)
    expect(row.locator("td.num")).to_have_text("2,500,000")
    expect(row.locator("abbr")).to_have_text(["N1", "N7"])
    expect(row).to_contain_text("no report yet")

    page.get_by_role("link", name="Add an indicator").click()
    page.fill("#id_code", "I1")
    page.fill("#id_name", INDICATOR)
    page.fill("#id_unit", "people")
    page.select_option("#id_kind", "output")
    page.select_option("#id_attached_to", label=f"Activity 1.1.1 {ACTIVITY}")
    page.check("#id_counts_people")
    page.fill("#id_baseline_value", "40")
    page.fill("#id_baseline_date", f"{START - 1}-12-31")
    for k, year in enumerate(range(START, END + 1)):
        page.fill(f"#id_target_{year}", str(60 + 20 * k))
    page.get_by_role("button", name="Save").click()
    indicator = page.locator("table.plan-indicators tbody tr", has_text=INDICATOR)
    expect(indicator).to_contain_text("activity 1.1.1")
    expect(indicator.locator("td.num").first).to_contain_text("40")
    expect(indicator.locator("td.num").nth(1)).to_contain_text("60")
    expect(indicator.locator("td.num").nth(3)).to_contain_text("100")

    page.fill("#adopt-reason", "Agreed at the Likoni ward forum (browser test).")
    page.get_by_role("button", name="Adopt the plan").click()
    expect(page.locator("main")).to_contain_text("version 1 in force")
    expect(page.locator(".pstatus").first).to_have_text("Adopted")
    expect(page.get_by_role("button", name="Adopt the plan")).to_have_count(0)
    expect(page.get_by_role("link", name="Add a pillar")).to_have_count(0)  # frozen until a review
    activity_url = server["url"] + page.locator("tr.activity-row a", has_text=ACTIVITY).get_attribute("href")
    shot(page, "plan-en")
    ctx.close()
    return {"plan": plan_url, "activity": activity_url, "lead": lead}


def test_a_coordinator_writes_a_plan_and_adopts_it(server, page_in, written):
    page = _as(page_in, server, "coordinator")
    page.goto(written["plan"])
    expect(page.locator("main")).to_contain_text("version 1 in force")
    expect(page.locator("main")).to_contain_text("aligned with National Strategy to Counter Violent Extremism")
    row = page.locator("tr.activity-row", has_text=ACTIVITY)
    expect(row).to_contain_text(written["lead"])
    page.locator("a", has_text="Versions and changes").click()
    expect(page.locator("table.versions tbody tr")).to_have_count(1)
    expect(page.locator("table.versions")).to_contain_text("Agreed at the Likoni ward forum (browser test).")
    page.goto(server["url"] + "/c/mombasa/plans/")
    listed = page.locator(f"table.plans tbody tr:has(a[href='{written['plan'].removeprefix(server['url'])}'])")
    expect(listed).to_contain_text("Adopted")
    expect(listed.locator("td").nth(2)).to_have_text("1")


def test_the_focal_point_records_quarterly_progress_with_evidence(server, page_in, written, tmp_path):
    page = _as(page_in, server, "member")
    page.goto(written["plan"])
    expect(page.get_by_role("link", name="Add a pillar")).to_have_count(0)
    expect(page.get_by_role("button", name="Adopt the plan")).to_have_count(0)
    page.locator("tr.activity-row a", has_text=ACTIVITY).first.click()
    expect(page.locator("h1")).to_contain_text(ACTIVITY)
    expect(page.locator("table.progress")).to_contain_text("No progress recorded yet.")
    page.get_by_role("link", name="Record progress").click()

    evidence = tmp_path / "attendance-likoni.csv"
    evidence.write_text("date,team,players,mentor present\n2025-07-05,Likoni Stars,14,yes\n"
                        "2025-07-12,Shika Adabu United,16,yes\n", encoding="utf-8")
    narrative = "Twelve matches played; 31 young people met their mentor every week."
    page.fill("#id_period", QUARTER)
    page.select_option("#id_status", "on_track")
    page.fill("#id_narrative", narrative)
    page.fill("#id_spent", "180000")
    page.set_input_files("#id_evidence", str(evidence))
    shot(page, "progress-form-en")
    page.get_by_role("button", name="Save progress").click()
    page.wait_for_url(written["activity"])
    expect(page.locator("ul.messages")).to_contain_text(f"Progress for {QUARTER} recorded.")
    row = page.locator("table.progress tbody tr", has_text=QUARTER)
    expect(row).to_contain_text("On track")
    expect(row).to_contain_text(narrative)
    expect(row.locator("td.num")).to_have_text("180,000")
    link = row.get_by_role("link", name="attendance-likoni.csv")
    expect(link).to_be_visible()
    shot(page, "activity-progress-en")
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "downloaded.csv"
    info.value.save_as(saved)
    assert saved.read_bytes() == evidence.read_bytes()

    # The indicator of the activity it leads: the focal point records this year's value.
    page.get_by_role("link", name="record values").click()
    page.get_by_role("navigation", name="Year").get_by_text(str(TODAY.year), exact=True).click()
    expect(page.get_by_role("heading", name=f"Values for {TODAY.year}")).to_be_visible()
    page.fill("#id_total", "31")
    page.get_by_role("button", name="Save the values").click()
    indicator = page.locator("table.plan-indicators tbody tr", has_text=INDICATOR)
    expect(indicator.locator("td.num").nth(1)).to_contain_text("31")

    # An activity its organisation does not lead: readable, not editable.
    demo = _open_plan(page, server, DEMO_PLAN)
    others = page.locator("tr.activity-row").filter(has_not_text=written["lead"])
    other = others.first.locator("th a").first
    other_url = server["url"] + other.get_attribute("href")
    expect(others.first.get_by_role("link", name="edit")).to_have_count(0)
    own = page.locator("tr.activity-row", has_text=written["lead"]).first
    expect(own.get_by_role("link", name="edit")).to_have_count(1)
    page.goto(other_url)
    expect(page.locator("dl.facts")).to_be_visible()
    expect(page.get_by_role("link", name="Edit the activity")).to_have_count(0)
    expect(page.get_by_role("link", name="Record progress")).to_have_count(0)
    response = page.goto(other_url + "progress/")
    assert response.status == 403

    # The dashboards: the new plan's one activity on track; the demo plan's mix of on track, at risk, late.
    page.goto(written["plan"])
    page.get_by_role("link", name="Dashboard").click()
    summary = page.locator("ul.dash-summary")
    expect(summary.locator("li.dash-on_track strong")).to_have_text("1")
    expect(summary.locator("li.dash-at_risk strong")).to_have_text("0")
    expect(summary.locator("li.dash-late strong")).to_have_text("0")
    shot(page, "dashboard-new-plan-en")
    page.goto(demo + "dashboard/")
    for key, label in [("on_track", "On track"), ("at_risk", "At risk"), ("late", "Late")]:
        item = page.locator(f"ul.dash-summary li.dash-{key}")
        expect(item).to_contain_text(label)
        expect(item.locator("strong")).to_have_text(re.compile(r"^\d+$"))
    counts = {key: int(page.locator(f"ul.dash-summary li.dash-{key} strong").inner_text())
              for key in ("on_track", "at_risk", "late")}
    assert sum(counts.values()) > 0, counts
    expect(page.locator("figure.dash-chart svg").first).to_be_visible()
    shot(page, "dashboard-en")


def test_two_editors_save_the_same_activity_and_nothing_is_lost(server, page_in, written):
    coordinator = _as(page_in, server, "coordinator")
    admin = _as(page_in, server, "admin")
    edit_url = written["activity"].replace("/activities/", "/activity/") + "edit/"
    for page in (coordinator, admin):
        page.goto(written["activity"])
        page.get_by_role("link", name="Edit the activity").click()
        page.wait_for_url(edit_url)
    theirs = "Matches move to Sunday afternoons: the pitch is flooded on Saturdays."
    mine = "Add a girls' league on Saturday mornings with two women mentors."
    coordinator.fill("#id_description", theirs)
    coordinator.get_by_role("button", name="Save").click()
    coordinator.wait_for_url(written["activity"])
    expect(coordinator.locator("main")).to_contain_text(theirs)

    admin.fill("#id_description", mine)
    admin.get_by_role("button", name="Save").click()
    panel = admin.locator("section.conflict")
    expect(panel).to_be_visible()
    expect(panel.locator("h2")).to_have_text("Someone else saved this while you were editing")
    expect(panel).to_contain_text("coordinator")
    row = panel.locator("table.conflict-table tbody tr", has_text="Description")
    expect(row.locator("td").nth(0)).to_have_text(theirs)
    expect(row.locator("td").nth(1)).to_have_text(mine)
    expect(admin.locator("#id_description")).to_have_value(mine)  # their text beside, mine still in the form
    shot(admin, "activity-conflict-en")

    admin.fill("#id_description", theirs + " " + mine)
    admin.get_by_role("button", name="Save my version").click()
    admin.wait_for_url(written["activity"])
    expect(admin.locator("main")).to_contain_text(theirs + " " + mine)
    coordinator.reload()
    expect(coordinator.locator("main")).to_contain_text(theirs + " " + mine)


def test_a_review_produces_version_2_its_diff_and_its_pdf(server, page_in, written, tmp_path):
    page = _as(page_in, server, "coordinator")
    page.goto(written["plan"])
    page.get_by_role("link", name="Reviews").first.click()
    expect(page.locator("table.reviews")).to_contain_text("No review yet.")
    page.fill("#id_title", f"Annual review {TODAY.year}")
    page.fill("#id_period", str(TODAY.year))
    page.fill("#id_reviewers", "Likoni ward forum; an outside auditor")
    page.get_by_role("button", name="Open the review").click()
    page.wait_for_url(re.compile(r"/c/mombasa/reviews/\d+/$"))
    review_url = page.url
    expect(page.locator("h1")).to_have_text(f"Annual review {TODAY.year}")

    # Under review the structure opens again: raise the activity's budget.
    page.get_by_role("link", name="Change the plan's structure").click()
    expect(page.locator("p.notice")).to_contain_text("A review is open")
    page.locator("tr.activity-row", has_text=ACTIVITY).get_by_role("link", name="edit").click()
    page.fill("#id_budget", "3200000")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(written["activity"])
    expect(page.locator("dl.facts")).to_contain_text("3,200,000 KES")

    reason = "Demand doubled: a second pitch and a girls' league are funded from next season."
    page.goto(review_url)
    changes = page.locator("section.review-changes")
    expect(changes).to_contain_text("Budget")
    page.fill("#id_findings", "Mentoring works where a mentor meets the same team every week.")
    page.fill("#id_recommendations", "Fund a second pitch.")
    page.fill("#id_decisions", reason)
    page.get_by_role("button", name="Save the review").click()
    expect(page.locator("#id_decisions")).to_have_value(reason)
    shot(page, "review-en")
    page.get_by_role("button", name="Adopt the changes as a new version").click()

    page.wait_for_url(re.compile(r"/diff/\?from=1&to=2$"))
    expect(page.locator("main")).to_contain_text("The review's changes are adopted as version 2 of the plan.")
    expect(page.locator("p.diff-range")).to_have_text("From version 1 to version 2")
    expect(page.locator("section.diff-why")).to_contain_text(reason)
    changed = page.locator("section.diff-changed li.diff-item", has_text=ACTIVITY)
    budget = changed.locator("dt", has_text="Budget").locator("xpath=following-sibling::dd[1]")
    expect(budget.locator("del")).to_contain_text("2,500,000")
    expect(budget.locator("ins")).to_contain_text("3,200,000")
    shot(page, "diff-en")

    page.goto(written["plan"])
    expect(page.locator("main")).to_contain_text("version 2 in force")
    page.get_by_role("link", name="Versions and changes").click()
    expect(page.locator("table.versions tr.in-force th")).to_contain_text("2")
    expect(page.locator("table.versions")).to_contain_text(reason)

    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed: the PDF was not checked")
    for lang in ("en", "ar"):
        page.goto(review_url)
        # The first download of this content is drawn by the task worker: a page shows how it is going and
        # reloads itself until the PDF is ready, then the download starts by itself.
        with page.expect_download(timeout=240_000) as info:
            page.locator(f"p.report-links a[hreflang={lang}]").click()
            expect(page.locator("div.report-status")).to_be_visible()
            shot(page, f"review-report-wait-{lang}")
        download = info.value
        assert download.suggested_filename.endswith(f"-{lang}.pdf"), download.suggested_filename
        path = tmp_path / f"review-{lang}.pdf"
        download.save_as(path)
        assert path.read_bytes().startswith(b"%PDF-")
        text = _pdf_png_and_text(path, f"review-report-{lang}")
        assert TITLE in text and re.search(r"3\D?200\D?000", text), text[:3000]  # Arabic: no grouping
        if lang == "ar":
            assert ARABIC.search(text), text[:3000]
        else:
            assert "Demand doubled" in text, text[:3000]


def test_the_auditor_reads_everything_changes_nothing_and_verifies_the_pack(server, page_in, tmp_path):
    page = _as(page_in, server, "auditor")
    page.locator('.city-nav a[href="/c/mombasa/plans/"]').click()
    expect(page.locator("details", has_text="Write a new plan")).to_have_count(0)
    plan_url = _open_plan(page, server, DEMO_PLAN)
    expect(page.locator("main")).to_contain_text("version 2 in force")
    expect(page.locator("tr.activity-row")).not_to_have_count(0)
    _no_writing(page)
    shot(page, "plan-auditor-en")

    page.get_by_role("link", name="Versions and changes").click()
    expect(page.locator("table.versions tbody tr")).to_have_count(2)
    _no_writing(page)
    page.locator("table.versions").get_by_role("link", name="from version 1 to 2").click()
    expect(page.locator("section.diff-what li.diff-item").first).to_be_visible()
    _no_writing(page)

    page.goto(plan_url + "reviews/")
    page.locator("table.reviews tbody a").first.click()
    expect(page.locator("div.review-record")).to_be_visible()
    _no_writing(page)

    # An activity with evidence: every progress update, each file downloadable.
    page.goto(plan_url)
    files, activity_id = None, None
    for href in [a.get_attribute("href") for a in page.locator("tr.activity-row th a").all()]:
        page.goto(server["url"] + href)
        expect(page.locator("table.progress tbody tr").first).to_be_visible()
        files = page.locator("table.progress a[href*='/evidence/']")
        if files.count():
            activity_id = re.search(r"/activities/(\d+)/$", href).group(1)
            break
    assert activity_id, "the demo plan has evidence on some activity"
    _no_writing(page)
    shot(page, "activity-auditor-en")
    with page.expect_download() as info:
        files.first.click()
    assert info.value.suggested_filename

    # The audit log: the chain verified, and the whole history of that activity.
    page.get_by_role("link", name="Audit trail of this activity").click()
    status = page.locator("p.status.ok")
    expect(status).to_contain_text("Chain intact")
    seen = re.search(r"Chain intact, \d+ payloads erased by request: (\d+) events, head ([0-9a-f]{16})",
                     status.inner_text())
    assert seen, status.inner_text()
    rows = page.locator("table.audit tbody tr")
    expect(rows.last).to_contain_text("plan.activity.create")  # newest first
    assert set(rows.locator("td a").all_inner_texts()) == {f"plans.activity:{activity_id}"}
    _no_writing(page)
    shot(page, "audit-auditor-en")

    page.goto(plan_url)
    with page.expect_download() as info:
        page.get_by_role("link", name="Evidence pack for auditors").click()
    pack = tmp_path / "pack.zip"
    info.value.save_as(pack)
    with zipfile.ZipFile(pack) as z:
        names = set(z.namelist())
        assert {"README.md", "plan.json", "versions/v1.json", "versions/v2.json", "progress.jsonl",
                "audit/events.jsonl", "audit/head.json", "MANIFEST.sha256"} <= names, names
        assert any(n.startswith("evidence/") for n in names)
        # Independently, as the pack's README says: every link, every hash of this city's events, the head.
        prev, n, by_seq = "0" * 64, 0, {}
        for line in io.TextIOWrapper(z.open("audit/events.jsonl"), encoding="utf-8"):
            e = json.loads(line)
            n += 1
            assert e["seq"] == n and e["prev_hash"] == prev, f"chain broken at event #{n}"
            fields = {k: v for k, v in e.items() if k not in {"hash", "payload", "erased_by"}}
            text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert hashlib.sha256(text.encode("utf-8")).hexdigest() == e["hash"], f"event #{n} altered"
            assert hashlib.sha256(e["payload"].encode("utf-8")).hexdigest() == e["payload_digest"], n
            prev = e["hash"]
            by_seq[n] = prev
        head = json.loads(z.read("audit/head.json"))["head"]
        assert (n, prev) == (head["seq"], head["hash"])
        # The head the audit log page showed a moment ago is in the pack's chain, unchanged.
        assert by_seq[int(seen.group(1))].startswith(seen.group(2))
        for manifest_line in z.read("MANIFEST.sha256").decode().splitlines():
            digest, name = manifest_line.split(maxsplit=1)
            assert hashlib.sha256(z.read(name.lstrip("*"))).hexdigest() == digest, name


def test_the_national_liaison_sees_shared_plans_against_national_pillars(server, page_in):
    page = _as(page_in, server, "national")
    page.get_by_role("link", name="National view of KEN").click()
    page.wait_for_url(re.compile(r"/national/KEN/$"))
    shared = page.locator("table.national-plans")
    expect(shared).to_contain_text(DEMO_PLAN)
    expect(shared).to_contain_text("Mombasa")
    expect(shared).not_to_contain_text(TITLE)  # shared with the network only, not nationally
    heatmap = page.locator("figure.heatmap svg")
    expect(heatmap).to_be_visible()
    row = page.locator("table.heatmap-table tbody tr", has_text="Mombasa")
    expect(row).to_have_count(1)
    counts = [int(c) for c in row.locator("td.num").all_inner_texts()]
    assert len(counts) == 10 and sum(counts[:9]) > 0, counts  # nine national pillars, then "serving none"
    shot(page, "national-en")
    page.locator("table.national-plans a", has_text=DEMO_PLAN).click()
    expect(page.locator("h1")).to_contain_text(DEMO_PLAN)
    _no_writing(page)


@pytest.mark.parametrize("view", ["plan", "dashboard", "diff", "activity"])
def test_the_plan_pages_in_arabic(server, page_in, view):
    page = _as(page_in, server, "coordinator", "ar")
    page.goto(server["url"] + "/c/mombasa/plans/")
    page.locator("table.plans a", has_text="خطة عمل مقاطعة مومباسا").click()  # the list shows the Arabic title
    page.wait_for_url(re.compile(r"/c/mombasa/plans/\d+/$"))
    plan_url = page.url
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    # Each quarter (2024-Q3) stays on one line: text broken over two lines has a rectangle on each, and right to
    # left puts the halves in the wrong order.
    quarters = {"plan": "tr.activity-row td[data-status] bdi", "activity": "table.progress tbody td:first-child"}
    if view == "dashboard":
        page.goto(plan_url + "dashboard/")
        expect(page.locator("figure.dash-chart svg").first).to_be_visible()
    elif view == "diff":
        page.goto(plan_url + "diff/?from=1&to=2")
        expect(page.locator("section.diff-what li.diff-item").first).to_be_visible()
    elif view == "activity":
        page.locator("tr.activity-row th a").first.click()
        expect(page.locator("table.progress tbody tr").first).to_be_visible()
    if view != "activity":  # an activity's page is headed by its own title, which the demo has in English only
        expect(page.locator("main")).to_contain_text("خطة عمل مقاطعة مومباسا")  # the plan's own Arabic title
    heading = page.locator("h1" if view != "activity" else "main h2").first.inner_text()
    assert ARABIC.search(heading), heading
    if view in quarters:
        cells = page.locator(quarters[view])
        expect(cells.first).to_have_text(re.compile(r"^\d{4}-Q[1-4]$"))
        lines = cells.evaluate_all("els => els.map(e => { const r = document.createRange(); "
                                   "r.selectNodeContents(e); return r.getClientRects().length; })")
        assert set(lines) == {1}, lines
    # Nothing wider than the window: a page that scrolls sideways is broken on a phone and in print.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width
    shot(page, f"{view}-ar")


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_every_plan_page_fits_a_phone(server, page_in, locale):
    """On a 360 px phone no plan page scrolls sideways: wide tables scroll inside their own box."""
    page = _as(page_in, server, "coordinator", locale)
    page.set_viewport_size({"width": 360, "height": 740})
    plan_url = _open_plan(page, server, DEMO_PLAN if locale != "ar" else "خطة عمل مقاطعة مومباسا")
    page.locator("tr.activity-row th a").first.click()
    activity_url = page.url
    review = page.goto(plan_url + "reviews/") and page.locator("table a[href*='/reviews/']").first.get_attribute("href")
    for url in [plan_url, plan_url + "dashboard/", plan_url + "reporting/", plan_url + "reporting/?version=1",
                plan_url + "versions/", plan_url + "diff/?from=1&to=2",
                plan_url + "reviews/", server["url"] + review, activity_url, activity_url + "progress/",
                plan_url + "edit/"]:
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{url} is {width} px wide on a 360 px phone"
    shot(page, f"plan-details-phone-{locale}")


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_a_coordinator_sees_which_activity_missed_a_quarter(server, page_in, locale):
    """Reporting by quarter (as DHIS2 and ActivityInfo show it): the demo has an activity that did not report the
    last completed quarter; it is marked missing there, counted in that quarter's completeness, and the plan
    page says it is not reported, not the status of its older report."""
    page = _as(page_in, server, "coordinator", locale)
    plan_url = _open_plan(page, server, DEMO_PLAN if locale != "ar" else "خطة عمل مقاطعة مومباسا")
    page.locator("nav.plan-links a[href$='/reporting/']").click()
    page.wait_for_url(plan_url + "reporting/")
    missing = page.locator("table.reporting td[data-cell=missing]")
    expect(missing.first).to_be_visible()
    if locale == "en-GB":
        expect(missing.first).to_contain_text("missing")
    else:
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    due = page.locator("table.reporting thead th[dir=ltr]").last.inner_text()
    late_rows = page.locator("table.reporting tbody tr", has=page.locator(f"td[data-quarter='{due}'][data-cell=missing]"))
    assert late_rows.count() >= 1
    code = late_rows.first.get_attribute("data-activity")
    assert page.locator(f"tfoot td[data-quarter='{due}']").get_attribute("data-completeness") not in ("", "100")
    shot(page, f"reporting-{locale}")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, f"reporting-phone-{locale}")
    # the plan page gives that activity the same status as the dashboard counts: not reported
    page.goto(plan_url)
    row = page.locator("tr.activity-row", has=page.locator("td[dir=ltr]", has_text=re.compile(f"^{re.escape(code)}$")))
    expect(row.locator("td[data-status]")).to_have_attribute("data-status", "not_reported")
