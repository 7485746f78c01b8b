"""The observations import's jobs, kept until now in mapping's own table, move to the pipeline's: the file from its
database column to storage, the column mapping and template into the job's options."""

from django.core.files.base import ContentFile
from django.db import migrations

STATUSES = {"uploaded", "queued", "validating", "dry-run-ready", "importing", "done", "failed"}


def copy_jobs(apps, schema_editor):
    Old = apps.get_model("mapping", "ImportJob")
    New = apps.get_model("imports", "ImportJob")
    for old in Old.objects.select_related("template").order_by("pk").iterator():
        options = {"format": old.format, "source": (old.detected or {}).get("source", "")}
        if old.column_map:
            options["column_map"] = old.column_map
        if old.template_id:
            options.update(template=old.template_id, template_name=old.template.name)
        # A job a worker held when the site stopped will not finish: it fails and can be retried.
        status = "failed" if old.status in {"queued", "validating", "importing"} else old.status
        summary = dict(old.summary or {})
        if status != old.status:
            summary = {"failure": "timeout", "message": ""}
        new = New(city_id=old.city_id, kind="observations", created_by_id=old.created_by_id,
                  file_name=old.file_name, size=old.size, sha256=old.sha256, options=options,
                  detected=old.detected or {}, status=status if status in STATUSES else "failed",
                  dry_run=old.dry_run, summary=summary, created_at=old.created_at, started_at=old.started_at,
                  finished_at=old.finished_at, confirmed_by_id=old.confirmed_by_id, confirmed_at=old.confirmed_at,
                  attempts=1)
        if old.status != "done" and old.content:
            new.file.save(old.file_name, ContentFile(bytes(old.content)), save=False)
        new.save()


class Migration(migrations.Migration):

    dependencies = [
        ("imports", "0001_initial"),
        ("mapping", "0004_profile_low_coverage"),
    ]

    operations = [migrations.RunPython(copy_jobs, migrations.RunPython.noop)]
