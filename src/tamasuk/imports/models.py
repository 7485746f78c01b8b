"""An import job: one uploaded file of one kind, from upload to the dry run, the confirmation and the import.

The file lives in the project's storage (settings.STORAGES, `imports/` under MEDIA_ROOT by default), never in the
session nor in a request: the task worker reads it. It is deleted once the job is imported or discarded, and
unfinished jobs' files are deleted after IMPORT_FILE_DAYS, so a contact detail in an uploaded sheet can be erased.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamasuk.cities.models import City


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for your choices")
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Checking (dry run)")
    DRY_RUN_READY = "dry-run-ready", _("Dry run finished")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")


RUNNING = {JobStatus.QUEUED, JobStatus.VALIDATING, JobStatus.IMPORTING}
# A worker holds a job in one of these; a job left in one past the timeout had its worker die.
WORKING = {JobStatus.VALIDATING, JobStatus.IMPORTING}


def job_path(job: ImportJob, file_name: str) -> str:
    # A random name: the uploaded name is kept in the row, never trusted as a path.
    return f"imports/{job.city_id}/{uuid.uuid4().hex}"


class ImportJob(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(_("kind"), max_length=32)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    file = models.FileField(upload_to=job_path, max_length=200, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    # The kind's own choices: a column mapping, a sector, the languages of names…
    options = models.JSONField(default=dict, blank=True)
    # What the file holds before any choice (header names, HXL hashtags, sheet), for the kind's setup step.
    detected = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.UPLOADED)
    dry_run = models.BooleanField(default=True)
    phase = models.CharField(max_length=16, blank=True)  # reading / checking / writing
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    # new / changed / unchanged, errors (the first ERROR_CAP, each row, column, value, message), error_count,
    # the kind's own details; failure and message when it failed.
    summary = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["city", "kind", "-created_at"], name="import_job_city_kind"),
                   models.Index(fields=["status"], name="import_job_status")]

    ERROR_CAP = 1000

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def errors(self) -> list[dict]:
        return self.summary.get("errors", [])

    @property
    def error_count(self) -> int:
        return self.summary.get("error_count", len(self.errors))

    @property
    def may_confirm(self) -> bool:
        return (self.status == JobStatus.DRY_RUN_READY and not self.error_count
                and bool(self.summary.get("new") or self.summary.get("changed")))

    @property
    def may_retry(self) -> bool:
        return self.status == JobStatus.FAILED and bool(self.file) and self.summary.get("failure") in RETRYABLE

    @property
    def percent(self) -> int:
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0


# Failures a second attempt may cure: the worker died, or an unexpected error. An unreadable file or errors in
# rows need a new file (or other choices), not a retry.
RETRYABLE = {"timeout", "unexpected"}
