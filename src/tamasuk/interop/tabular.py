"""Reading observations (area, indicator, period, value) from a table in long or wide format.

No Django: a :class:`~tamasuk.interop.decoding.Table` and a :class:`ColumnMap` in, observation records plus
precise row errors out.

    table = read_table(data, "wards.xlsx")            # decoding.py
    result = records_long(table, ColumnMap(area="#adm2+code", indicator="#indicator+code",
                                           period="#date+year", value="#indicator+value"))
    result.records, result.errors, result.notes

The steps below the readers have their own modules: :mod:`.decoding` opens the file, :mod:`.hxl` finds
the columns a map names (HXL tag patterns or header names), :mod:`.values` reads numbers and periods.

Duplicates
    Two rows with the same area, indicator, period (normalised) and disaggregation are an error on the
    later row naming the earlier one.

Memory and speed
    Records share their repeated strings and disaggregation dicts, so treat
    :attr:`ObservationRecord.disaggregation` as read-only. ``benchmarks/tabular_bench.py`` measures a
    million rows.

Writing (every CSV and XLSX the application hands out goes through here)
    :func:`write_csv` gives UTF-8 with a byte order mark (so Excel reads accents and Arabic) and CRLF line
    ends; :func:`append_xlsx_row` adds a row to an openpyxl sheet. Names users type (an organisation, a
    profile, an indicator) end up in these files, and a spreadsheet runs a cell starting with ``=``, ``+``,
    ``-`` or ``@`` (or a tab or carriage return before one) as a formula: ``=HYPERLINK(…)`` in an
    organisation's name would be a link in the coordinator's Excel. So, as OWASP recommends for CSV
    injection, a *text* cell starting with one of those characters is written with a leading ``'``
    (:func:`guard_formula`); numbers are written as numbers (a score of -3.5 stays -3.5). A text cell that
    already starts with ``'`` followed by one of them, or by another ``'``, gets one more, so that
    :func:`unguard_formula` (which the 3W import applies) gives back exactly the text that was written. In
    XLSX a text cell is stored as text, never as a formula, and one starting with a formula character carries
    Excel's own quote prefix (the apostrophe Excel hides): the value itself is unchanged and stays text when
    edited. Only a text that :func:`unguard_formula` would change (``'=x``) gets the extra ``'`` in XLSX too,
    so that one reading rule takes our guard off both formats.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import numbers
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from decimal import Decimal
from itertools import islice
from typing import Any

from .decoding import Cell, Table, TabularError, cell_text, read_table
from .hxl import Layout, TagPattern, find_layout, norm_header
from .values import NOT_AVAILABLE, Period, parse_number, parse_period

__all__ = [
    "ColumnMap",
    "FORMULA_STARTS",
    "MAX_ERRORS",
    "ObservationRecord",
    "ReadResult",
    "RowError",
    "append_xlsx_row",
    "csv_cell",
    "guard_formula",
    "layout",
    "read",
    "records_long",
    "records_wide",
    "unguard_formula",
    "write_csv",
]

# Errors listed per read; the rest are counted in ReadResult.error_count.
MAX_ERRORS = 1000


# --------------------------------------------------------------------------------------------------
# Results


@dataclass(slots=True)
class ObservationRecord:
    """One value read from the file. ``row`` is the spreadsheet row (1-based, as Excel shows it);
    ``period`` is normalised and ``start``/``end`` are its first and last days (inclusive);
    ``disaggregation`` holds the non-blank ones of ``sex``, ``age`` and ``group`` (shared between
    records: read-only)."""

    row: int
    area: str
    indicator: str
    period: str
    value: float
    disaggregation: dict[str, str]
    start: dt.date
    end: dt.date
    source: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one cell or row. ``column`` is the column letter with its header (or hashtag),
    e.g. ``"D (Value)"``; ``value`` is the cell as text."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        shown = f" (value: {self.value!r})" if self.value else ""
        return f"{where}: {self.message}{shown}"


@dataclass
class ReadResult:
    """Records and row errors of one read. ``errors`` lists at most ``MAX_ERRORS`` (or the limit given);
    ``error_count`` counts them all. ``skipped`` counts cells left out without error (blank cells in
    wide format, values marked not available); ``notes`` say why, and how the file was decoded. ``rows``
    counts the data rows that were not empty."""

    records: list[ObservationRecord]
    errors: list[RowError]
    notes: list[str] = field(default_factory=list)
    skipped: int = 0
    error_count: int = 0
    # Data rows read (below the header and hashtag rows, empty rows left out): in wide format one row gives
    # several records, so this, not len(records), is what the user counts in their spreadsheet.
    rows: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and not self.errors



# --------------------------------------------------------------------------------------------------
# The column map (a template the user saves once)

_ROLES = ("area", "indicator", "period", "value", "source", "note", "sex", "age", "group")
_DISAGGREGATION = ("sex", "age", "group")


@dataclass
class ColumnMap:
    """Which column holds what. Each entry is an HXL tag pattern (starting with ``#``, e.g.
    ``#adm2+code``) or a header name (e.g. ``"Ward code"``).

    Long format uses ``indicator`` and ``value``; wide format uses ``wide_indicators`` (column →
    indicator code, one record per non-blank cell). ``period`` is a column; without one,
    ``default_period`` applies to every row. ``sex``, ``age``, ``group`` are optional disaggregation
    columns; ``source`` and ``note`` optional text columns. ``decimal`` is ``"."`` or ``","`` (None:
    ``,`` for semicolon-separated CSV, else ``.``); ``sheet`` the XLSX sheet to read (None: the first).
    Plain data, saved with :meth:`to_dict` and restored with :meth:`from_dict`.
    """

    area: str
    indicator: str | None = None
    period: str | None = None
    value: str | None = None
    source: str | None = None
    note: str | None = None
    sex: str | None = None
    age: str | None = None
    group: str | None = None
    wide_indicators: dict[str, str] = field(default_factory=dict)
    default_period: str | None = None
    decimal: str | None = None
    sheet: str | None = None

    VERSION = 1

    def __post_init__(self) -> None:
        for name in (*_ROLES, "default_period", "sheet"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or not v.strip()):
                raise ValueError(f"column map: {name} must be a non-empty text or None, not {v!r}")
        if not isinstance(self.wide_indicators, dict) or not all(
            isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip()
            for k, v in self.wide_indicators.items()
        ):
            raise ValueError("column map: wide_indicators must map column names or tags to indicator codes")
        if self.decimal not in (None, ".", ","):
            raise ValueError(f"column map: decimal must be '.', ',' or None, not {self.decimal!r}")
        for _, spec in self.column_specs():
            if spec.lstrip().startswith("#"):
                TagPattern.parse(spec)  # raises ValueError naming the bad pattern

    def column_specs(self) -> list[tuple[str, str]]:
        """(role, entry) for every column the map names; wide columns have role ``wide:<entry>``."""
        specs = [(r, getattr(self, r)) for r in _ROLES if getattr(self, r) is not None]
        specs += [(f"wide:{col}", col) for col in self.wide_indicators]
        return specs

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"version": self.VERSION}
        for f in fields(self):
            v = getattr(self, f.name)
            d[f.name] = dict(v) if isinstance(v, dict) else v
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnMap:
        data = dict(data)
        version = data.pop("version", cls.VERSION)
        if version != cls.VERSION:
            raise ValueError(f"column map: unknown version {version!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"column map: unknown field(s) {', '.join(unknown)}")
        if "area" not in data:
            raise ValueError("column map: 'area' is required")
        data["wide_indicators"] = dict(data.get("wide_indicators") or {})
        return cls(**data)


def layout(table: Table, cmap: ColumnMap | None = None) -> Layout:
    """Find the hashtag row (or, for a map by header names, the header row) and the columns.
    Raises :class:`TabularError` with :data:`UNTAGGED_MESSAGE` for a file without hashtags unless
    the map names its columns by header."""
    return find_layout(table, [s for _, s in cmap.column_specs()] if cmap else [])


@dataclass
class _Plan:
    layout: Layout
    index: dict[str, int]
    wide: list[tuple[int, str]]
    labels: dict[int, str]
    decimal: str
    default_period: Period | None
    notes: list[str]


def _resolve(table: Table, cmap: ColumnMap, wide: bool) -> _Plan:
    if wide:
        if not cmap.wide_indicators:
            raise TabularError("column map: wide format needs wide_indicators (column → indicator code)")
    elif cmap.indicator is None or cmap.value is None:
        raise TabularError("column map: long format needs an indicator column and a value column")
    default_period = None
    if cmap.period is None:
        if cmap.default_period is None:
            raise TabularError("column map: map a period column, or give a period for the whole file")
        try:
            default_period = parse_period(cmap.default_period)
        except ValueError as exc:
            raise TabularError(f"column map: default period: {exc}") from exc

    if wide:
        roles = [(r, s) for r, s in cmap.column_specs() if r not in ("indicator", "value")]
    else:
        roles = [(r, s) for r, s in cmap.column_specs() if not r.startswith("wide:")]
    lay = find_layout(table, [s for _, s in roles])
    index = {role: _find_column(lay, role, spec) for role, spec in roles}
    wide_cols = [(index[f"wide:{col}"], code) for col, code in cmap.wide_indicators.items()] if wide else []
    labels = {c.index: c.label for c in lay.columns}
    decimal = cmap.decimal or ("," if table.delimiter == ";" else ".")
    notes = list(table.notes)
    if cmap.decimal is None and decimal == ",":
        notes.append("semicolon-separated file: ',' read as the decimal separator (1,5 is 1.5)")
    return _Plan(lay, index, wide_cols, labels, decimal, default_period, notes)


def _find_column(lay: Layout, role: str, spec: str) -> int:
    what = "the wide-format column" if role.startswith("wide:") else role
    by_tag = spec.lstrip().startswith("#")
    if by_tag:
        pattern = TagPattern.parse(spec)
        hits = [c for c in lay.columns if pattern.matches(c)]
        if not hits:
            tags = ", ".join(c.display_tag for c in lay.columns if c.tag) or "none"
            raise TabularError(
                f"column map: no column matches {what} {spec.strip()!r}; the hashtags in row "
                f"{lay.hashtag_row} are: {tags}"
            )
    else:
        key = norm_header(spec)
        hits = [c for c in lay.columns if key in {norm_header(h) for h in c.headers}]
        if not hits:
            heads = ", ".join(repr(c.header) for c in lay.columns if c.header) or "none"
            raise TabularError(f"column map: no column headed {spec!r} for {what}; the headers are: {heads}")
    if len(hits) > 1:
        raise TabularError(
            f"column map: {what} {spec.strip()!r} matches {len(hits)} columns "
            f"({', '.join(f'{c.letter} {c.display_tag}' if by_tag else c.label for c in hits)}); "
            "make it more specific"
        )
    return hits[0].index


# --------------------------------------------------------------------------------------------------
# Records


class _Errors:
    __slots__ = ("items", "count", "limit")

    def __init__(self, limit: int) -> None:
        self.items: list[RowError] = []
        self.count = 0
        self.limit = limit

    def add(self, row: int, column: str, value: Cell, message: str) -> None:
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append(RowError(row, column, cell_text(value), message))


class _Skips:
    __slots__ = ("na", "blank", "first_na", "markers")

    def __init__(self) -> None:
        self.na = 0
        self.blank = 0
        self.first_na: tuple[int, str] | None = None
        self.markers: set[str] = set()

    def not_available(self, row: int, label: str, value: Cell) -> None:
        self.na += 1
        if len(self.markers) < 10:
            self.markers.add(cell_text(value))
        if self.first_na is None:
            self.first_na = (row, label)

    def notes(self) -> list[str]:
        out = []
        if self.na:
            row, label = self.first_na  # type: ignore[misc]
            marks = ", ".join(repr(m) for m in sorted(self.markers))
            out.append(
                f"{self.na} value(s) marked as not available ({marks}) were skipped; "
                f"the first is in row {row}, column {label}"
            )
        if self.blank:
            out.append(f"{self.blank} blank cell(s) were skipped")
        return out


_EMPTY: dict[str, str] = {}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a read creates its (acyclic) records: with a million
    objects its repeated passes over the growing heap cost more than the reading itself. Reference
    counting still frees everything; the collector's previous state is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _value_problem(message: str) -> str:
    return f"{message}: write a number such as 12, 12.5, 1,234 or 12%, or n/a if not available"


def records_long(table: Table, cmap: ColumnMap, *, max_errors: int = MAX_ERRORS) -> ReadResult:
    """Long format: one observation per row (area, indicator, period, value, and optional
    disaggregation, source and note columns). Raises :class:`TabularError` when the columns cannot
    be found; every row-level problem is a :class:`RowError`."""
    plan = _resolve(table, cmap, wide=False)
    with _gc_paused():
        return _read_long(table, plan, max_errors)


def _read_long(table: Table, plan: _Plan, max_errors: int) -> ReadResult:
    ix = plan.index
    ia, ii, iv = ix["area"], ix["indicator"], ix["value"]
    ip = ix.get("period")
    isrc, inote = ix.get("source"), ix.get("note")
    dcols = [(name, ix[name]) for name in _DISAGGREGATION if name in ix]
    need = max(ix.values()) + 1
    labels = plan.labels
    la, li, lv = labels[ia], labels[ii], labels[iv]
    lp = labels[ip] if ip is not None else ""
    decimal = plan.decimal
    comma = decimal == ","
    dflt = plan.default_period

    errors = _Errors(max_errors)
    skips = _Skips()
    records: list[ObservationRecord] = []
    append = records.append
    texts: dict[Cell, str] = {}
    periods: dict[Cell, Period | str] = {}
    disaggs: dict[tuple[str, ...], dict[str, str]] = {}
    seen: dict[tuple, dict[str, ObservationRecord]] = {}
    first = plan.layout.first_data_row
    r = first - 1
    empty = 0
    rows = islice(iter(table), first - 1, None)
    src_note = isrc is not None or inote is not None
    try:
        for r, row in enumerate(rows, first):
            if len(row) < need:
                row = [*row, *([None] * (need - len(row)))]
            a, k, v = row[ia], row[ii], row[iv]
            area = texts.get(a)
            if area is None:
                area = texts[a] = cell_text(a)
            ind = texts.get(k)
            if ind is None:
                ind = texts[k] = cell_text(k)
            if ip is not None:
                pv = row[ip]
                per = periods.get(pv)
                if per is None:
                    try:
                        per = parse_period(pv)
                    except ValueError as exc:
                        per = str(exc)
                    periods[pv] = per
            else:
                pv, per = None, dflt
            # The value: float() first; the documented rules only when it fails or could mislead.
            try:
                x = float(v)  # type: ignore[arg-type]
            except (ValueError, TypeError):
                x = None
            else:
                if (
                    x - x != 0.0
                    or v is True
                    or v is False
                    or (
                        v.__class__ is str and ("_" in v or (comma and "." in v))  # type: ignore[operator]
                    )
                ):
                    x = None
            if x is None or not area or not ind or per.__class__ is str:
                # The slow path: blank rows, values needing the rules, and every kind of error.
                bad = None
                try:
                    x = parse_number(v, decimal)
                except ValueError as exc:
                    bad = str(exc)
                if not area and not ind and x is None and bad is None and not cell_text(pv):
                    empty += 1
                    continue  # an empty row (its mapped cells are blank)
                failed = False
                if not area:
                    errors.add(r, la, a, "the area is empty")
                    failed = True
                if not ind:
                    errors.add(r, li, k, "the indicator is empty")
                    failed = True
                if per.__class__ is str:
                    errors.add(r, lp, pv, per)  # type: ignore[arg-type]
                    failed = True
                if bad is not None:
                    errors.add(r, lv, v, _value_problem(bad))
                    failed = True
                elif x is None:
                    errors.add(r, lv, v, "the value is empty: enter a number, or n/a if it is not available")
                    failed = True
                elif x is NOT_AVAILABLE:
                    if not failed:
                        skips.not_available(r, lv, v)
                    continue
                if failed:
                    continue
            if dcols:
                dkey = tuple([cell_text(row[j]) for _, j in dcols])
                dis = disaggs.get(dkey)
                if dis is None:
                    dis = disaggs[dkey] = {n: t for (n, _), t in zip(dcols, dkey, strict=True) if t}
                key = (ind, per.text, dkey)  # type: ignore[union-attr]
            else:
                dis = _EMPTY
                key = (ind, per.text)  # type: ignore[union-attr,assignment]
            group = seen.get(key)
            if group is None:
                group = seen[key] = {}
            prev = group.get(area)
            if prev is not None:
                errors.add(r, lv, v, _duplicate_message(prev, dis))
                continue
            if src_note:
                rec = ObservationRecord(
                    r,
                    area,
                    ind,
                    per.text,
                    x,
                    dis,
                    per.start,
                    per.end,  # type: ignore[union-attr,arg-type]
                    cell_text(row[isrc]) if isrc is not None else "",
                    cell_text(row[inote]) if inote is not None else "",
                )
            else:
                rec = ObservationRecord(r, area, ind, per.text, x, dis, per.start, per.end)  # type: ignore[union-attr,arg-type]
            group[area] = rec
            append(rec)
    except csv.Error as exc:
        raise TabularError(f"row {r + 1}: the CSV file cannot be read: {exc}") from exc
    return _result(records, errors, skips, plan, rows=r - first + 1 - empty)


def records_wide(table: Table, cmap: ColumnMap, *, max_errors: int = MAX_ERRORS) -> ReadResult:
    """Wide format: one column per indicator (``cmap.wide_indicators``); each non-blank cell of those
    columns is one observation of its row's area and period. Blank cells are skipped."""
    plan = _resolve(table, cmap, wide=True)
    with _gc_paused():
        return _read_wide(table, plan, max_errors)


def _read_wide(table: Table, plan: _Plan, max_errors: int) -> ReadResult:
    ix = plan.index
    ia = ix["area"]
    ip = ix.get("period")
    isrc, inote = ix.get("source"), ix.get("note")
    dcols = [(name, ix[name]) for name in _DISAGGREGATION if name in ix]
    need = max(ix.values()) + 1
    labels = plan.labels
    wide = [(j, code, labels[j]) for j, code in plan.wide]
    decimal = plan.decimal
    dflt = plan.default_period

    errors = _Errors(max_errors)
    skips = _Skips()
    records: list[ObservationRecord] = []
    texts: dict[Cell, str] = {}
    periods: dict[Cell, Period | str] = {}
    disaggs: dict[tuple[str, ...], dict[str, str]] = {}
    seen: dict[tuple[str, str, tuple[str, ...]], dict[str, ObservationRecord]] = {}
    first = plan.layout.first_data_row
    r = first - 1
    empty = 0
    try:
        for r, row in enumerate(islice(iter(table), first - 1, None), first):
            if len(row) < need:
                row = [*row, *([None] * (need - len(row)))]
            values = []
            for j, code, label in wide:
                v = row[j]
                try:
                    values.append((j, code, label, v, parse_number(v, decimal), None))
                except ValueError as exc:
                    values.append((j, code, label, v, None, str(exc)))
            a = row[ia]
            area = texts.get(a)
            if area is None:
                area = texts[a] = cell_text(a)
            pv = row[ip] if ip is not None else None
            if all(x is None and bad is None for *_, x, bad in values):
                # No value in any indicator column: nothing to import, whatever the area and period say (a
                # downloaded template lists every ward; a team fills in the wards it has numbers for).
                if area or cell_text(pv):
                    skips.blank += len(values)
                empty += 1
                continue
            failed = False
            if not area:
                errors.add(r, labels[ia], a, "the area is empty")
                failed = True
            if ip is not None:
                per = periods.get(pv)
                if per is None:
                    try:
                        per = parse_period(pv)
                    except ValueError as exc:
                        per = str(exc)
                    periods[pv] = per
                if per.__class__ is str:
                    errors.add(r, labels[ip], pv, per)  # type: ignore[arg-type]
                    failed = True
            else:
                per = dflt
            for _, _, label, v, _, bad in values:
                if bad is not None:
                    errors.add(r, label, v, _value_problem(bad))
                    failed = True
            if failed:
                continue
            if dcols:
                dkey = tuple(cell_text(row[j]) for _, j in dcols)
                dis = disaggs.get(dkey)
                if dis is None:
                    dis = disaggs[dkey] = {n: t for (n, _), t in zip(dcols, dkey, strict=True) if t}
            else:
                dkey, dis = (), _EMPTY
            src = cell_text(row[isrc]) if isrc is not None else ""
            note = cell_text(row[inote]) if inote is not None else ""
            for _, code, label, v, x, _ in values:
                if x is None:
                    skips.blank += 1
                    continue
                if x is NOT_AVAILABLE:
                    skips.not_available(r, label, v)
                    continue
                key = (code, per.text, dkey)  # type: ignore[union-attr]
                group = seen.get(key)
                if group is None:
                    group = seen[key] = {}
                prev = group.get(area)
                if prev is not None:
                    errors.add(r, label, v, _duplicate_message(prev, dis))
                    continue
                rec = ObservationRecord(r, area, code, per.text, x, dis, per.start, per.end, src, note)  # type: ignore[union-attr]
                group[area] = rec
                records.append(rec)
    except csv.Error as exc:
        raise TabularError(f"row {r + 1}: the CSV file cannot be read: {exc}") from exc
    return _result(records, errors, skips, plan, rows=r - first + 1 - empty)


def _duplicate_message(prev: ObservationRecord, dis: dict[str, str]) -> str:
    what = f"area {prev.area!r}, indicator {prev.indicator!r}, period {prev.period!r}"
    if dis:
        what += ", " + ", ".join(f"{k} {v!r}" for k, v in dis.items())
    return f"duplicate of row {prev.row}: both rows give {what}; keep one of them"


def _result(records: list[ObservationRecord], errors: _Errors, skips: _Skips, plan: _Plan, *, rows: int = 0
            ) -> ReadResult:
    notes = [*plan.notes, *skips.notes()]
    if errors.count > len(errors.items):
        notes.append(f"{errors.count} errors in all; only the first {len(errors.items)} are listed")
    return ReadResult(records, errors.items, notes, skips.na + skips.blank, errors.count, rows=rows)


def read(
    data: bytes, filename: str, cmap: ColumnMap, *, sheet: str | None = None, max_errors: int = MAX_ERRORS
) -> ReadResult:
    """Read a file with a column map: wide format if the map has ``wide_indicators``, else long."""
    table = read_table(data, filename, sheet=sheet or cmap.sheet)
    if cmap.wide_indicators:
        return records_wide(table, cmap, max_errors=max_errors)
    return records_long(table, cmap, max_errors=max_errors)


# --------------------------------------------------------------------------------------------------
# Writing

# What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection"): the operators, and a tab or
# carriage return, which Excel skips before looking for one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_GUARDED = (*FORMULA_STARTS, "'")


def guard_formula(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs: a leading ``'`` before a formula character (and
    before a ``'`` that :func:`unguard_formula` would otherwise take for ours)."""
    if text[:1] in FORMULA_STARTS or (text[:1] == "'" and text[1:2] in _GUARDED):
        return "'" + text
    return text


def unguard_formula(text: str) -> str:
    """The text :func:`guard_formula` was given (for any text it returned); other text is left as it is."""
    if text[:1] == "'" and text[1:2] in _GUARDED:
        return text[1:]
    return text


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: blank for None, numbers as numbers (negative ones too), dates in ISO form, and
    every other value as text guarded against running as a formula."""
    if value is None:
        return ""
    if isinstance(value, str):
        return guard_formula(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, numbers.Number):
        return str(value)
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    return guard_formula(str(value))


def write_csv(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows of values (see :func:`csv_cell`) as a CSV file: UTF-8 with a byte order mark, CRLF line ends."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def append_xlsx_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """Append ``values`` to an openpyxl worksheet and return the row's cells (for styling). openpyxl stores a
    string starting with ``=`` as a formula: every text cell is stored as text instead, and one starting with
    a formula character is quote-prefixed, so Excel keeps it text even when someone edits the cell."""
    values = list(values)
    ws.append(values)
    row = ws._current_row  # the row append() wrote (max_row misses a row of blanks, which makes no cells)
    cells = [ws.cell(row=row, column=j) for j in range(1, len(values) + 1)]
    for cell, value in zip(cells, values, strict=True):
        if isinstance(value, str) and value:
            if value[:1] == "'":
                cell.value = guard_formula(value)  # "'=x" → "''=x": a reader taking our guard off gets "'=x"
            cell.data_type = "s"
            if value[:1] in FORMULA_STARTS:
                cell.quotePrefix = True
    return cells
