"""The directory's two kinds of the import pipeline: a 3W/4W sheet ("threew") and an Open Referral HSDS 3.0 JSON
file ("hsds"). Upload → dry run → confirm, on the pipeline's pages, run by its task worker; the file is kept in
storage by the pipeline, never in the session.

Each adapter wraps :mod:`.import_services`: read is ``read_threew`` / ``read_hsds``, plan is the service with
``dry_run=True``, apply the service with ``dry_run=False`` (which plans again inside the pipeline's transaction
and writes through the directory's services, audited, with its own ``directory.import`` event). The plan goes to
the job's summary as JSON (``details``) for the dry-run page: what is new and what changes, field by field.

The steps run in the language of the person who uploaded the file (kept in the job's options): sector and
organisation-type names are matched in that language as they were on the old import pages, and the messages and
labels of the dry run are written in it.
"""

from __future__ import annotations

from contextlib import contextmanager

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tamasuk.cities.permissions import Action
from tamasuk.imports.adapters import MB, Adapter, KindForm, Outcome, RowError
from tamasuk.imports.models import ImportJob

from ..models import Sector
from . import import_services
from .import_services import ImportPlan

MAX_BYTES = 5 * MB  # an import file is a sheet or a JSON document, never more
LISTED = 1000  # at most this many organisations or services of each sort are listed on the dry-run page


@contextmanager
def _in_language(job: ImportJob):
    with translation.override(job.options.get("language") or settings.LANGUAGE_CODE):
        yield


def _change(c: import_services.Change) -> dict:
    return {"field": c.field, "label": str(c.label), "before": str(c.before), "after": str(c.after)}


def plan_details(plan: ImportPlan) -> dict:
    """The plan as JSON for the dry-run page: what it would add and change (each field, before → after), what it
    leaves as it is, notes and warnings. Every list holds at most LISTED entries; the counts are whole."""
    return {
        "format": plan.format,
        "schema_checked": plan.schema_checked,
        "notes": [str(n) for n in plan.notes],
        "warnings": [{"path": w.path, "message": str(w.message)} for w in plan.warnings[:LISTED]],
        "counts": plan.counts(),
        "new_organisations": [{"name": o.name, "type": o.type_label, "where": o.where}
                              for o in plan.new_organisations[:LISTED]],
        "changed_organisations": [{"name": o.name, "where": o.where, "changes": [_change(c) for c in o.changes]}
                                  for o in plan.changed_organisations[:LISTED]],
        "new_services": [{"organisation": s.organisation, "name": s.name, "sector": s.sector_label,
                          "areas": s.area_names, "where": s.where} for s in plan.new_services[:LISTED]],
        "changed_services": [{"organisation": s.organisation, "name": s.name, "where": s.where,
                              "changes": [_change(c) for c in s.changes]} for s in plan.changed_services[:LISTED]],
        "unchanged_services": [{"organisation": s.organisation, "name": s.name}
                               for s in plan.unchanged_services[:LISTED]],
    }


def _outcome(plan: ImportPlan, errors: list[RowError]) -> Outcome:
    counts = plan.counts()
    return Outcome(new=counts["new_organisations"] + counts["new_services"],
                   changed=counts["changed_organisations"] + counts["changed_services"],
                   unchanged=counts["unchanged_organisations"] + counts["unchanged_services"],
                   errors=errors, error_count=plan.total_errors, details=plan_details(plan))


def _done(job: ImportJob) -> str:
    counts = job.summary.get("counts", {})
    return _("Imported %(file)s: %(orgs)s new organisations, %(new)s new services, %(changed)s services changed.") % {
        "file": job.file_name, "orgs": counts.get("new_organisations", 0), "new": counts.get("new_services", 0),
        "changed": counts.get("changed_services", 0)}


