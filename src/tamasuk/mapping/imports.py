"""Spreadsheet imports as background jobs, and the column mappings a city saves to reuse.

The uploaded file is kept in the database, not on a disk: any app server may receive it and any task worker
on the same database may read it (several stateless servers, workers elsewhere).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamasuk.cities.models import City


class TableFormat(models.TextChoices):
    LONG = "long", _("Long: one row per area, indicator and period")
    WIDE = "wide", _("Wide: one column per indicator")


class ImportTemplate(models.Model):
    """A named column mapping, saved once and chosen again for the next file of the same shape."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="import_templates")
    name = models.CharField(_("name"), max_length=120)
    column_map = models.JSONField(_("column mapping"))
    format = models.CharField(_("format"), max_length=8, choices=TableFormat.choices, default=TableFormat.LONG)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="import_template_name_unique")]

    def __str__(self) -> str:
        return self.name


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for the column mapping")
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Checking (dry run)")
    DRY_RUN_READY = "dry-run-ready", _("Dry run finished")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


RUNNING = {JobStatus.QUEUED, JobStatus.VALIDATING, JobStatus.IMPORTING}


class ImportJob(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(editable=False)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    # What the reader found before any mapping: header names, HXL hashtags, sheet.
    detected = models.JSONField(default=dict, blank=True)
    column_map = models.JSONField(_("column mapping"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=TableFormat.choices, default=TableFormat.LONG)
    template = models.ForeignKey(ImportTemplate, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="jobs")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.UPLOADED)
    dry_run = models.BooleanField(default=True)
    phase = models.CharField(max_length=16, blank=True)  # reading / checking / writing
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    # new / changed / unchanged / rows, errors (the first ERROR_CAP), error_count, examples; message on failure.
    summary = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["city", "-created_at"])]

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
    def percent(self) -> int:
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0
