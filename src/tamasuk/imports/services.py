"""Every write of the import pipeline, for every kind: upload, the dry run, confirmation, retry and discarding
(web requests), each audited in the same transaction. The task worker's side is in `runner`.

The audit events are the same for every kind, with the kind in the payload: import.upload, import.dry_run
(queued), import.confirm, import.retry, import.discard, and import.done / import.failed written by the worker.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tamasuk.cities.models import City
from tamasuk.cities.permissions import can

from . import adapters
from .adapters import Adapter, ImportFileError
from .models import RUNNING, WORKING, ImportJob, JobStatus
from .runner import audit, delete_file_on_commit
from .tasks import run_import


def _require(actor, adapter: Adapter, city: City) -> None:
    if not can(actor, adapter.permission, city):
        raise PermissionDenied


def _locked(actor, job: ImportJob) -> ImportJob:
    """The job, if the actor may import its kind here, locked for the rest of the caller's transaction."""
    _require(actor, adapters.get(job.kind), job.city)
    return ImportJob.objects.select_for_update().get(pk=job.pk)


def check_upload(adapter: Adapter, file_name: str, size: int) -> None:
    """The one upload check, before the file is read into memory: its kind of file, its size, not empty."""
    if not file_name.lower().endswith(adapter.extensions):
        raise ImportFileError(_("Upload %(accept)s; %(name)s is not one.")
                              % {"accept": adapter.accept_text, "name": file_name})
    if size > adapter.max_bytes:
        raise ImportFileError(_("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
                              % {"size": f"{size / adapters.MB:.1f}", "limit": adapter.max_bytes // adapters.MB})
    if size == 0:
        raise ImportFileError(_("The file is empty."))


def upload(*, actor, city: City, kind: str, file_name: str, data: bytes, options: dict | None = None) -> ImportJob:
    """Keep the file and what it holds. Unless the kind asks for choices first, the dry run is queued at once."""
    adapter = adapters.get(kind)
    _require(actor, adapter, city)
    check_upload(adapter, file_name, len(data))
    job = ImportJob(city=city, kind=kind, created_by=actor, file_name=file_name[:255], size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), options=options or {})
    # Read before the transaction: on SQLite a transaction holds the one write lock, and while a hostile file was
    # read inside it every sign-in and save of the installation waited ("database is locked").
    job.detected = adapter.detect(job, data)
    return _keep(job, adapter, data, actor)


@transaction.atomic
def _keep(job: ImportJob, adapter: Adapter, data: bytes, actor) -> ImportJob:
    # The file is saved before the row; if the transaction rolls back, the orphan is removed below.
    job.file.save(job.file_name, ContentFile(data), save=False)
    try:
        job.save()
        audit(actor, "import.upload", job, size=job.size, options=job.options)
        if not adapter.needs_setup(job):
            _queue(job, actor=actor, dry_run=True)
    except BaseException:
        job.file.delete(save=False)
        raise
    return job


@transaction.atomic
def start_dry_run(*, actor, job: ImportJob, options: dict) -> ImportJob:
    """The kind's choices made on the setup step; queue the dry run."""
    job = _locked(actor, job)
    if job.status not in {JobStatus.UPLOADED, JobStatus.DRY_RUN_READY, JobStatus.FAILED} or not job.file:
        raise ValidationError(_("This import is already running or finished."))
    job.options = options
    _queue(job, actor=actor, dry_run=True)
    return job


@transaction.atomic
def confirm(*, actor, job: ImportJob) -> ImportJob:
    """Queue the real import of a clean dry run. Clicking twice queues it once."""
    job = _locked(actor, job)
    if not job.may_confirm:
        raise ValidationError(_("Only a dry run without errors can be imported."))
    job.confirmed_by, job.confirmed_at = actor, timezone.now()
    audit(actor, "import.confirm", job, new=job.summary.get("new"), changed=job.summary.get("changed"))
    _queue(job, actor=actor, dry_run=False)
    return job


@transaction.atomic
def retry(*, actor, job: ImportJob) -> ImportJob:
    """Run again the step that failed because its worker died or stumbled: the dry run, or the confirmed import."""
    job = _locked(actor, job)
    if not job.may_retry:
        raise ValidationError(_("Only an import that stopped (its worker died or hit an unexpected error) can be "
                                "retried; for errors in the file, upload a corrected file."))
    audit(actor, "import.retry", job, attempt=job.attempts + 1, dry_run=job.dry_run)
    _queue(job, actor=actor, dry_run=job.dry_run)
    return job


@transaction.atomic
def discard(*, actor, job: ImportJob) -> ImportJob:
    """Drop a job that will not be imported, and its file."""
    job = _locked(actor, job)
    if job.status in {JobStatus.DONE, JobStatus.DISCARDED} or job.status in WORKING:
        raise ValidationError(_("This import cannot be discarded now."))
    job.status = JobStatus.DISCARDED
    job.save(update_fields=["status"])
    audit(actor, "import.discard", job)
    delete_file_on_commit(job)
    return job


def _queue(job: ImportJob, *, actor, dry_run: bool) -> None:
    """Enqueue in the caller's transaction: the task row and the job's state are committed together, so a
    worker never sees a task for a job that does not exist yet (nor a queued job without its task)."""
    job.status = JobStatus.QUEUED
    job.dry_run = dry_run
    job.phase, job.progress_done, job.progress_total = "", 0, 0
    job.started_at = job.finished_at = job.heartbeat_at = None
    job.attempts += 1
    if dry_run:
        audit(actor, "import.dry_run", job, options=job.options, attempt=job.attempts)
    result = run_import.enqueue(job.pk, dry_run)
    job.task_id = str(result.id)
    job.save(update_fields=["options", "status", "dry_run", "phase", "progress_done", "progress_total",
                            "started_at", "finished_at", "heartbeat_at", "attempts", "task_id", "confirmed_by",
                            "confirmed_at"])


def timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.IMPORT_JOB_TIMEOUT)


def expire_stale(*, now: dt.datetime | None = None) -> int:
    """Jobs whose worker died: held by a worker with no sign of life for longer than the timeout. They are
    marked failed (nothing was written: the import is one transaction) and may be retried."""
    now = now or timezone.now()
    stale = ImportJob.objects.filter(status__in=WORKING, heartbeat_at__lt=now - timeout())
    return stale.update(status=JobStatus.FAILED, finished_at=now, phase="",
                        summary={"failure": "timeout", "message": ""})


def purge_files(*, now: dt.datetime | None = None) -> int:
    """Delete the files of jobs left unfinished for more than IMPORT_FILE_DAYS; the rows and their audit stay."""
    now = now or timezone.now()
    old = ImportJob.objects.filter(created_at__lt=now - dt.timedelta(days=settings.IMPORT_FILE_DAYS)) \
        .exclude(file="").exclude(status__in=RUNNING)
    n = 0
    for job in old:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        n += 1
    return n
