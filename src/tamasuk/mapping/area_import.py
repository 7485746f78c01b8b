"""Areas (ward boundaries) from a GeoJSON FeatureCollection: the areas kind of the import pipeline.

Upload with the property names (code, name, parent, population, names in other languages) → dry run (what would
be created, updated, left as it is, which boundaries move, and every error naming its feature and field) →
confirm. The worker reads the stored file again for the import and checks it against the city's areas as they
are then, all or nothing. Areas belong to cities: the file is read as `tamasuk import-areas` reads it
(`cities.area_files`) and written through `cities.services.import_areas`; this module is the pipeline's side.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tamasuk.cities.area_files import changes, name_languages, read_file
from tamasuk.cities.permissions import Action
from tamasuk.cities.services import AreaImportReport, import_areas
from tamasuk.imports.adapters import MB, Adapter, ImportFileError, KindForm, Outcome, RowError
from tamasuk.interop.geojson import AreaReadResult

EXTENSIONS = (".geojson", ".json")
LISTED = 500  # new and changed areas listed on the job page; the counts are always whole


class AreaChoices(KindForm):
    """The property names the file uses, as `tamasuk import-areas` takes them."""

    # Left blank, "code" and "name", as the command line's defaults.
    code_prop = forms.CharField(label=gettext_lazy("Property holding the area code"), initial="code", max_length=100,
                                required=False)
    name_prop = forms.CharField(label=gettext_lazy("Property holding the area name"), initial="name", max_length=100,
                                required=False)
    parent_prop = forms.CharField(label=gettext_lazy("Property holding the parent's code (optional)"),
                                  required=False, max_length=100)
    population_prop = forms.CharField(label=gettext_lazy("Property holding the population (optional)"),
                                      required=False, max_length=100)
    name_langs = forms.CharField(
        label=gettext_lazy("Names in other languages (optional)"), required=False, max_length=300,
        help_text=gettext_lazy("Language and property, separated by commas, e.g. ar=name_ar, sw=name_sw"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "file" in self.fields:
            self.fields["file"].widget.attrs["accept"] = ",".join(EXTENSIONS)

    def clean_code_prop(self):
        return self.cleaned_data["code_prop"].strip() or "code"

    def clean_name_prop(self):
        return self.cleaned_data["name_prop"].strip() or "name"

    def clean_name_langs(self):
        text = self.cleaned_data["name_langs"].strip()
        try:
            return name_languages(filter(None, (x.strip() for x in text.split(","))))
        except ValueError:
            raise forms.ValidationError(_("Write each as language=property, e.g. ar=name_ar.")) from None


class AreasImport(Adapter):
    kind = "areas"
    label = gettext_lazy("Areas (ward boundaries)")
    permission = Action.EDIT_AREAS
    extensions = EXTENSIONS
    accept_text = gettext_lazy("a GeoJSON file (.geojson or .json)")
    file_label = gettext_lazy("Boundary file (GeoJSON FeatureCollection)")
    max_bytes = 10 * MB
    unit = gettext_lazy("areas")
    upload_form = AreaChoices
    upload_template = "mapping/_area_import_help.html"
    counts_template = "mapping/_area_import_counts.html"
    detail_template = "mapping/_area_import_detail.html"

    def options(self, cleaned: dict) -> dict:
        return {k: cleaned.get(k) or "" for k in ("code_prop", "name_prop", "parent_prop", "population_prop")} \
            | {"name_langs": cleaned.get("name_langs") or {}}

    def done_message(self, job) -> str:
        s = job.summary
        return _("Imported %(file)s: %(created)s areas created, %(updated)s updated, %(unchanged)s unchanged.") % {
            "file": job.file_name, "created": s.get("new", 0), "updated": s.get("changed", 0),
            "unchanged": s.get("unchanged", 0)}

    def links(self, job) -> list[tuple[str, str]]:
        return [(_("See the areas on the city's map"), reverse("web:city", args=[job.city.slug]))]

    # ---- read → plan → apply ----

    def read(self, job, data: bytes, progress) -> AreaReadResult:
        result = read_file(job.city, data, **job.options)
        # A problem with the file as a whole (not JSON, not GeoJSON, a foreign coordinate system) names no
        # feature: the file cannot be read, and the job says why.
        whole = [e for e in result.errors if e.index is None]
        if whole:
            raise ImportFileError([str(e) for e in whole])
        return result

    def plan(self, job, records: AreaReadResult, progress) -> Outcome:
        return self._write(job, records, job.created_by, progress, dry_run=True)

    def apply(self, job, records: AreaReadResult, actor, progress) -> Outcome:
        return self._write(job, records, actor, progress, dry_run=False)

    def _write(self, job, result: AreaReadResult, actor, progress, *, dry_run: bool) -> Outcome:
        progress(0, len(result.areas))
        changed = changes(job.city, result)  # before the write, which makes them the city's
        report = import_areas(actor=actor or "import", city=job.city, result=result, dry_run=dry_run)
        progress(len(result.areas), len(result.areas))
        return outcome(result, report, changed)


def outcome(result: AreaReadResult, report: AreaImportReport, changed: dict[str, list[str]]) -> Outcome:
    """The pipeline's summary of an area import: counts, errors by feature (the row, counted from 0) and field
    (the column), and for the job page the new and changed areas with what changes, and the warnings."""
    names = {r.code: r.name for r in result.areas}
    return Outcome(
        new=len(report.created), changed=len(report.updated), unchanged=len(report.unchanged),
        errors=[RowError(e.index if e.index is not None else -1, e.field, "", e.message) for e in report.errors],
        details={
            "read": len(result.areas),
            "created": [{"code": c, "name": names.get(c, "")} for c in report.created[:LISTED]],
            "updated": [{"code": c, "name": names.get(c, ""), "what": changed.get(c, [])}
                        for c in report.updated[:LISTED]],
            "unlisted": max(0, len(report.created) - LISTED) + max(0, len(report.updated) - LISTED),
            "boundaries": sum(1 for c in report.updated if "boundary" in changed.get(c, [])),
            "warnings": [{"index": w.index, "field": w.field, "message": w.message}
                         for w in report.warnings[:200]],
            "warning_count": len(report.warnings),
        })
