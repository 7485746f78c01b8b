"""Community reports from a partner's spreadsheet: the reports kind of the import pipeline.

Upload → dry run (every row checked: date, category, area, channel) → confirm. The first row names the columns;
the tabular reader opens CSV (any encoding or delimiter) and Excel alike. Writes through
`services.import_reports`, all rows or none.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tamasuk.cities.permissions import Action
from tamasuk.imports.adapters import MB, Adapter, ImportFileError, Outcome, RowError
from tamasuk.imports.models import ImportJob
from tamasuk.interop import decoding

from . import services
from .models import ReportCategory, ReportChannel

COLUMNS = ["date", "category", "area", "channel", "text"]
REQUIRED = COLUMNS[:4]


def read_reports(data: bytes, file_name: str) -> list[services.ReportInput]:
    """Rows of a CSV or XLSX whose first row names the columns, numbered as the spreadsheet shows them
    (the header is row 1); blank rows are left out. Raises ImportFileError when the file cannot be used."""
    try:
        table = decoding.read_table(data, file_name)
        header, *body = [[("" if c is None else str(c)).strip() for c in row] for row in table.rows]
    except (decoding.TabularError, ValueError) as exc:
        raise ImportFileError(str(exc)) from exc
    names = [h.casefold() for h in header]
    twice = sorted({h for h in names if h in COLUMNS and names.count(h) > 1})
    if twice:
        # Which of two "date" columns is meant cannot be guessed; taking the last one silently was wrong.
        raise ImportFileError(_("The first row names %(cols)s more than once; keep one column of each.")
                              % {"cols": ", ".join(twice)})
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ImportFileError(_("Missing columns: %(cols)s. The first row must name the columns %(all)s.") % {
            "cols": ", ".join(missing), "all": ", ".join(COLUMNS)})
    rows = []
    for n, cells in enumerate(body, start=2):
        if not any(cells):
            continue
        r = dict(zip(names, cells, strict=False))
        rows.append(services.ReportInput(row=n, date=r.get("date", ""), category=r.get("category", ""),
                                         area=r.get("area", ""), channel=r.get("channel", ""),
                                         text=r.get("text", "")))
    if not rows:
        raise ImportFileError(_("The file has no rows below the header."))
    return rows


class ReportsImport(Adapter):
    kind = "reports"
    label = gettext_lazy("Community reports")
    # As the report list's moderation: the city team that edits the city's data.
    permission = Action.EDIT_CITY_DATA
    extensions = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
    accept_text = gettext_lazy("a CSV file or an Excel workbook (.xlsx)")
    file_label = gettext_lazy("Spreadsheet of reports")
    max_bytes = 5 * MB
    unit = gettext_lazy("reports")
    upload_template = "mapping/_report_import_help.html"
    counts_template = "mapping/_report_import_counts.html"

    def upload_context(self, city) -> dict:
        return {"report_columns": COLUMNS, "report_categories": ReportCategory.values,
                "report_channels": ReportChannel.values}

    def done_message(self, job: ImportJob) -> str:
        n = job.summary.get("new", 0)
        return ngettext("%(n)s report imported.", "%(n)s reports imported.", n) % {"n": n}

    def links(self, job: ImportJob) -> list[tuple[str, str]]:
        return [(_("See the reports"), reverse("mapping:reports", args=[job.city.slug]))]

    # ---- read → plan → apply ----

    def read(self, job: ImportJob, data: bytes, progress) -> list[services.ReportInput]:
        return read_reports(data, job.file_name)

    def plan(self, job: ImportJob, records: list[services.ReportInput], progress) -> Outcome:
        return self._write(job, records, job.created_by, progress, dry_run=True)

    def apply(self, job: ImportJob, records: list[services.ReportInput], actor, progress) -> Outcome:
        return self._write(job, records, actor, progress, dry_run=False)

    def _write(self, job: ImportJob, records, actor, progress, *, dry_run: bool) -> Outcome:
        progress(0, len(records))
        summary = services.import_reports(actor=actor or "import", city=job.city, rows=records, dry_run=dry_run,
                                          source_name=job.file_name)
        progress(len(records), len(records))
        # The service counts what it would add only when every row is valid; the rows are counted regardless.
        return Outcome(new=summary.new, errors=[RowError(e.row, e.column, e.value, e.message) for e in summary.errors],
                       details={"rows": len(records)})
