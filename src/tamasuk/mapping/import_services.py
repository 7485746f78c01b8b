"""Every write of the spreadsheet import: upload, mapping, templates, confirmation (audited), and the job the
task worker runs (reads the file with `interop.tabular`, writes through `services.import_observations`).
"""

from __future__ import annotations

import hashlib
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tamasuk.audit.services import record
from tamasuk.cities.models import City
from tamasuk.cities.permissions import Action, can
from tamasuk.interop import decoding, hxl, tabular, values

from . import blank_sheets, services
from .imports import ImportJob, ImportTemplate, JobStatus, TableFormat
from .models import Indicator

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
# The roles a column can play, in the order the mapping form shows them.
ROLES = ("area", "indicator", "period", "value", "sex", "age", "group", "source", "note")
PROGRESS_EVERY = 0.5  # seconds between progress writes


def _require(actor, city: City) -> None:
    if not can(actor, Action.IMPORT_DATA, city):
        raise PermissionDenied


# ---- what the file holds, before any mapping ------------------------------------------------------

def _wordy(cell) -> bool:
    if not isinstance(cell, str) or not cell.strip():
        return False
    try:
        values.parse_number(cell)
    except ValueError:
        return True
    return False


def _header_guess(head: list[list]) -> int:
    """Without hashtags: the row (0-based, among the first ten) with the most cells that are words, not
    numbers, names the columns — the header row, not a group row above it nor the data below."""
    best, best_n = 0, -1
    for i, row in enumerate(head[:10]):
        n = sum(1 for c in row if _wordy(c))
        if n > best_n:
            best, best_n = i, n
    return best


def detect(data: bytes, file_name: str, indicators: list[Indicator]) -> dict:
    """The file's columns (hashtags and header names) and a suggested mapping. Raises ValidationError when
    the file cannot be read at all."""
    try:
        table = decoding.read_table(data, file_name)
        head = table.head()
    except decoding.TabularError as exc:
        raise ValidationError(str(exc)) from exc
    if not head:
        raise ValidationError(_("The file has no rows."))
    info = {"sheet": table.sheet, "sheet_names": list(table.sheet_names), "delimiter": table.delimiter,
            "notes": list(table.notes)}
    try:
        lay = tabular.layout(table)
    except decoding.TabularError as exc:
        # No hashtag row: offer the header names of the likeliest header row, to be mapped by hand.
        i = _header_guess(head)
        columns = [{"index": j, "letter": hxl.column_letter(j), "header": str(c).strip(), "tag": ""}
                   for j, c in enumerate(head[i]) if isinstance(c, str | int | float) and str(c).strip()]
        info.update(hxl=False, untagged=str(exc), header_row=i + 1, hashtag_row=None, columns=columns)
    else:
        columns = [{"index": c.index, "letter": c.letter, "header": c.header, "tag": c.display_tag}
                   for c in lay.columns if c.header or c.tag]
        info.update(hxl=True, untagged="", header_row=lay.header_row, hashtag_row=lay.hashtag_row,
                    columns=columns)
    info["specs"] = _specs(columns)
    info["suggested"], info["suggested_wide"] = _suggest(columns, indicators)
    info["format"] = TableFormat.WIDE if info["suggested_wide"] and not info["suggested"].get("value") \
        else TableFormat.LONG
    return info


def _specs(columns: list[dict]) -> dict[str, str]:
    """How a column map names each column: its full hashtag when no other column matches it, else its
    header when that is unique; a column named neither way cannot be mapped."""
    specs = {}
    for c in columns:
        spec = ""
        if c["tag"]:
            pattern = hxl.TagPattern.parse(c["tag"])
            hits = [o for o in columns if o["tag"] and pattern.matches(_column(o))]
            spec = c["tag"] if len(hits) == 1 else ""
        if not spec and c["header"]:
            key = " ".join(c["header"].split()).casefold()
            same = [o for o in columns if " ".join(o["header"].split()).casefold() == key]
            spec = c["header"] if len(same) == 1 else ""
        if spec:
            specs[str(c["index"])] = spec
    return specs


def _column(c: dict) -> hxl.Column:
    tag = hxl.TagPattern.parse(c["tag"]) if c["tag"] else None
    return hxl.Column(c["index"], tag.tag if tag else None, tuple(sorted(tag.include)) if tag else (),
                          (c["header"],) if c["header"] else ())


