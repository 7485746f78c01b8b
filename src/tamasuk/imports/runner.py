"""The job the task worker runs, for every kind: claim it, read the stored file, plan or apply through the kind's
adapter, and finish with the summary and its audit event (import.done / import.failed)."""

from __future__ import annotations

import time

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from tamasuk.audit.services import record

from . import adapters
from .adapters import Adapter, ImportFileError
from .models import ImportJob, JobStatus

PROGRESS_EVERY = 0.5  # seconds between progress writes


def audit(actor, action: str, job: ImportJob, **extra) -> None:
    record(actor=actor, action=action, obj=job, city=job.city,
           after={"kind": job.kind, "file": job.file_name, "sha256": job.sha256, **extra})


def delete_file_on_commit(job: ImportJob) -> None:
    name = job.file.name
    if name:
        storage = job.file.storage
        ImportJob.objects.filter(pk=job.pk).update(file="")
        transaction.on_commit(lambda: storage.delete(name))


class Progress:
    """Writes a job's progress and sign of life, at most twice a second.

    Outside a transaction it is an ordinary short UPDATE. Inside the import's transaction (which holds the
    rows it writes until it commits), the update must not be part of it: on PostgreSQL it goes through a
    second connection, committed at once, so the page sees it live; SQLite has a single writer at a time,
    so a second connection would only wait for the import to finish — there the job shows its phase and
    the row count, and the count jumps when the transaction commits (the timeout must exceed the longest import).
    """

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.last = 0.0
        self.side: object | None = None

    def phase(self, phase: str, done: int = 0, total: int = 0) -> None:
        ImportJob.objects.filter(pk=self.job_id).update(phase=phase, progress_done=done, progress_total=total,
                                                        heartbeat_at=timezone.now())
        self.last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY and done < total:
            return
        self.last = now
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job_id).update(progress_done=done, progress_total=total,
                                                            heartbeat_at=timezone.now())
        elif connection.vendor != "sqlite":
            self._side_update(done, total)

    def _side_update(self, done: int, total: int) -> None:
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        side = self.side
        table = side.ops.quote_name(ImportJob._meta.db_table)
        with side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET progress_done = %s, progress_total = %s, heartbeat_at = %s "  # noqa: S608
                           "WHERE id = %s", [done, total, timezone.now(), self.job_id])

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


class _Stale(Exception):
    """The import found errors the dry run did not: roll it back."""


def _finish(job: ImportJob, status: str, summary: dict, actor=None) -> None:
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(status=status, summary=summary, finished_at=timezone.now(),
                                                   phase="", progress_done=F("progress_total"))
        job.status, job.summary = status, summary
        if status == JobStatus.DONE:
            audit(actor, "import.done", job, new=summary.get("new"), changed=summary.get("changed"),
                  unchanged=summary.get("unchanged"))
            delete_file_on_commit(job)
        elif status == JobStatus.FAILED:
            audit(actor, "import.failed", job, failure=summary.get("failure"), dry_run=job.dry_run,
                  errors=summary.get("error_count", 0))


def run_job(job_id: int, *, dry_run: bool, task_id: str) -> str:
    """Read, check and (unless a dry run) write one job's file. Returns the job's final status.

    Only the task the job last queued runs it, once: the claim is one conditional UPDATE, so two workers
    (or a stale task left from an earlier attempt) cannot both start it.
    """
    now = timezone.now()
    running = JobStatus.VALIDATING if dry_run else JobStatus.IMPORTING
    claimed = ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED, dry_run=dry_run, task_id=task_id) \
        .update(status=running, started_at=now, heartbeat_at=now)
    if not claimed:
        return "skipped"
    job = ImportJob.objects.select_related("city", "created_by", "confirmed_by").get(pk=job_id)
    job.status = running
    progress = Progress(job_id)
    actor = (job.confirmed_by or job.created_by) if not dry_run else job.created_by
    try:
        return _run(job, adapters.get(job.kind), dry_run, progress, actor)
    except Exception as exc:
        _finish(job, JobStatus.FAILED, {"failure": "unexpected", "message": type(exc).__name__}, actor)
        raise
    finally:
        progress.close()


def _run(job: ImportJob, adapter: Adapter, dry_run: bool, progress: Progress, actor) -> str:
    progress.phase("reading")
    with job.file.open("rb") as f:
        data = f.read()
    try:
        records = adapter.read(job, data, progress)
    except ImportFileError as exc:
        _finish(job, JobStatus.FAILED, {"failure": "unreadable", "message": " ".join(exc.messages)}, actor)
        return JobStatus.FAILED
    progress.phase("checking" if dry_run else "writing")
    if dry_run:
        outcome = adapter.plan(job, records, progress)
        _finish(job, JobStatus.DRY_RUN_READY, {**outcome.as_summary(ImportJob.ERROR_CAP), "dry_run": True}, actor)
        return JobStatus.DRY_RUN_READY
    try:
        with transaction.atomic():
            outcome = adapter.apply(job, records, actor or "import", progress)
            if outcome.total_errors:
                raise _Stale
    except _Stale:
        # The city's areas, indicators or directory changed since the dry run: nothing was written.
        _finish(job, JobStatus.FAILED, {**outcome.as_summary(ImportJob.ERROR_CAP), "dry_run": False,
                                        "failure": "stale"}, actor)
        return JobStatus.FAILED
    _finish(job, JobStatus.DONE, {**outcome.as_summary(ImportJob.ERROR_CAP), "dry_run": False}, actor)
    return JobStatus.DONE
