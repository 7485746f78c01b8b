"""The import pipeline itself, for every kind: the file in storage (never the session), a worker that dies,
retry, discard, the same audit events, the one upload check. Jobs run in the real task worker (conftest's
`worker_site`), nothing is mocked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import client_of, job_of

CITY = "mombasa"


def csv(year: int) -> bytes:
    """Two new values of a year no other test imports (the tests of this module share one database)."""
    return (b"Ward code,Indicator,Year,Value\n#adm2+code,#indicator+code,#date+year,#indicator+value\n"
            b"KE00100101,youth-unemployment,%d,21.5\nKE00100102,youth-unemployment,%d,19\n" % (year, year))


CSV = csv(2011)


@pytest.fixture
def coordinator(live):
    return client_of("coordinator")


def upload(client, data=CSV, name="wards.csv", kind="observations"):  # noqa: B008
    return job_of(client.post(f"/c/{CITY}/imports/{kind}/", {"file": SimpleUploadedFile(name, data)}))


def dry_run(client, job):
    """Start the dry run as the page offers it (the hashtags name every column)."""
    page = client.get(f"/c/{CITY}/imports/{job.pk}/")
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    assert client.post(f"/c/{CITY}/imports/{job.pk}/", data).status_code == 302
    job.refresh_from_db()
    return job


def events(job) -> list[str]:
    from tamasuk.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(object_type="imports.importjob", object_id=str(job.pk))
                .order_by("seq").values_list("action", flat=True))


def test_the_file_is_kept_in_storage_not_the_session_and_deleted_once_imported(live, coordinator):
    from django.contrib.sessions.models import Session
    from django.core.files.storage import default_storage

    job = upload(coordinator)
    name = job.file.name
    assert name.startswith(f"imports/{job.city_id}/") and default_storage.exists(name)
    with default_storage.open(name) as f:
        assert f.read() == CSV
    # Nothing of the file in anyone's session (the directory's imports kept it there, up to 5 MB).
    assert all(len(s.session_data) < 2000 for s in Session.objects.all())
    job = dry_run(coordinator, job)
    live.run_worker()
    job.refresh_from_db()
    assert (job.status, job.summary["new"], job.error_count) == ("dry-run-ready", 2, 0)
    assert coordinator.post(f"/c/{CITY}/imports/{job.pk}/confirm/").status_code == 302
    live.run_worker()
    job.refresh_from_db()
    assert job.status == "done" and not job.file and not default_storage.exists(name)
    assert events(job) == ["import.upload", "import.dry_run", "import.confirm", "import.done"]


def test_a_job_whose_worker_died_is_marked_failed_after_the_timeout_and_can_be_retried(live, coordinator):
    from django.conf import settings
    from django.utils import timezone

    from tamasuk.imports.models import ImportJob

    job = dry_run(coordinator, upload(coordinator, csv(2012)))
    stale_task = job.task_id
    # What a worker killed mid-way leaves behind: the job claimed, its last sign of life long ago.
    long_ago = timezone.now() - dt.timedelta(seconds=settings.IMPORT_JOB_TIMEOUT + 60)
    ImportJob.objects.filter(pk=job.pk).update(status="validating", started_at=long_ago, heartbeat_at=long_ago)
    # Within the timeout nothing happens: a slow worker is not a dead one.
    recent = timezone.now() - dt.timedelta(seconds=settings.IMPORT_JOB_TIMEOUT - 60)
    other = dry_run(coordinator, upload(coordinator, name="other.csv"))
    ImportJob.objects.filter(pk=other.pk).update(status="validating", heartbeat_at=recent)

    page = coordinator.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    job.refresh_from_db()
    assert job.status == "failed" and job.summary["failure"] == "timeout"
    assert "stopped answering" in page and "Retry" in page
    other.refresh_from_db()
    assert other.status == "validating"

    assert coordinator.post(f"/c/{CITY}/imports/{job.pk}/retry/").status_code == 302
    job.refresh_from_db()
    assert job.status == "queued" and job.task_id != stale_task and job.attempts == 2
    live.run_worker()
    job.refresh_from_db()
    assert (job.status, job.summary["new"]) == ("dry-run-ready", 2)
    assert "import.retry" in events(job) and "import.failed" not in events(job)
    ImportJob.objects.filter(pk=other.pk).update(status="failed")


def test_a_file_that_cannot_be_read_is_not_retried_but_explained(live, coordinator):
    from tamasuk.imports.models import ImportJob

    job = dry_run(coordinator, upload(coordinator))
    # The file changed under the job (say, storage was restored from another day): unreadable now.
    with job.file.open("wb") as f:
        f.write(b"\x00\x01not a table")
    live.run_worker()
    job.refresh_from_db()
    assert job.status == "failed" and job.summary["failure"] == "unreadable" and not job.may_retry
    response = coordinator.post(f"/c/{CITY}/imports/{job.pk}/retry/", follow=True)
    assert "upload a corrected file" in response.content.decode()
    assert ImportJob.objects.get(pk=job.pk).status == "failed"
    assert events(job)[-1] == "import.failed"


def test_discarding_deletes_the_file_and_nothing_can_be_confirmed_after(live, coordinator):
    from django.core.files.storage import default_storage

    job = dry_run(coordinator, upload(coordinator, csv(2013)))
    live.run_worker()
    job.refresh_from_db()
    name = job.file.name
    assert job.may_confirm
    assert coordinator.post(f"/c/{CITY}/imports/{job.pk}/discard/").status_code == 302
    job.refresh_from_db()
    assert job.status == "discarded" and not job.file and not default_storage.exists(name)
    response = coordinator.post(f"/c/{CITY}/imports/{job.pk}/confirm/", follow=True)
    assert "Only a dry run without errors can be imported." in response.content.decode()
    assert events(job)[-1] == "import.discard"


def test_files_of_unfinished_jobs_are_purged_after_the_retention_days(live, coordinator):
    from django.conf import settings
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from tamasuk.imports.models import ImportJob

    old, fresh = upload(coordinator), upload(coordinator, name="fresh.csv")
    ImportJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=settings.IMPORT_FILE_DAYS + 1))
    # The command `tamasuk serve` runs at start (and cron may run daily).
    out = live.tamasuk("purge_imports").stdout
    assert int(re.search(r"(\d+) old import file\(s\) deleted", out).group(1)) >= 1, out
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert not old.file and fresh.file and default_storage.exists(fresh.file.name)


def test_every_kind_refuses_the_wrong_file_the_same_way(live, coordinator):
    from tamasuk.imports import adapters

    for adapter in adapters.kinds():
        response = coordinator.post(f"/c/{CITY}/imports/{adapter.kind}/",
                                    {"file": SimpleUploadedFile("notes.docx", b"x"), **_choices(adapter)})
        assert response.status_code == 200, adapter.kind
        assert "notes.docx is not one" in response.content.decode(), adapter.kind
        response = coordinator.post(f"/c/{CITY}/imports/{adapter.kind}/",
                                    {"file": SimpleUploadedFile("empty" + adapter.extensions[0], b""),
                                     **_choices(adapter)})
        assert "The file is empty." in response.content.decode() or "submitted file is empty" in \
            response.content.decode(), adapter.kind


def _choices(adapter) -> dict:
    """The kind's own required choices, as its form first offers them."""
    if adapter.upload_form is None:
        return {}
    from tamasuk.cities.models import City

    form = adapter.upload_form(city=City.objects.get(slug=CITY))
    data = {}
    for name, field in form.fields.items():
        if field.required:
            choices = [c for c, _label in getattr(field, "choices", []) if c]
            data[name] = choices[0] if choices else ""
    return data