class _DirectoryImport(Adapter):
    permission = Action.EDIT_CITY_DATA
    max_bytes = MAX_BYTES
    unit = gettext_lazy("organisations and services")
    detail_template = "network/_directory_import_plan.html"

    def options(self, cleaned: dict) -> dict:
        # Called in the upload request: the uploader's language, in which the worker matches names.
        return {**super().options(cleaned), "language": translation.get_language() or settings.LANGUAGE_CODE}

    def done_message(self, job: ImportJob) -> str:
        return _done(job)

    def links(self, job: ImportJob) -> list[tuple[str, str]]:
        return [(_("See the directory"), reverse("network:directory", args=[job.city.slug]))]

    def plan(self, job: ImportJob, records, progress) -> Outcome:
        return self._run(job, records, job.created_by, dry_run=True)

    def apply(self, job: ImportJob, records, actor, progress) -> Outcome:
        return self._run(job, records, actor, dry_run=False)

    def _run(self, job, records, actor, *, dry_run: bool) -> Outcome:
        raise NotImplementedError


class ThreeWImport(_DirectoryImport):
    kind = "threew"
    label = gettext_lazy("3W/4W sheet (who does what where)")
    extensions = (".csv", ".xlsx")
    accept_text = gettext_lazy("a CSV file or an Excel workbook (.xlsx)")
    file_label = gettext_lazy("3W/4W sheet (CSV or XLSX with HXL hashtags)")
    upload_template = "network/_directory_import_threew_help.html"

    def read(self, job: ImportJob, data: bytes, progress) -> import_services.ThreeWSheet:
        with _in_language(job):
            return import_services.read_threew(data, job.file_name)

    def _run(self, job, sheet, actor, *, dry_run: bool) -> Outcome:
        with _in_language(job):
            plan = import_services.import_threew(actor=actor, city=job.city, sheet=sheet, dry_run=dry_run)
            return _outcome(plan, [RowError(e.row, e.column, e.value, e.message) for e in plan.errors])


class HsdsChoices(KindForm):
    sector = forms.ChoiceField(label=gettext_lazy("Sector of services new to the directory"), choices=Sector.choices,
                               help_text=gettext_lazy("HSDS has no sector. Services already in the directory keep "
                                                      "theirs."))


def _item(path: str) -> int:
    """The item of the file a JSON pointer is in, counted from 1: the n-th element of a list of objects (or of
    an API page's contents); a file of one object is item 1."""
    parts = path.strip("/").split("/")
    if parts and parts[0] == "contents":
        parts = parts[1:]
    return int(parts[0]) + 1 if parts and parts[0].isdigit() else 1


def _value_at(document, path: str) -> str:
    """The value a JSON pointer names, when it is a single value (what the error is about)."""
    node = document
    for part in path.strip("/").split("/") if path.strip("/") else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return ""
    return "" if isinstance(node, dict | list) or node is None else str(node)


class HsdsImport(_DirectoryImport):
    kind = "hsds"
    label = gettext_lazy("Open Referral HSDS 3.0 (organisations and services)")
    extensions = (".json",)
    accept_text = gettext_lazy("an HSDS 3.0 JSON file (.json)")
    file_label = gettext_lazy("HSDS 3.0 JSON file")
    upload_form = HsdsChoices
    upload_template = "network/_directory_import_hsds_help.html"

    def read(self, job: ImportJob, data: bytes, progress) -> import_services.HsdsDocument:
        with _in_language(job):
            return import_services.read_hsds(data, job.file_name)

    def _run(self, job, document, actor, *, dry_run: bool) -> Outcome:
        with _in_language(job):
            plan = import_services.import_hsds(actor=actor, city=job.city, document=document, dry_run=dry_run,
                                               sector=job.options.get("sector") or Sector.COHESION)
            # An HSDS file has no rows: "row" is the item of the file, "column" the JSON path of the problem.
            errors = [RowError(_item(e.path), e.path or "/", _value_at(document.document, e.path), e.message)
                      for e in plan.errors]
            return _outcome(plan, errors)
