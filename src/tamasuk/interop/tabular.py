"""Reading tables of observations (CSV, XLSX) with HXL hashtags or mapped headers.

No Django: bytes in, observation records plus precise row errors out.

    table = read_table(data, "wards.xlsx")            # CSV or XLSX, decoded, rows streamed
    result = records_long(table, ColumnMap(area="#adm2+code", indicator="#indicator+code",
                                           period="#date+year", value="#indicator+value"))
    result.records, result.errors, result.notes

Finding the columns
    Like libhxl, the *hashtag row* is the first row among the first 25 in which at least half of the
    non-empty cells are valid HXL hashtags (``#tag`` followed by any ``+attribute``s, e.g. ``#adm2+code``,
    ``#affected+f+children``). Rows above it are header rows (there may be several, or none); data rows
    follow it. A :class:`ColumnMap` entry starting with ``#`` is a tag pattern and matches like libhxl:
    ``#adm2+code`` matches a column tagged ``#adm2+code+v_pcode`` (the pattern's attributes are a subset
    of the column's), ``-attribute`` excludes, case-insensitive. Any other entry is a header name, compared
    case-insensitively with runs of white space collapsed; in a file without hashtags the header row is
    the first row that holds every mapped header name. A pattern or name matching no column, or more
    than one, is an error naming the candidates.

Row numbers
    Every row number is the 1-based spreadsheet row the user sees in Excel (header and hashtag rows
    count; for a CSV file, a quoted value spanning several lines is still one row).

Numbers (:func:`parse_number`)
    - Cells that are numbers in an XLSX file are used as they are.
    - Text: surrounding spaces are ignored; a trailing ``%`` is dropped and the number kept as written
      (``12%`` and ``12 %`` are 12, not 0.12); ``−`` (U+2212) counts as a minus sign.
    - Each file has a *decimal separator*: ``,`` for a semicolon-separated CSV (how Excel saves CSV where
      the decimal separator is a comma), ``.`` otherwise; :attr:`ColumnMap.decimal` overrides it.
    - When both ``.`` and ``,`` occur, the last one is the decimal separator and the other groups
      thousands (``1,234.5`` and ``1.234,5`` are both 1234.5).
    - When only one of them occurs: the file's decimal separator is a decimal separator if it occurs
      once, and must group thousands if it occurs more than once (``1.234.567``). The other one groups
      thousands when it does so validly — every group after the first has exactly three digits and the
      first has one to three digits, not starting with 0 (``1,234`` is 1234 and ``1,234,567`` is 1234567
      in a ``.`` file) — and is otherwise a decimal separator if it occurs once (``12,5`` is 12.5 and
      ``0,125`` is 0.125 in a ``.`` file). So ``1,234`` reads 1234 in a comma- or tab-separated file
      and 1.234 in a semicolon-separated one.
    - Spaces (also no-break and thin spaces) may group thousands (``1 234,5``), with the same rule.
    - Blank: no value. In wide format the cell is skipped, not an error; in long format a row with a
      blank value is an error (write ``n/a`` if the value is not available).
    - ``n/a``, ``na``, ``n.a.``, ``n/d``, ``s/d``, ``-``, ``--``, ``–``, ``—``, ``..``, ``...``, ``…``,
      ``#N/A``, ``null``, ``none``, ``nan`` (any case): not available, skipped, counted in a note.
    - Anything else (words, two decimal separators, ``1,23,456``, ``inf``, an Excel error such as
      ``#DIV/0!``) is an error naming the row, the column and the value.

Periods (:func:`parse_period`)
    ``2024`` → year; ``2024-Q3``, ``2024Q3``, ``2024 q3`` → ``2024-Q3``; ``2024-03`` (or ``2024-3``) →
    month ``2024-03``; ``2024-03-15`` → that day; ``start/end`` with any two of these → the range from
    the start of the first to the end of the second (``2024-01-01/2024-06-30``). Each gives a normalised
    string and (start, end) dates, both inclusive. An XLSX date cell reads as its ISO date.

Duplicates
    Two rows with the same area, indicator, period (normalised) and disaggregation are an error on the
    later row naming the earlier one.

Memory and speed
    A CSV table is decoded and parsed as it is read, never held as a list of rows (unless
    :attr:`Table.rows` is asked for); records share their repeated strings and disaggregation dicts,
    so treat :attr:`ObservationRecord.disaggregation` as read-only. ``benchmarks/tabular_bench.py``
    measures a million rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
import io
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from itertools import islice
from typing import Any

__all__ = [
    "Cell",
    "Column",
    "ColumnMap",
    "Layout",
    "NOT_AVAILABLE",
    "ObservationRecord",
    "Period",
    "ReadResult",
    "RowError",
    "TabularError",
    "Table",
    "TagPattern",
    "UNTAGGED_MESSAGE",
    "column_letter",
    "find_hashtag_row",
    "layout",
    "parse_number",
    "parse_period",
    "read",
    "read_table",
    "records_long",
    "records_wide",
]

Cell = str | float | int | None

# The hashtag row is looked for among the first rows, like libhxl.
HASHTAG_SCAN_ROWS = 25
# At least this share of a row's non-empty cells must be hashtags (libhxl's FUZZY_HASHTAG_PERCENTAGE).
HASHTAG_SHARE = 0.5
UNTAGGED_MESSAGE = (
    "no HXL hashtag row found: add a row of hashtags under the headers, or map the columns by header name"
)
# Errors listed per read; the rest are counted in ReadResult.error_count.
MAX_ERRORS = 1000

_TOKEN = r"[A-Za-z][A-Za-z0-9_]*"
# A column's hashtag, as libhxl's Column.PATTERN (white space allowed before a "+").
_TAG_RE = re.compile(rf"^\s*#({_TOKEN})((?:\s*\+{_TOKEN})*)\s*$")
# The same without the "#": recognises a hashtag row whose "#"s were forgotten.
_BARE_TAG_RE = re.compile(rf"^\s*({_TOKEN})((?:\s*\+{_TOKEN})*)\s*$")
# A tag pattern, as libhxl's TagPattern.PATTERN: "+attribute" must be present, "-attribute" absent.
_PATTERN_RE = re.compile(rf"^\s*#({_TOKEN})((?:\s*[+-]\s*{_TOKEN})*)\s*$")

_NOT_AVAILABLE = frozenset(
    [
        "n/a",
        "na",
        "n.a.",
        "n.a",
        "n/d",
        "nd",
        "s/d",
        "-",
        "--",
        "–",
        "—",
        "..",
        "...",
        "…",
        "#n/a",
        "null",
        "none",
        "nan",
    ]
)
_SPACES = (" ", "\u00a0", "\u202f", "\u2009", "\u2007")
_PLAIN = (str, int, float)


class TabularError(ValueError):
    """The file as a whole cannot be read with this map: unreadable file, no hashtag row, a column the
    map names is missing. Row-level problems are :class:`RowError`s instead."""


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


@dataclass(frozen=True, slots=True)
class Period:
    """A normalised period: ``text`` such as ``2024``, ``2024-Q3``, ``2024-03``, ``2024-03-15`` or
    ``2024-01-01/2024-06-30``, with its first and last days."""

    text: str
    start: dt.date
    end: dt.date


# --------------------------------------------------------------------------------------------------
# Tables


class Table:
    """The rows of one sheet (or CSV file), cells as str, numbers, or None for an empty XLSX cell.

    ``Table(rows, sheet)`` wraps rows already in memory. :func:`read_table` returns a table that
    decodes and parses its source afresh each time it is iterated, so a large CSV file is never held
    as a list of rows; :attr:`rows` builds that list (and keeps it) when asked.
    """

    __slots__ = ("_rows", "_source", "sheet", "sheet_names", "encoding", "delimiter", "notes")

    def __init__(
        self,
        rows: Iterable[list[Cell]] | None = None,
        sheet: str | None = None,
        *,
        source: Callable[[], Iterator[list[Cell]]] | None = None,
        sheet_names: tuple[str, ...] = (),
        encoding: str | None = None,
        delimiter: str | None = None,
        notes: Iterable[str] = (),
    ) -> None:
        if (rows is None) == (source is None):
            raise TypeError("give either rows or a source")
        self._rows = [list(r) for r in rows] if rows is not None else None
        self._source = source
        self.sheet = sheet
        self.sheet_names = sheet_names
        self.encoding = encoding
        self.delimiter = delimiter
        self.notes = list(notes)

    @property
    def rows(self) -> list[list[Cell]]:
        if self._rows is None:
            self._rows = [list(r) for r in self]
        return self._rows

    def __iter__(self) -> Iterator[list[Cell]]:
        if self._rows is not None:
            return iter(self._rows)
        assert self._source is not None
        return self._source()

    def head(self, n: int = HASHTAG_SCAN_ROWS) -> list[list[Cell]]:
        """The first ``n`` rows."""
        return [list(r) for r in islice(iter(self), n)]

    def __repr__(self) -> str:
        kind = f"{len(self._rows)} rows" if self._rows is not None else "streamed"
        return f"<Table {kind} sheet={self.sheet!r} encoding={self.encoding!r} delimiter={self.delimiter!r}>"


def read_table(
    data: bytes,
    filename: str,
    *,
    sheet: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Table:
    """Open a CSV or XLSX file. XLSX is recognised by its name (``.xlsx``, ``.xlsm``) or content;
    anything else is read as CSV. ``sheet`` names a worksheet (default: the first). For CSV, the
    delimiter (``,``, ``;`` or tab) and the encoding (UTF-8 with or without BOM, UTF-16 with BOM, else
    Windows-1252, else Latin-1, with a note) are detected unless given."""
    if not data:
        raise TabularError(f"{filename}: the file is empty")
    name = filename.lower()
    if name.endswith(".xls") or data[:4] == b"\xd0\xcf\x11\xe0":
        raise TabularError(
            f"{filename}: this is an old Excel .xls workbook; save it as Excel Workbook (.xlsx) or CSV UTF-8"
        )
    if name.endswith((".ods", ".numbers")):
        raise TabularError(f"{filename}: save the spreadsheet as Excel Workbook (.xlsx) or CSV UTF-8")
    if name.endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, filename, sheet)
    return _read_csv(data, filename, delimiter, encoding)


def _read_xlsx(data: bytes, filename: str, sheet: str | None) -> Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, InvalidFileException)
        raise TabularError(
            f"{filename}: cannot read it as an Excel workbook ({exc.__class__.__name__}: {exc}); "
            "save it again as Excel Workbook (.xlsx) or CSV UTF-8"
        ) from exc
    names = tuple(wb.sheetnames)
    worksheets = wb.worksheets
    if sheet is None:
        if not worksheets:
            raise TabularError(f"{filename}: the workbook has no worksheet")
        ws = worksheets[0]
    else:
        match = [w for w in worksheets if w.title == sheet]
        if not match:
            match = [w for w in worksheets if w.title.strip().casefold() == sheet.strip().casefold()]
        if not match:
            raise TabularError(f"{filename}: no sheet named {sheet!r}; the workbook has: {', '.join(names)}")
        ws = match[0]
    # Some writers record wrong dimensions; read what the sheet holds (missing rows still count).
    ws.reset_dimensions()

    def source() -> Iterator[list[Cell]]:
        for values in ws.iter_rows(values_only=True):
            row = [v if v is None or v.__class__ in _PLAIN else _xlsx_value(v) for v in values]
            while row and row[-1] is None:
                row.pop()
            yield row

    return Table(source=source, sheet=ws.title, sheet_names=names)


def _xlsx_value(v: Any) -> Cell:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) and v.tzinfo is None else v.isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, int | float):
        return v
    return str(v)


def _read_csv(data: bytes, filename: str, delimiter: str | None, encoding: str | None) -> Table:
    notes: list[str] = []
    if encoding is None:
        encoding, note = _detect_encoding(data)
        if note:
            notes.append(note)
    else:
        try:
            codecs.lookup(encoding)
            data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise TabularError(f"{filename}: cannot decode it as {encoding}: {exc}") from exc

    sample = _decode_sample(data, encoding)
    skip_first = False
    first_line = sample.split("\n", 1)[0].strip("\r\n")
    if first_line.lower().startswith("sep=") and len(first_line) == 5:
        # Excel's hint line ("sep=;"): Excel hides it, so the rows the user sees start below it.
        delimiter = delimiter or first_line[4]
        skip_first = True
        sample = sample.split("\n", 1)[1] if "\n" in sample else ""
    if delimiter is None:
        delimiter = _sniff_delimiter(sample)
    elif len(delimiter) != 1:
        raise TabularError(f"{filename}: the delimiter must be one character, not {delimiter!r}")

    def source() -> Iterator[list[Cell]]:
        text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
        if skip_first:
            text.readline()
        return csv.reader(text, delimiter=delimiter)  # type: ignore[return-value]

    return Table(source=source, sheet=None, encoding=encoding, delimiter=delimiter, notes=notes)


def _detect_encoding(data: bytes) -> tuple[str, str | None]:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    if data.isascii():
        return "utf-8", None
    try:
        data.decode("utf-8")
        return "utf-8", None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        where = f"line {line}"
    try:
        data.decode("cp1252")
        enc, label = "cp1252", "Windows-1252"
    except UnicodeDecodeError:
        enc, label = "latin-1", "Latin-1"
    return enc, (
        f"the file is not valid UTF-8 (first in {where}); it was read as {label}: check accented "
        "letters, or save the file as CSV UTF-8"
    )


def _decode_sample(data: bytes, encoding: str, size: int = 65536) -> str:
    chunk = data[:size]
    text = chunk.decode(encoding, errors="ignore")
    if len(data) > size and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # whole lines only
    return text


def _sniff_delimiter(sample: str, rows: int = 50) -> str:
    """The candidate giving the most sample rows with the same number (more than one) of fields;
    ties go to more fields, then to the order ``,`` ``;`` tab."""
    best, best_score = ",", (0, 0)
    for delim in (",", ";", "\t"):
        counts: dict[int, int] = {}
        try:
            for row in islice(csv.reader(io.StringIO(sample, newline=""), delimiter=delim), rows):
                if any(c.strip() for c in row):
                    counts[len(row)] = counts.get(len(row), 0) + 1
        except csv.Error:
            continue
        if not counts:
            continue
        width, freq = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = (freq, width) if width > 1 else (0, 0)
        if score > best_score:
            best, best_score = delim, score
    return best


# --------------------------------------------------------------------------------------------------
# HXL hashtags and columns


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index: 0 → A, 26 → AA."""
    s = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _cell_text(v: Cell) -> str:
    if v is None:
        return ""
    if v.__class__ is str:
        return v.strip()  # type: ignore[union-attr]
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v).strip()