_ROLE_TAGS = {
    "area": ["#adm4+code", "#adm3+code", "#adm2+code", "#adm1+code", "#loc+code", "#adm4", "#adm3", "#adm2",
             "#adm1", "#loc"],
    "indicator": ["#indicator+code", "#indicator+name"],
    "value": ["#indicator+value", "#indicator+num", "#value", "#indicator+value+num"],
    "period": ["#date+period", "#date+year", "#date"],
    "sex": ["#sex"],
    "age": ["#age"],
    "group": ["#group"],
    "source": ["#meta+source"],
    "note": ["#meta+note", "#description"],
}
_ROLE_HEADERS = {
    "area": ["ward code", "area code", "area", "ward", "code"],
    "indicator": ["indicator code", "indicator"],
    "value": ["value"],
    "period": ["period", "year", "date"],
    "sex": ["sex"],
    "age": ["age band", "age"],
    "group": ["group"],
    "source": ["source"],
    "note": ["note", "method note"],
}


def _suggest(columns: list[dict], indicators: list[Indicator]) -> tuple[dict[str, str], dict[str, str]]:
    """role → column index, and indicator code → column index, by hashtag first, then by header."""
    suggested: dict[str, str] = {}
    taken: set[int] = set()
    parsed = [(c, _column(c)) for c in columns]
    wide: dict[str, str] = {}
    for ind in indicators:
        keys = {ind.code.casefold(), ind.name.casefold()}
        try:
            # An indicator without its own hashtag is named by the one its blank sheet carries.
            pattern = hxl.TagPattern.parse(blank_sheets.hashtag(ind))
        except ValueError:
            pattern = None
        for c, col in parsed:
            if c["index"] in taken:
                continue
            if (pattern and pattern.matches(col)) or " ".join(c["header"].split()).casefold() in keys:
                wide[ind.code] = str(c["index"])
                taken.add(c["index"])
                break
    for role in ROLES:
        for pattern in _ROLE_TAGS[role]:
            p = hxl.TagPattern.parse(pattern)
            hit = next((c for c, col in parsed if c["index"] not in taken and p.matches(col)), None)
            if hit:
                break
        else:
            names = _ROLE_HEADERS[role]
            hit = next((c for c in columns if c["index"] not in taken
                        and " ".join(c["header"].split()).casefold() in names), None)
        if hit:
            suggested[role] = str(hit["index"])
            taken.add(hit["index"])
    if wide and "indicator" not in suggested:
        suggested.pop("value", None)
    return suggested, wide


# ---- upload, mapping, templates, confirmation (web requests) -----------------------------------

def check_upload(file_name: str, size: int) -> None:
    if not file_name.lower().endswith(EXTENSIONS):
        raise ValidationError(_("Upload a CSV file or an Excel workbook (.xlsx); %(name)s is neither.")
                              % {"name": file_name})
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
                              % {"size": f"{size / 1024 / 1024:.1f}", "limit": MAX_UPLOAD_BYTES // 1024 // 1024})
    if size == 0:
        raise ValidationError(_("The file is empty."))


@transaction.atomic
def create_job(*, actor, city: City, file_name: str, data: bytes,
               template: ImportTemplate | None = None) -> ImportJob:
    """Keep the uploaded file and what it holds. With a template that fits the file, the dry run is queued
    at once; otherwise the job waits for the column mapping."""
    _require(actor, city)
    check_upload(file_name, len(data))
    if template is not None and template.city_id != city.pk:
        raise PermissionDenied
    indicators = list(Indicator.objects.filter(city=city))
    detected = detect(data, file_name, indicators)
    job = ImportJob.objects.create(
        city=city, created_by=actor, file_name=file_name[:255], content=data, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), detected=detected, format=detected["format"], template=template)
    record(actor=actor, action="import.upload", obj=job, city=city,
           after={"file": job.file_name, "size": job.size, "sha256": job.sha256,
                  "template": template.name if template else None})
    if template is not None:
        cmap = tabular.ColumnMap.from_dict(template.column_map)
        try:
            _check_map(job, cmap)
        except ValidationError as exc:
            job.detected = {**detected, "template_problem": " ".join(exc.messages)}
            job.save(update_fields=["detected"])
        else:
            _queue(job, column_map=cmap, fmt=template.format, source=detected.get("source", ""), dry_run=True)
    return job


