"""Issue 17, item 8, the imports: a hostile or broken file gets a clear error from the dry run (the real task
worker, `live`), never a crash of the job or a confirmed import failing in the database. Run on PostgreSQL too
(DATABASE_URL): it is the database that cannot store a NUL character."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import client_of, job_of

CITY = "mombasa"
OBSERVATIONS = (b"Ward code,Indicator,Year,Value,Source\n"
                b"#adm2+code,#indicator+code,#date+year,#indicator+value,#meta+source\n")
THREEW = (b"Organisation,Type,Sector,Activity,Ward\r\n#org,#org+type,#sector,#subsector,#adm2+code\r\n")
REPORTS = b"date,category,area,channel,text\n"
HUGE = b'"' + b"x" * (128 * 1024 + 1) + b'"'


def _upload(client, kind: str, name: str, data: bytes, **extra):
    return job_of(client.post(f"/c/{CITY}/imports/{kind}/", {"file": SimpleUploadedFile(name, data), **extra}))


def _queue_dry_run(client, job):
    """The observations' setup step, as the page offers it (the hashtags name every column)."""
    form = client.get(f"/c/{CITY}/imports/{job.pk}/").context["form"]
    assert client.post(f"/c/{CITY}/imports/{job.pk}/",
                       {name: form[name].value() or "" for name in form.fields}).status_code == 302


def _hsds(name: str) -> bytes:
    return json.dumps({"id": "0d5bd2f5-3d8c-4a34-9c26-7b9e3c5b2f10", "name": name,
                       "description": "x", "services": []}).encode()


FILES = {
    # kind, file name, data → what the failure says
    # Below the rows read at upload (a NUL in those is refused by the upload form, with the same message).
    "observations NUL": ("observations", "nul.csv", OBSERVATIONS + b"KE00100101,youth-unemployment,2019,3,a\n" * 30
                         + b"KE00100101,youth-unemployment,2019,3,a\x00b\n", ["row 33, column E", "NUL"]),
    "reports NUL": ("reports", "nul.csv", REPORTS + b"2026-10-01,tension,KE00100101,forum,a\x00b\n",
                    ["row 2, column E", "NUL"]),
    "3W NUL": ("threew", "nul.csv", THREEW + b"Pwani\x00 Club,NGO,Education,Homework,KE00100101\r\n",
               ["row 3, column A", "NUL"]),
    "reports huge cell": ("reports", "huge.csv", REPORTS + b"2026-10-01,tension,KE00100101,forum," + HUGE + b"\n",
                          ["row 2", "longer than"]),
    "3W huge cell": ("threew", "huge.csv", THREEW + HUGE + b",NGO,Education,Homework,KE00100101\r\n",
                     ["row 3", "longer than"]),
}
HSDS = {
    "NUL": (_hsds("Pwani\x00 Club"), "/name", "NUL"),
    "5,001 digits": (b'{"id": "x", "name": "n", "capacity": ' + b"9" * 5001 + b"}", "", "too many digits"),
    "20,000 deep": (b"[" * 20000 + b"]" * 20000, "", "nested too deeply"),
    "100 deep": (b"[" * 100 + b"]" * 100, "", "nested too deeply"),
}


def test_hostile_cells_and_documents_fail_the_dry_run_with_a_clear_error(live):
    from tamasuk.imports.models import ImportJob

    client = client_of("coordinator")
    jobs = {}
    for label, (kind, name, data, _said) in FILES.items():
        jobs[label] = _upload(client, kind, name, data)
        if kind == "observations":
            _queue_dry_run(client, jobs[label])
    hsds = {label: _upload(client, "hsds", "x.json", data, sector="health") for label, (data, *_r) in HSDS.items()}
    live.run_worker()

    for label, (_k, _n, _d, said) in FILES.items():
        job = ImportJob.objects.get(pk=jobs[label].pk)
        assert (job.status, job.summary.get("failure")) == ("failed", "unreadable"), (label, job.summary)
        for words in said:
            assert words in job.summary["message"], (label, job.summary["message"])
    for label, (_d, path, said) in HSDS.items():
        job = ImportJob.objects.get(pk=hsds[label].pk)
        # An HSDS file has no rows: its errors are listed by JSON path, and nothing can be confirmed.
        assert job.status == "dry-run-ready" and not job.may_confirm, (label, job.status, job.summary)
        assert any(e["column"] == (path or "/") and said in e["message"] for e in job.errors), (label, job.errors)
