"""Community reports from a spreadsheet through the import pipeline: checked whole in a dry run (every error by
row and column, nothing written), then imported on confirmation, all or nothing — with the real task worker.

As tests/test_import_pages.py: the jobs run in `tamasuk db_worker --batch` on a fresh database with the demo city
(conftest's `worker_site`), and the test client in this process uses that same database and media storage.
"""

from __future__ import annotations

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import SESSION_KEYS, client_of, job_of, refreshed

CITY = "mombasa"
URL = f"/c/{CITY}/imports/reports/"


def upload(client, name: str, data: bytes):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def reports() -> int:
    from tamasuk.mapping.models import CommunityReport

    return CommunityReport.objects.filter(city__slug=CITY).count()


def events(action: str) -> int:
    from tamasuk.audit.models import AuditEvent

    return AuditEvent.objects.filter(action=action).count()


def test_report_spreadsheet_is_checked_whole_then_imported(live):
    c = client_of("coordinator")
    before, imported = reports(), events("report.import")
    bad = ("date,category,area,channel,text\n2026-10-01,tension,KE00100101,forum,a\n"
           "01/10/2026,riot,Atlantis,radio,b\n")
    job = job_of(upload(c, "r.csv", bad.encode()))
    live.run_worker()
    job = refreshed(job)
    assert job.status == "dry-run-ready" and job.error_count == 4 and not job.may_confirm
    # Every error names the spreadsheet's row (the header is row 1), the column and the value.
    assert {(e["row"], e["column"], e["value"]) for e in job.errors} == {
        (3, "date", "01/10/2026"), (3, "category", "riot"), (3, "area", "Atlantis"), (3, "channel", "radio")}
    html = c.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    for value in ["01/10/2026", "riot", "Atlantis", "radio", "Nothing was written"]:
        assert value in html
    assert "<td>3</td><td>date</td>" in html and "Confirm import" not in html
    # A dry run with errors cannot be confirmed: nothing is queued, nothing written.
    c.post(f"/c/{CITY}/imports/{job.pk}/confirm/")
    live.run_worker()
    assert refreshed(job).status == "dry-run-ready"
    assert reports() == before and events("report.import") == imported

    good = ("date,category,area,channel,text\n2026-10-01,tension,KE00100101,forum,a\n"
            "2026-10-02,Hate speech,Likoni Ward 1,sms,b\n")
    job = job_of(upload(c, "r.csv", good.encode()))
    live.run_worker()
    job = refreshed(job)
    assert job.status == "dry-run-ready" and job.may_confirm and job.summary["new"] == 2
    dry = c.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    assert '<dd class="count-new">2</dd>' in dry and "Confirm import" in dry
    assert reports() == before, "a dry run writes nothing"
    assert c.post(f"/c/{CITY}/imports/{job.pk}/confirm/").status_code == 302
    live.run_worker()
    assert refreshed(job).status == "done"
    assert reports() == before + 2 and events("report.import") == imported + 1
    done = c.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    assert "2 reports imported." in done and f'href="/c/{CITY}/reports/"' in done
    # The file lives in storage between the steps, never in the session.
    assert set(c.session.keys()) <= SESSION_KEYS
    assert not any(k.startswith("tamasuk") for k in c.session.keys())


def test_an_excel_sheet_and_unusable_files(live):
    c = client_of("coordinator")
    wb = openpyxl.Workbook()
    for row in [["Date", "Category", "Area", "Channel", "Text"], ["2026-10-03", "grievance", "KE00100101", "web", "x"],
                [None, None, None, None, None]]:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    before = reports()
    job = job_of(upload(c, "reports.xlsx", buf.getvalue()))
    missing = job_of(upload(c, "r.csv", b"date,area,text\n2026-10-01,KE00100101,a\n"))
    empty = job_of(upload(c, "r.csv", b"date,category,area,channel,text\n"))
    live.run_worker()
    job, missing, empty = refreshed(job), refreshed(missing), refreshed(empty)
    assert job.status == "dry-run-ready" and job.summary["new"] == 1 and job.summary["rows"] == 1
    assert missing.status == "failed" and missing.summary["failure"] == "unreadable"
    assert "Missing columns: category, channel" in missing.summary["message"]
    assert "Missing columns: category, channel" in c.get(f"/c/{CITY}/imports/{missing.pk}/").content.decode()
    assert empty.status == "failed" and "no rows below the header" in empty.summary["message"]
    assert reports() == before
    # Not a spreadsheet: refused at upload, before anything is kept.
    response = upload(c, "notes.docx", b"x")
    assert response.status_code == 200 and "CSV file or an Excel workbook" in response.content.decode()


def test_the_reports_page_links_to_the_import_for_those_who_may_import(live):
    for username, shown in [("admin", True), ("coordinator", True), ("analyst", False), ("member", False),
                            ("auditor", False)]:
        c = client_of(username)
        page = c.get(f"/c/{CITY}/reports/")
        if page.status_code == 200:
            assert (f'href="{URL}"' in page.content.decode()) is shown, username
        assert c.get(URL).status_code == (200 if shown else 403), username
    assert client_of("coordinator").get(f"/c/{CITY}/reports/import/").status_code == 404