def _check_map(job: ImportJob, cmap: tabular.ColumnMap) -> None:
    """Does the map fit the file's columns? Reads only the first rows, so a big file answers at once."""
    try:
        table = decoding.read_table(bytes(job.content), job.file_name, sheet=cmap.sheet)
        head = decoding.Table(table.head(), table.sheet, delimiter=table.delimiter)
        (tabular.records_wide if cmap.wide_indicators else tabular.records_long)(head, cmap)
    except (decoding.TabularError, ValueError) as exc:
        raise ValidationError(str(exc)) from exc


def build_map(job: ImportJob, *, fmt: str, roles: dict[str, str], wide: dict[str, str],
              default_period: str = "") -> tabular.ColumnMap:
    """A column map from the mapping form's choices (column indexes as text)."""
    specs = job.detected.get("specs", {})

    def spec(index: str) -> str | None:
        return specs.get(index) if index else None

    chosen = {role: spec(roles.get(role, "")) for role in ROLES}
    if fmt == TableFormat.WIDE:
        chosen["indicator"] = chosen["value"] = None
        wide_map = {spec(ix): code for code, ix in wide.items() if spec(ix)}
    else:
        wide_map = {}
    try:
        return tabular.ColumnMap(**chosen, wide_indicators=wide_map,
                                 default_period=default_period.strip() or None, sheet=job.detected.get("sheet"))
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


@transaction.atomic
def start_dry_run(*, actor, job: ImportJob, column_map: tabular.ColumnMap, fmt: str, source: str = "",
                  template_name: str = "") -> ImportJob:
    """Check the mapping against the file, optionally save it as a template, and queue the dry run."""
    _require(actor, job.city)
    job = ImportJob.objects.select_for_update().defer("content").get(pk=job.pk)
    if job.status not in {JobStatus.UPLOADED, JobStatus.DRY_RUN_READY, JobStatus.FAILED}:
        raise ValidationError(_("This import is already running."))
    problems = {}
    if fmt == TableFormat.LONG and (not column_map.indicator or not column_map.value):
        problems["indicator"] = _("Long format needs the column of indicator codes and the column of values.")
    if fmt == TableFormat.WIDE and not column_map.wide_indicators:
        problems["format"] = _("Wide format needs at least one column matched to an indicator.")
    if not column_map.period and not column_map.default_period:
        problems["period"] = _("Choose the column of periods, or give one period for the whole file.")
    if problems:
        raise ValidationError(problems)
    _check_map(job, column_map)
    template = None
    if template_name.strip():
        template = save_template(actor=actor, city=job.city, name=template_name, column_map=column_map, fmt=fmt)
    job.template = template or job.template
    _queue(job, column_map=column_map, fmt=fmt, source=source, dry_run=True)
    return job


@transaction.atomic
def save_template(*, actor, city: City, name: str, column_map: tabular.ColumnMap, fmt: str) -> ImportTemplate:
    _require(actor, city)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"template_name": _("Give the template a name.")})
    if ImportTemplate.objects.filter(city=city, name__iexact=name).exists():
        raise ValidationError({"template_name": _("A template named %(name)s exists already; choose another name.")
                               % {"name": name}})
    data = column_map.to_dict()
    data["sheet"] = None  # a template fits the next file, whatever its first sheet is called
    template = ImportTemplate.objects.create(city=city, name=name[:120], column_map=data, format=fmt,
                                             created_by=actor)
    record(actor=actor, action="import_template.create", obj=template, city=city,
           after={"name": template.name, "format": fmt, "column_map": data})
    return template