def _parse_tag(cell: Cell) -> tuple[str, tuple[str, ...]] | None:
    if cell.__class__ is not str or "#" not in cell:  # type: ignore[operator]
        return None
    m = _TAG_RE.match(cell)  # type: ignore[arg-type]
    if not m:
        return None
    attrs = tuple(a.strip().lower() for a in m.group(2).split("+")[1:])
    return m.group(1).lower(), attrs


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the table. ``index`` is 0-based; ``tag`` is the hashtag without ``#`` and
    attributes, lower-case (None when untagged); ``headers`` are the non-empty header texts above it,
    top to bottom, and ``header`` the nearest of them."""

    index: int
    tag: str | None = None
    attributes: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return self.headers[-1] if self.headers else ""

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def display_tag(self) -> str:
        return "#" + "+".join((self.tag, *self.attributes)) if self.tag else ""

    @property
    def label(self) -> str:
        """How errors name the column: ``D (Number affected)``, ``D (#affected)`` or ``D``."""
        name = self.header or self.display_tag
        return f"{self.letter} ({name})" if name else self.letter


@dataclass(frozen=True, slots=True)
class TagPattern:
    """An HXL tag pattern such as ``#adm2+code`` or ``#affected-m``, matching like libhxl."""

    tag: str
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> TagPattern:
        m = _PATTERN_RE.match(text)
        if not m:
            raise ValueError(f"{text!r} is not an HXL tag pattern (such as #adm2+code)")
        include, exclude = set(), set()
        for sign, attr in re.findall(rf"([+-])\s*({_TOKEN})", m.group(2)):
            (include if sign == "+" else exclude).add(attr.lower())
        return cls(m.group(1).lower(), frozenset(include), frozenset(exclude))

    def matches(self, column: Column) -> bool:
        if column.tag != self.tag:
            return False
        attrs = set(column.attributes)
        return self.include <= attrs and not (self.exclude & attrs)

    def __str__(self) -> str:
        return (
            "#"
            + self.tag
            + "".join("+" + a for a in sorted(self.include))
            + "".join("-" + a for a in sorted(self.exclude))
        )


def _tag_row_columns(row: list[Cell]) -> list[tuple[str, tuple[str, ...]] | None] | None:
    """The parsed hashtags of a row if it is a hashtag row (libhxl's rule), else None."""
    non_empty = found = 0
    parsed: list[tuple[str, tuple[str, ...]] | None] = []
    for cell in row:
        tag = None
        if _cell_text(cell):
            non_empty += 1
            tag = _parse_tag(cell)
            if tag:
                found += 1
        parsed.append(tag)
    if non_empty and found / non_empty >= HASHTAG_SHARE:
        return parsed
    return None


def find_hashtag_row(table: Table | list[list[Cell]]) -> int | None:
    """The 1-based row number of the hashtag row among the first 25 rows, or None."""
    head = table.head() if isinstance(table, Table) else table[:HASHTAG_SCAN_ROWS]
    for i, row in enumerate(head):
        if _tag_row_columns(row) is not None:
            return i + 1
    return None


def _missing_hash_hint(head: list[list[Cell]]) -> str | None:
    """A row that would be a hashtag row if its cells began with '#' (and at least one has an
    attribute, so that plain header rows such as "area,indicator,value" are not taken for one)."""
    for i, row in enumerate(head):
        texts = [t for t in (_cell_text(c) for c in row) if t]
        bare = [t for t in texts if _BARE_TAG_RE.match(t)]
        if texts and len(bare) / len(texts) >= HASHTAG_SHARE and any("+" in t for t in bare):
            example = next(t for t in bare if "+" in t)
            fixed = "#" + re.sub(r"\s+", "", example)
            return (
                f"{UNTAGGED_MESSAGE.split(':')[0]}: row {i + 1} looks like a hashtag row whose tags lack "
                f"the leading '#' ({example!r} should be {fixed!r}): add the '#' to each tag, or map the "
                "columns by header name"
            )
    return None


@dataclass(frozen=True)
class Layout:
    """Where things are: 1-based row numbers of the hashtag row (None if the columns were found by
    header name), of the header row that named them (None if there is none), and of the first data
    row; the columns."""

    hashtag_row: int | None
    header_row: int | None
    first_data_row: int
    columns: tuple[Column, ...]


def _norm_header(s: str) -> str:
    return " ".join(s.split()).casefold()


def _layout_from_head(head: list[list[Cell]], header_names: list[str]) -> Layout:
    for i, row in enumerate(head):
        parsed = _tag_row_columns(row)
        if parsed is None:
            continue
        above = head[:i]
        width = max([len(row), *(len(r) for r in above)]) if above else len(row)
        cols = []
        for j in range(width):
            tag = parsed[j] if j < len(parsed) else None
            headers = tuple(t for t in (_cell_text(r[j]) if j < len(r) else "" for r in above) if t)
            cols.append(Column(j, tag[0] if tag else None, tag[1] if tag else (), headers))
        nearest = next((k + 1 for k in range(i - 1, -1, -1) if any(_cell_text(c) for c in head[k])), None)
        return Layout(i + 1, nearest, i + 2, tuple(cols))
    if not header_names:
        raise TabularError(_missing_hash_hint(head) or UNTAGGED_MESSAGE)
    wanted = {_norm_header(n) for n in header_names}
    best: tuple[int, int, set[str]] = (-1, -1, set())
    for i, row in enumerate(head):
        present = {_norm_header(_cell_text(c)) for c in row}
        if wanted <= present:
            cols = tuple(Column(j, None, (), (t,) if (t := _cell_text(c)) else ()) for j, c in enumerate(row))
            return Layout(None, i + 1, i + 2, cols)
        hits = len(wanted & present)
        if hits > best[1]:
            best = (i, hits, present)
    missing = [n for n in header_names if _norm_header(n) not in best[2]]
    if best[1] <= 0:
        raise TabularError(
            f"none of the mapped headers ({', '.join(repr(n) for n in header_names)}) is in the first "
            f"{HASHTAG_SCAN_ROWS} rows; check the column map, or add a row of HXL hashtags under the headers"
        )
    shown = ", ".join(repr(_cell_text(c)) for c in head[best[0]] if _cell_text(c))
    raise TabularError(
        f"no header row holds all the mapped headers: row {best[0] + 1} lacks "
        f"{', '.join(repr(n) for n in missing)}; its headers are {shown}"
    )


def layout(table: Table, cmap: ColumnMap | None = None) -> Layout:
    """Find the hashtag row (or, for a map by header names, the header row) and the columns.
    Raises :class:`TabularError` with :data:`UNTAGGED_MESSAGE` for a file without hashtags unless
    the map names its columns by header."""
    return _layout(table, [s for _, s in cmap.column_specs()] if cmap else [])


def _layout(table: Table, specs: list[str]) -> Layout:
    head = table.head()
    if not head:
        raise TabularError("the file has no rows")
    lay = _layout_from_head(head, [s for s in specs if not s.lstrip().startswith("#")])
    if lay.hashtag_row is None and any(s.lstrip().startswith("#") for s in specs):
        raise TabularError(_missing_hash_hint(head) or UNTAGGED_MESSAGE)
    return lay


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
    lay = _layout(table, [s for _, s in roles])
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
        key = _norm_header(spec)
        hits = [c for c in lay.columns if key in {_norm_header(h) for h in c.headers}]
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
# Values and periods


class _NotAvailable:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_AVAILABLE"


NOT_AVAILABLE: Any = _NotAvailable()


def _ungroup(s: str, sep: str) -> str | None:
    """``s`` without thousands separators ``sep`` if they group validly, else None."""
    parts = s.split(sep)
    first = parts[0]
    if not (1 <= len(first) <= 3 and first.isdigit() and (first[0] != "0")):
        return None
    if all(len(p) == 3 and p.isdigit() for p in parts[1:]):
        return "".join(parts)
    return None


def _number_text(s: str, decimal: str) -> Any:
    """The slow path of :func:`parse_number` for text."""
    t = s.strip()
    if not t:
        return None
    if t.casefold() in _NOT_AVAILABLE:
        return NOT_AVAILABLE
    if t.startswith("#") and (t.endswith(("!", "?")) or t.upper() == "#NULL!"):
        raise ValueError("the cell holds a spreadsheet error, not a number")
    if t.endswith("%"):
        t = t[:-1].rstrip()
    t = t.replace("\u2212", "-")
    sign = ""
    if t[:1] in ("+", "-"):
        sign, t = t[0], t[1:].lstrip()
    if not t or not all(ch.isdigit() or ch in ".,eE" or ch in _SPACES for ch in t):
        raise ValueError("not a number")
    for sp in _SPACES:
        if sp in t:
            ip, dot, rest = _split_decimal(t)
            grouped = _ungroup(ip, sp)
            if grouped is None:
                raise ValueError("spaces inside a number must group thousands (1 234 567)")
            t = grouped + dot + rest
    has_comma, has_dot = "," in t, "." in t
    if has_comma and has_dot:
        dec = "," if t.rfind(",") > t.rfind(".") else "."
        other = "." if dec == "," else ","
        if t.count(dec) > 1:
            raise ValueError("a number has one decimal separator")
        ip, fp = t.split(dec)
        grouped = _ungroup(ip, other)
        if grouped is None:
            raise ValueError(f"'{other}' must group thousands (1{other}234{dec}5)")
        t = grouped + "." + fp
    elif has_comma or has_dot:
        sep = "," if has_comma else "."
        n = t.count(sep)
        if n == 1:
            ip, fp = t.split(sep)
            grouped = _ungroup(t, sep) if sep != decimal else None
            t = grouped if grouped is not None else ip + "." + fp
        else:
            grouped = _ungroup(t, sep)
            if grouped is None:
                raise ValueError(f"'{sep}' occurs {n} times but does not group thousands (1{sep}234{sep}567)")
            t = grouped
    if "_" in t or not t or not (t[0].isdigit() or t[0] == "."):
        raise ValueError("not a number")
    try:
        x = float(t)
    except ValueError:
        raise ValueError("not a number") from None
    if x - x != 0.0:
        raise ValueError("not a finite number")
    return -x if sign == "-" else x


def _split_decimal(t: str) -> tuple[str, str, str]:
    """Split at the last '.' or ',' (the integer part is what spaces may group)."""
    pos = max(t.rfind("."), t.rfind(","))
    if pos < 0:
        return t, "", ""
    return t[:pos], t[pos], t[pos + 1 :]


def parse_number(value: Cell, decimal: str = ".") -> Any:
    """A cell as a float, following the rules in the module documentation. Returns None for a blank
    cell and :data:`NOT_AVAILABLE` for a value marked not available; raises ValueError (with the
    reason) for anything else that is not a number."""
    if value is None:
        return None
    if value.__class__ is str:
        s: str = value  # type: ignore[assignment]
        try:
            x = float(s)
        except ValueError:
            return _number_text(s, decimal)
        if x - x != 0.0 or "_" in s or (decimal == "," and "." in s):
            return _number_text(s, decimal)
        return x
    if isinstance(value, bool):
        raise ValueError("a TRUE/FALSE cell is not a number")
    x = float(value)
    if x - x != 0.0:
        raise ValueError("not a finite number")
    return x


_QUARTER_RE = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
_PERIOD_HELP = (
    "use a year (2024), quarter (2024-Q3), month (2024-03), date (2024-03-15) "
    "or range (2024-01-01/2024-06-30)"
)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def _single_period(t: str) -> Period:
    if len(t) == 4 and t.isdigit():
        y = int(t)
        if y < 1:
            raise ValueError(f"{t!r} is not a year")
        return Period(t, dt.date(y, 1, 1), dt.date(y, 12, 31))
    if m := _QUARTER_RE.match(t):
        y, q = int(m.group(1)), int(m.group(2))
        return Period(f"{y:04d}-Q{q}", dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q))
    if m := _MONTH_RE.match(t):
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise ValueError(f"{t!r}: there is no month {mo}")
        return Period(f"{y:04d}-{mo:02d}", dt.date(y, mo, 1), _month_end(y, mo))
    if m := _DAY_RE.match(t):
        try:
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as exc:
            raise ValueError(f"{t!r} is not a valid date ({exc})") from None
        return Period(d.isoformat(), d, d)
    raise ValueError(f"{t!r} is not a period: {_PERIOD_HELP}")


