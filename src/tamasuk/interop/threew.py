"""3W/4W sheets ("who does what where", and when): one activity per row, columns found by HXL hashtags.

No Django: bytes in → activity records plus row errors out; records → CSV or XLSX bytes out. Reading goes
through the tabular modules (:mod:`.decoding` opens CSV/XLSX, :mod:`.hxl` finds the hashtag row and matches tag
patterns, :mod:`.values` reads numbers and periods), so a 3W sheet is read by the same rules as an indicator table.

    result = read(data, "3w.xlsx")                       # default hashtags, see DEFAULT_COLUMNS
    result = read(data, "3w.csv", {"area": "#adm1"})     # override some roles
    result.records, result.errors                        # ActivityRecord, tabular.RowError
    write(records), write_xlsx(records)                  # header row + hashtag row + data

Columns
    A column map gives, for some of the roles below, an HXL tag pattern (``#adm2+code``) or a header name
    (``"Organización"``); the roles it leaves out keep their defaults. A default may list alternatives,
    tried in order (the area is ``#adm2+code``, else ``#adm2+name``, else ``#adm2``). A pattern matches like
    libhxl (``#org`` matches ``#org+es``); when it matches several columns, the one whose attributes are
    exactly the pattern's wins, and if there is none the map must be more specific. ``organisation``,
    ``sector`` and ``area`` must be found; a role given explicitly must be found; other default roles
    are optional. Map a role to ``None`` to ignore that column.

    ============== =================================== ===================================
    role           default                             value
    ============== =================================== ===================================
    organisation   ``#org-type-code-id-acronym``       text, required in every row
    org. type      ``#org+type``                       text
    sector         ``#sector-code``                    text, required in every row
    subsector      ``#subsector-code``                 text
    area           ``#adm2+code``, ``#adm2+name``,     text (a P-code or a name), required
                   ``#adm2``
    reached_f/m    ``#reached+f``, ``#reached+m``      whole number ≥ 0
    reached_total  ``#reached+total``                  whole number ≥ reached_f + reached_m
    targeted_*     ``#targeted+f`` / ``+m`` / ``+total`` as reached
    capacity       ``#capacity``                       whole number ≥ 0
    start, end     ``#date+start``, ``#date+end``      a date or period; a period's first day
                                                       starts, its last day ends; end ≥ start
    reported       ``#date+reported``                  a date
    status         ``#status``                         text
    note           ``#meta+note``                      text
    ============== =================================== ===================================

    A count cell holding a small-cell marker (``<5``: fewer than 5; ``x``: hidden so that a small count
    cannot be worked out), as published exports write them, is read as not given (None), like ``n/a``.

    Dates: anything :func:`values.parse_period` reads (``2024-03-15``, ``2024-03``, ``2024-Q1``, ``2024``, an
    XLSX date cell), and also ``1 March 2015``, ``March 1, 2015`` and ``1-Mar-2015`` (English month names).
    Numbers follow :func:`values.parse_number` (``1,234``, ``12%``…); ``n/a`` and the other
    not-available markers leave the value unknown. A blank row (every mapped cell blank) is skipped.

Errors
    Every problem is a :class:`tabular.RowError` naming the spreadsheet row, the column (letter and
    header) and the cell: a missing organisation, sector or area, a cell that is not a number, a negative
    or fractional count, an end before the start, a total below women + men. A row with an error gives
    no record; the others are still read, so the whole file can be reported. Problems with the file as a
    whole (no hashtag row, a column that cannot be found) raise :class:`decoding.TabularError`.

Writing
    :func:`write` gives a UTF-8 CSV (with BOM, so Excel reads the accents) with a header row, a hashtag
    row and one row per record; :func:`write_xlsx` the same as an Excel workbook with real numbers and
    dates. Optional columns (subsector, targeted, reported) are written only when a record uses them.
    Both go through the application's one table writer (:func:`tabular.write_csv`,
    :func:`tabular.append_xlsx_row`): a CSV text cell that a spreadsheet would run as a formula (starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading ``'``, which
    :func:`read` removes again (:func:`tabular.unguard_formula`); in XLSX text is stored as text, never a
    formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from tamasuk.interop.decoding import Cell, TabularError, read_table
from tamasuk.interop.hxl import Column, Layout, TagPattern
from tamasuk.interop.tabular import (
    MAX_ERRORS,
    ColumnMap,
    RowError,
    append_xlsx_row,
    layout,
    unguard_formula,
    write_csv,
)
from tamasuk.interop.values import NOT_AVAILABLE, parse_number, parse_period

__all__ = [
    "ActivityRecord",
    "DEFAULT_COLUMNS",
    "ROLES",
    "ThreeWReadResult",
    "read",
    "write",
    "write_xlsx",
]

ROLES = (
    "organisation",
    "organisation_type",
    "sector",
    "subsector",
    "area",
    "reached_f",
    "reached_m",
    "reached_total",
    "targeted_f",
    "targeted_m",
    "targeted_total",
    "capacity",
    "start",
    "end",
    "reported",
    "status",
    "note",
)
REQUIRED = ("organisation", "sector", "area")
_COUNTS = (
    "reached_f",
    "reached_m",
    "reached_total",
    "targeted_f",
    "targeted_m",
    "targeted_total",
    "capacity",
)
_DATES = ("start", "end", "reported")
_TEXTS = ("organisation", "organisation_type", "sector", "subsector", "area", "status", "note")

DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "organisation": ("#org-type-code-id-acronym",),
    "organisation_type": ("#org+type",),
    "sector": ("#sector-code",),
    "subsector": ("#subsector-code",),
    "area": ("#adm2+code", "#adm2+name", "#adm2"),
    "reached_f": ("#reached+f",),
    "reached_m": ("#reached+m",),
    "reached_total": ("#reached+total",),
    "targeted_f": ("#targeted+f",),
    "targeted_m": ("#targeted+m",),
    "targeted_total": ("#targeted+total",),
    "capacity": ("#capacity",),
    "start": ("#date+start",),
    "end": ("#date+end",),
    "reported": ("#date+reported",),
    "status": ("#status",),
    "note": ("#meta+note",),
}

# (header, hashtag) written for each role; the area's hashtag is a parameter of write().
_WRITE_COLUMNS: dict[str, tuple[str, str]] = {
    "organisation": ("Organisation", "#org"),
    "organisation_type": ("Organisation type", "#org+type"),
    "sector": ("Sector", "#sector"),
    "subsector": ("Subsector", "#subsector"),
    "area": ("Area", "#adm2+code"),
    "reached_f": ("Reached (women and girls)", "#reached+f"),
    "reached_m": ("Reached (men and boys)", "#reached+m"),
    "reached_total": ("Reached (total)", "#reached+total"),
    "targeted_f": ("Targeted (women and girls)", "#targeted+f"),
    "targeted_m": ("Targeted (men and boys)", "#targeted+m"),
    "targeted_total": ("Targeted (total)", "#targeted+total"),
    "capacity": ("Capacity", "#capacity"),
    "start": ("Start", "#date+start"),
    "end": ("End", "#date+end"),
    "reported": ("Reported", "#date+reported"),
    "status": ("Status", "#status"),
    "note": ("Note", "#meta+note"),
}
_OPTIONAL_OUT = ("subsector", "targeted_f", "targeted_m", "targeted_total", "reported", "note")


@dataclass
class ActivityRecord:
    """One row of a 3W sheet. ``row`` is the spreadsheet row (1-based, as Excel shows it; 0 for a
    record made in code); counts are whole numbers or None when unknown. Written people-reached counts may
    also be a small-cell marker (``"<5"``, ``"x"``), written as text; read back, a marker is None."""

    row: int
    organisation: str
    organisation_type: str = ""
    sector: str = ""
    area: str = ""
    reached_f: int | str | None = None
    reached_m: int | str | None = None
    reached_total: int | str | None = None
    capacity: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    status: str = ""
    subsector: str = ""
    targeted_f: int | None = None
    targeted_m: int | None = None
    targeted_total: int | None = None
    reported: dt.date | None = None
    note: str = ""


@dataclass
class ThreeWReadResult:
    records: list[ActivityRecord]
    errors: list[RowError]
    notes: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # role → column label, for the dry-run page
    error_count: int = 0  # all errors; ``errors`` lists at most ``max_errors`` of them

    @property
    def ok(self) -> bool:
        return not self.errors and not self.error_count


# --------------------------------------------------------------------------------------------------
# Columns


def _is_tag(spec: str) -> bool:
    return spec.lstrip().startswith("#")


def _find(lay: Layout, spec: str) -> list[Column]:
    if _is_tag(spec):
        pattern = TagPattern.parse(spec)
        hits = [c for c in lay.columns if pattern.matches(c)]
        if len(hits) > 1:
            exact = [c for c in hits if set(c.attributes) == pattern.include]
            if len(exact) == 1:
                return exact
        return hits
    key = " ".join(spec.split()).casefold()
    return [c for c in lay.columns if key in {" ".join(h.split()).casefold() for h in c.headers}]


def _resolve(lay: Layout, specs: dict[str, tuple[str, ...]], explicit: set[str]) -> dict[str, Column]:
    found: dict[str, Column] = {}
    for role, alternatives in specs.items():
        for spec in alternatives:
            hits = _find(lay, spec)
            if len(hits) == 1:
                found[role] = hits[0]
                break
            if len(hits) > 1:
                names = ", ".join(f"{c.letter} {c.display_tag or c.header}" for c in hits)
                raise TabularError(
                    f"column map: {role} {spec.strip()!r} matches {len(hits)} columns ({names}); "
                    f"name one of them, e.g. {{'{role}': '{hits[0].display_tag or hits[0].header}'}}"
                )
        else:
            if role in REQUIRED or role in explicit:
                tags = ", ".join(c.display_tag for c in lay.columns if c.tag) or "none"
                heads = ", ".join(repr(c.header) for c in lay.columns if c.header) or "none"
                wanted = " or ".join(repr(s) for s in alternatives)
                raise TabularError(
                    f"column map: no column for {role} ({wanted}); the hashtags are: {tags}; "
                    f"the headers are: {heads}. Map {role} to one of them"
                )
    used: dict[int, str] = {}
    for role, col in found.items():
        if col.index in used:
            raise TabularError(f"column map: {used[col.index]} and {role} are both column {col.label}")
        used[col.index] = role
    return found


def _specs(column_map: dict[str, str | None] | None) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    specs = dict(DEFAULT_COLUMNS)
    explicit: set[str] = set()
    for role, spec in (column_map or {}).items():
        if role not in ROLES:
            raise ValueError(f"column map: unknown role {role!r}; the roles are {', '.join(ROLES)}")
        if spec is None:
            specs.pop(role, None)
            if role in REQUIRED:
                raise ValueError(f"column map: {role} is required and cannot be left out")
            continue
        if not isinstance(spec, str) or not spec.strip():
            raise ValueError(f"column map: {role} must be a hashtag pattern or a header name, not {spec!r}")
        if _is_tag(spec):
            TagPattern.parse(spec)  # ValueError naming the bad pattern
        specs[role] = (spec,)
        explicit.add(role)
    return specs, explicit


# --------------------------------------------------------------------------------------------------
# Values

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}
_DMY_RE = re.compile(r"^(\d{1,2})[\s-]+([A-Za-z]+)\.?[\s,-]+(\d{4})$")
_MDY_RE = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
_DATE_HELP = (
    "write a date such as 2024-03-15 (or 15 March 2024), a month (2024-03), a quarter (2024-Q1) or a year"
)


def _text(v: Cell) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    # Our own guard against formulas (see write()) comes off; a tab or return it protected is stripped as usual.
    return unguard_formula(str(v).strip()).strip()


def _date(v: Cell, last: bool) -> dt.date:
    """A date cell; for a period, its first day (``last`` False) or its last day."""
    t = _text(v)
    m = _DMY_RE.match(t) or _MDY_RE.match(t)
    if m:
        a, b, year = m.groups()
        day, month = (a, b) if m.re is _DMY_RE else (b, a)
        mo = _MONTHS.get(month.casefold())
        if mo is None:
            raise ValueError(f"{t!r}: {month!r} is not a month name; {_DATE_HELP}")
        try:
            return dt.date(int(year), mo, int(day))
        except ValueError as exc:
            raise ValueError(f"{t!r} is not a valid date ({exc})") from None
    try:
        p = parse_period(v)
    except ValueError as exc:
        msg = str(exc)
        if "is not a period" in msg:
            msg = f"{t!r} is not a date: {_DATE_HELP}"
        raise ValueError(msg) from None
    return p.end if last else p.start


_MARKER_RE = re.compile(r"^\s*(<\s*\d+|[xX])\s*$")  # a count hidden by small-cell suppression


def _count(v: Cell, decimal: str) -> int | None:
    """A whole number ≥ 0, None if blank, not available or a small-cell marker; ValueError otherwise."""
    if isinstance(v, str) and _MARKER_RE.match(v):
        return None
    try:
        x = parse_number(v, decimal)
    except ValueError as exc:
        raise ValueError(f"{exc}: write a whole number such as 120, or n/a if it is not known") from None
    if x is None or x is NOT_AVAILABLE:
        return None
    if x < 0:
        raise ValueError("a count cannot be negative")
    if not float(x).is_integer():
        raise ValueError("a count of people or places must be a whole number")
    return int(x)


# --------------------------------------------------------------------------------------------------
# Reading


def read(
    data: bytes,
    filename: str,
    column_map: dict[str, str | None] | None = None,
    *,
    sheet: str | None = None,
    decimal: str | None = None,
    max_errors: int = MAX_ERRORS,
) -> ThreeWReadResult:
    """Read a 3W sheet (CSV or XLSX). ``column_map`` maps roles to hashtag patterns or header names (see
    the module documentation); ``decimal`` is ``"."`` or ``","`` (default: ``,`` for a
    semicolon-separated CSV). At most ``max_errors`` errors are listed, all are counted. Raises :class:`TabularError` for a file that cannot be read this way."""
    specs, explicit = _specs(column_map)
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.', ',' or None, not {decimal!r}")
    table = read_table(data, filename, sheet=sheet)
    headers = [s for alts in specs.values() for s in alts if not _is_tag(s)]
    if headers:
        # tabular.layout() finds the header row from the header names a ColumnMap holds.
        lay = layout(table, ColumnMap(area=headers[0], wide_indicators={h: h for h in headers}))
    else:
        lay = layout(table)
    cols = _resolve(lay, specs, explicit)
    decimal = decimal or ("," if table.delimiter == ";" else ".")
    notes = list(table.notes)
    if decimal == "," and table.delimiter == ";":
        notes.append("semicolon-separated file: ',' read as the decimal separator (1,5 is 1.5)")

    records: list[ActivityRecord] = []
    errors: list[RowError] = []
    count = 0
    index = {role: c.index for role, c in cols.items()}
    labels = {role: c.label for role, c in cols.items()}
    need = max(index.values()) + 1
    first = lay.first_data_row
    r = first - 1
    try:
        for r, row in enumerate(islice(iter(table), first - 1, None), first):
            if len(row) < need:
                row = [*row, *([None] * (need - len(row)))]
            cells = {role: row[j] for role, j in index.items()}
            if all(_text(v) == "" for v in cells.values()):
                continue
            rec, errs = _record(r, cells, labels, decimal)
            if errs:
                count += len(errs)
                errors.extend(errs[: max(0, max_errors - len(errors))])
            else:
                records.append(rec)  # type: ignore[arg-type]
    except csv.Error as exc:
        raise TabularError(f"row {r + 1}: the CSV file cannot be read: {exc}") from exc
    if count > len(errors):
        notes.append(f"{count} errors in all; only the first {len(errors)} are listed")
    return ThreeWReadResult(records, errors, notes, labels, count)


def _record(
    r: int, cells: dict[str, Cell], labels: dict[str, str], decimal: str
) -> tuple[ActivityRecord | None, list[RowError]]:
    errs: list[RowError] = []

    def err(role: str, message: str) -> None:
        errs.append(RowError(r, labels[role], _text(cells[role]), message))

    values: dict[str, Any] = {}
    for role in _TEXTS:
        if role in cells:
            values[role] = _text(cells[role])
    for role in REQUIRED:
        if not values.get(role):
            what = {"organisation": "organisation", "sector": "sector", "area": "area"}[role]
            err(role, f"the {what} is empty: every activity needs an organisation, a sector and an area")
    for role in _COUNTS:
        if role in cells:
            try:
                values[role] = _count(cells[role], decimal)
            except ValueError as exc:
                err(role, str(exc))
    for role in _DATES:
        if role in cells and _text(cells[role]):
            try:
                values[role] = _date(cells[role], last=role == "end")
            except ValueError as exc:
                err(role, str(exc))
    start, end = values.get("start"), values.get("end")
    if start and end and end < start:
        err("end", f"the activity ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    for kind in ("reached", "targeted"):
        f, m, total = values.get(f"{kind}_f"), values.get(f"{kind}_m"), values.get(f"{kind}_total")
        if total is not None:
            parts = [x for x in (f, m) if x is not None]
            if parts and total < sum(parts):
                shown = " + ".join(str(x) for x in parts)
                err(f"{kind}_total", f"the total {total} is less than women and men ({shown} = {sum(parts)})")
    if errs:
        return None, errs
    return ActivityRecord(row=r, **values), []


# --------------------------------------------------------------------------------------------------
# Writing


def _out_roles(records: list[ActivityRecord]) -> list[str]:
    roles = []
    for role in ROLES:
        if role in _OPTIONAL_OUT and not any(getattr(rec, role) not in (None, "") for rec in records):
            continue
        roles.append(role)
    return roles


def _heads(roles: list[str], area_tag: str) -> tuple[list[str], list[str]]:
    TagPattern.parse(area_tag)
    heads = [_WRITE_COLUMNS[r][0] for r in roles]
    tags = [area_tag if r == "area" else _WRITE_COLUMNS[r][1] for r in roles]
    return heads, tags


def write(records: Iterable[ActivityRecord], *, area_tag: str = "#adm2+code") -> bytes:
    """The records as a UTF-8 CSV 3W sheet: a header row, an HXL hashtag row, one row per record."""
    records = list(records)
    roles = _out_roles(records)
    heads, tags = _heads(roles, area_tag)
    return write_csv([heads, tags, *([getattr(rec, r) for r in roles] for rec in records)])


def write_xlsx(
    records: Iterable[ActivityRecord], *, area_tag: str = "#adm2+code", sheet: str = "3W"
) -> bytes:
    """The records as an Excel workbook: the same rows as :func:`write`, numbers and dates typed."""
    import openpyxl
    from openpyxl.styles import Font

    records = list(records)
    roles = _out_roles(records)
    heads, tags = _heads(roles, area_tag)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for cell in append_xlsx_row(ws, heads):
        cell.font = Font(bold=True)
    for cell in append_xlsx_row(ws, tags):
        cell.font = Font(italic=True)
    for rec in records:
        values = [getattr(rec, r) for r in roles]
        cells = append_xlsx_row(ws, [None if v in (None, "") else v for v in values])
        for cell, v in zip(cells, values, strict=True):
            if isinstance(v, dt.date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A3"
    for j, h in enumerate(heads, 1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = max(12, min(40, len(h) + 2))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