@transaction.atomic
def confirm(*, actor, job: ImportJob) -> ImportJob:
    """Queue the real import of a clean dry run. Clicking twice queues it once."""
    _require(actor, job.city)
    job = ImportJob.objects.select_for_update().defer("content").get(pk=job.pk)
    if not job.may_confirm:
        raise ValidationError(_("Only a dry run without errors can be imported."))
    job.confirmed_by, job.confirmed_at = actor, timezone.now()
    record(actor=actor, action="import.confirm", obj=job, city=job.city,
           after={"file": job.file_name, "sha256": job.sha256, "new": job.summary.get("new"),
                  "changed": job.summary.get("changed")})
    _queue(job, column_map=tabular.ColumnMap.from_dict(job.column_map), fmt=job.format,
           source=job.detected.get("source", ""), dry_run=False)
    return job


def _queue(job: ImportJob, *, column_map: tabular.ColumnMap, fmt: str, source: str, dry_run: bool) -> None:
    """Enqueue in the caller's transaction: the task row and the job's state are committed together, so a
    worker never sees a task for a job that does not exist yet (nor a queued job without its task)."""
    from .tasks import run_import

    job.column_map = column_map.to_dict()
    job.format = fmt
    job.detected = {**job.detected, "source": source.strip()[:300]}
    job.status = JobStatus.QUEUED
    job.dry_run = dry_run
    job.phase, job.progress_done, job.progress_total = "", 0, 0
    job.started_at = job.finished_at = None
    result = run_import.enqueue(job.pk, dry_run)
    job.task_id = str(result.id)
    job.save(update_fields=["column_map", "format", "detected", "status", "dry_run", "phase", "progress_done",
                            "progress_total", "started_at", "finished_at", "task_id", "template", "confirmed_by",
                            "confirmed_at"])


# ---- the job itself (task worker) -------------------------------------------------------------

class Progress:
    """Writes a job's progress, at most twice a second.

    Outside a transaction it is an ordinary short UPDATE. Inside the import's transaction (which holds the
    rows it writes until it commits), the update must not be part of it: on PostgreSQL it goes through a
    second connection, committed at once, so the page sees it live; SQLite has a single writer at a time,
    so a second connection would only wait for the import to finish — there the job shows its phase and
    the row count, and the count jumps when the transaction commits.
    """

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.last = 0.0
        self.side: object | None = None

    def phase(self, phase: str, done: int = 0, total: int = 0) -> None:
        ImportJob.objects.filter(pk=self.job_id).update(phase=phase, progress_done=done, progress_total=total)
        self.last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY and done < total:
            return
        self.last = now
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job_id).update(progress_done=done, progress_total=total)
        elif connection.vendor != "sqlite":
            self._side_update(done, total)

    def _side_update(self, done: int, total: int) -> None:
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        side = self.side
        table = side.ops.quote_name(ImportJob._meta.db_table)
        with side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET progress_done = %s, progress_total = %s WHERE id = %s",  # noqa: S608
                           [done, total, self.job_id])

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _counting(table: decoding.Table, progress: Progress, total: int) -> decoding.Table:
    """The same table, reporting the rows read as it is iterated."""

    def source():
        for n, row in enumerate(table, start=1):
            if n % 2000 == 0:
                progress(n, max(total, n))
            yield row

    return decoding.Table(source=source, sheet=table.sheet, sheet_names=table.sheet_names,
                         encoding=table.encoding, delimiter=table.delimiter, notes=table.notes)


def _labels(table: decoding.Table, cmap: tabular.ColumnMap) -> dict[str, str]:
    """How errors name the area, indicator and value columns ("B (Ward code)"), as the reader names its own;
    in wide format each indicator's column under "wide:<code>"."""
    try:
        lay = tabular.layout(table, cmap)
    except decoding.TabularError:
        return {}

    def find(spec: str):
        if spec.startswith("#"):
            pattern = hxl.TagPattern.parse(spec)
            return next((c for c in lay.columns if pattern.matches(c)), None)
        key = " ".join(spec.split()).casefold()
        return next((c for c in lay.columns if key in {" ".join(h.split()).casefold() for h in c.headers}), None)

    labels = {}
    for role in ("area", "indicator", "value"):
        spec = getattr(cmap, role)
        hit = find(spec) if spec else None
        if hit:
            labels[role] = hit.label
    for spec, code in (cmap.wide_indicators or {}).items():
        hit = find(spec)
        if hit:
            labels[f"wide:{code}"] = hit.label
    return labels


def _finish(job_id: int, status: str, summary: dict) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=status, summary=summary, finished_at=timezone.now(),
                                               phase="", progress_done=F("progress_total"))