def parse_period(value: Cell) -> Period:
    """A period cell as a :class:`Period` (rules in the module documentation); ValueError if invalid."""
    if value is None:
        raise ValueError("the period is empty")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 1000 <= value <= 9999:
            value = str(int(value))
        else:
            raise ValueError(f"{value!r} is not a period: {_PERIOD_HELP}")
    t = " ".join(str(value).split())
    if not t:
        raise ValueError("the period is empty")
    if "/" in t:
        left, _, right = t.partition("/")
        if "/" in right:
            raise ValueError(f"{t!r} is not a period: a range has one '/'")
        a, b = _single_period(left.strip()), _single_period(right.strip())
        if b.end < a.start:
            raise ValueError(f"{t!r}: the range ends before it starts")
        return Period(f"{a.text}/{b.text}", a.start, b.end)
    return _single_period(t)


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
            self.items.append(RowError(row, column, _cell_text(value), message))


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
            self.markers.add(_cell_text(value))
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
                area = texts[a] = _cell_text(a)
            ind = texts.get(k)
            if ind is None:
                ind = texts[k] = _cell_text(k)
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
                if not area and not ind and x is None and bad is None and not _cell_text(pv):
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
                dkey = tuple([_cell_text(row[j]) for _, j in dcols])
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
                    _cell_text(row[isrc]) if isrc is not None else "",
                    _cell_text(row[inote]) if inote is not None else "",
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
                area = texts[a] = _cell_text(a)
            pv = row[ip] if ip is not None else None
            if all(x is None and bad is None for *_, x, bad in values):
                # No value in any indicator column: nothing to import, whatever the area and period say (a
                # downloaded template lists every ward; a team fills in the wards it has numbers for).
                if area or _cell_text(pv):
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
                dkey = tuple(_cell_text(row[j]) for _, j in dcols)
                dis = disaggs.get(dkey)
                if dis is None:
                    dis = disaggs[dkey] = {n: t for (n, _), t in zip(dcols, dkey, strict=True) if t}
            else:
                dkey, dis = (), _EMPTY
            src = _cell_text(row[isrc]) if isrc is not None else ""
            note = _cell_text(row[inote]) if inote is not None else ""
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