def run_job(job_id: int, *, dry_run: bool, task_id: str) -> str:
    """Read, check and (unless a dry run) write one job's file. Returns the job's final status.

    Only the task the job last queued runs it, once: the claim is one conditional UPDATE, so two workers
    (or a stale task left from an earlier mapping) cannot both start it.
    """
    running = JobStatus.VALIDATING if dry_run else JobStatus.IMPORTING
    claimed = ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED, dry_run=dry_run, task_id=task_id) \
        .update(status=running, started_at=timezone.now())
    if not claimed:
        return "skipped"
    job = ImportJob.objects.select_related("city", "created_by", "confirmed_by").get(pk=job_id)
    progress = Progress(job_id)
    try:
        return _run(job, dry_run, progress)
    except Exception as exc:
        _finish(job_id, JobStatus.FAILED, {"failure": "unexpected", "message": type(exc).__name__})
        raise
    finally:
        progress.close()


def _run(job: ImportJob, dry_run: bool, progress: Progress) -> str:
    data = bytes(job.content)
    cmap = tabular.ColumnMap.from_dict(job.column_map)
    progress.phase("reading")
    try:
        table = decoding.read_table(data, job.file_name, sheet=cmap.sheet)
        total = data.count(b"\n") if table.delimiter else 0  # a CSV file's rows, nearly; unknown for XLSX
        reader = tabular.records_wide if cmap.wide_indicators else tabular.records_long
        result = reader(_counting(table, progress, total), cmap, max_errors=ImportJob.ERROR_CAP)
    except decoding.TabularError as exc:
        _finish(job.pk, JobStatus.FAILED, {"failure": "unreadable", "message": str(exc)})
        return JobStatus.FAILED
    labels = _labels(table, cmap)
    source = job.detected.get("source", "")
    records = [services.ObservationInput(
        row=r.row, area=r.area, indicator=r.indicator, period=r.period, period_start=r.start, period_end=r.end,
        value=r.value, sex=r.disaggregation.get("sex", ""), age_band=r.disaggregation.get("age", ""),
        group=r.disaggregation.get("group", ""), source=(r.source or source)[:300], method_note=r.note[:500])
        for r in result.records]
    progress.phase("writing", 0, len(records))
    actor = (job.confirmed_by or job.created_by) if not dry_run else job.created_by
    # Rows the reader refused are already errors; the rest are still checked (areas, indicators, values the
    # unit rules out) and counted, in a dry run, so the user sees every problem at once.
    summary = services.import_observations(
        actor=actor or "import", city=job.city, records=records,
        dry_run=dry_run or not result.ok, source_name=job.file_name, progress=progress)

    def column(e: services.InputError) -> str:
        # A value's column is the indicator's own in wide format ("value:<code>" from the service).
        kind, _sep, code = e.column.partition(":")
        if kind == "value":
            return labels.get(f"wide:{code}") or labels.get("value") or _("value")
        return labels.get(e.column, e.column)

    errors = [{"row": e.row, "column": e.column, "value": e.value, "message": e.message} for e in result.errors]
    errors += [{"row": e.row, "column": column(e), "value": e.value, "message": e.message} for e in summary.errors]
    errors.sort(key=lambda e: e["row"])
    error_count = result.error_count + len(summary.errors)
    # Rows as the spreadsheet has them, and values: in wide format one row holds a value per indicator.
    stored = {"new": summary.new, "changed": summary.changed, "unchanged": summary.unchanged,
              "rows": result.rows, "values": len(records), "skipped": result.skipped, "notes": result.notes,
              "errors": errors[:ImportJob.ERROR_CAP], "error_count": error_count,
              "examples": summary.examples, "dry_run": dry_run,
              # What the file holds, so the finished import links to exactly these values.
              "indicators": sorted({r.indicator for r in records})[:200],
              "periods": sorted({r.period for r in records})[:200]}
    if dry_run:
        status = JobStatus.DRY_RUN_READY
    elif error_count:
        stored["failure"] = "stale"  # the city's areas or indicators changed since the dry run
        status = JobStatus.FAILED
    else:
        status = JobStatus.DONE
    _finish(job.pk, status, stored)
    return status
