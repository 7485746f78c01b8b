"""Opening a spreadsheet or CSV file as a :class:`Table` of cells (the first step of every tabular import).

No Django: bytes in, rows of cells (str, numbers, or None for an empty XLSX cell) out.

    table = read_table(data, "wards.xlsx")            # CSV or XLSX, decoded, rows streamed

XLSX is recognised by its name or content, anything else is read as CSV; for a CSV file the delimiter
(``,``, ``;`` or tab) and the encoding (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252, else
Latin-1, with a note) are detected unless given. A file that cannot be read at all raises
:class:`TabularError`, the one error every tabular step shares.

Row numbers
    Every row number is the 1-based spreadsheet row the user sees in Excel (header and hashtag rows
    count; for a CSV file, a quoted value spanning several lines is still one row).

Memory and speed
    A CSV table is decoded and parsed as it is read, never held as a list of rows (unless
    :attr:`Table.rows` is asked for).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

__all__ = [
    "Cell",
    "HASHTAG_SCAN_ROWS",
    "Table",
    "TabularError",
    "cell_text",
    "read_table",
]

Cell = str | float | int | None
# The hashtag row is looked for among the first rows, like libhxl.
HASHTAG_SCAN_ROWS = 25
# Cell classes an XLSX reader hands over as they are.
_PLAIN = (str, int, float)
# Limits that keep a hostile file from holding the worker (and memory) for minutes: no real sheet of ours comes
# near them. An XLSX is a zip: a 1.7 MB one unpacked to 1.5 GB and took 43 s to open.
MAX_COLUMNS = 5_000
MAX_UNZIPPED_MB = 200


class TabularError(ValueError):
    """The file as a whole cannot be read with this map: unreadable file, no hashtag row, a column the
    map names is missing. Row-level problems are :class:`RowError`s instead."""


def cell_text(v: Cell) -> str:
    """A cell as the text a person reads: stripped, a whole float without ".0", None as ""."""
    if v is None:
        return ""
    if v.__class__ is str:
        return v.strip()  # type: ignore[union-attr]
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v).strip()


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

    _refuse_zip_bomb(data, filename)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, InvalidFileException)
        raise TabularError(
            f"{filename}: cannot read it as an Excel workbook: it is damaged, or not an .xlsx file under that "
            "name; save it again as Excel Workbook (.xlsx) or CSV UTF-8"
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
        for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
            row = [v if v is None or v.__class__ in _PLAIN else _xlsx_value(v) for v in values]
            while row and row[-1] is None:
                row.pop()
            _refuse_width(row, n, filename)
            yield _without_nul(row, n, filename)

    return Table(source=source, sheet=ws.title, sheet_names=names)


def _refuse_zip_bomb(data: bytes, filename: str) -> None:
    """Refuse a workbook that unpacks to more than MAX_UNZIPPED_MB, before anything is unpacked. The sizes are the
    ones the zip declares; Python's zipfile never unpacks a member past its declared size."""
    import zipfile

    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        return  # openpyxl says it cannot be read
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNZIPPED_MB * 1_000_000:
        raise TabularError(f"{filename}: the workbook unpacks to {unpacked / 1_000_000:,.0f} MB; the limit is "
                           f"{MAX_UNZIPPED_MB} MB. Save the data as CSV UTF-8, or split it into smaller files")


def _refuse_width(row: list, n: int, filename: str) -> None:
    if len(row) > MAX_COLUMNS:
        raise TabularError(f"{filename}: row {n} has {len(row):,} columns; the limit is {MAX_COLUMNS:,}. "
                           "Split the file, or put one indicator per row (long format)")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _without_nul(row: list[Cell], n: int, filename: str) -> list[Cell]:
    """The row, unless a cell holds a NUL character: PostgreSQL stores no text holding one, so the file is refused
    here, naming the cell, rather than when the confirmed import writes it."""
    for i, v in enumerate(row):
        if v.__class__ is str and "\x00" in v:  # type: ignore[operator]
            raise TabularError(f"{filename}: row {n}, column {_column_letter(i)}: the cell holds a NUL character "
                               "(\\x00), which cannot be stored; remove it and upload the file again")
    return row


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
        # strict: a quote left open is an error at its row, not the rest of the file merged into one cell.
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        row = 1 + skip_first
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise TabularError(
                        f"{filename}: row {row} has a cell longer than {csv.field_size_limit():,} characters; "
                        "no cell can be that long (a quote left open makes the rest of the file one cell)"
                    ) from exc
                if "unexpected end of data" in str(exc):
                    raise TabularError(f"{filename}: row {row} opens a quote (\") that is never closed; close it, "
                                       "or remove it") from exc
                raise TabularError(f"{filename}: row {row} cannot be read as CSV ({exc})") from exc
            _refuse_width(cells, row, filename)
            yield _without_nul(cells, row, filename) if "\x00" in "".join(cells) else cells  # type: ignore[misc]
            row += 1

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
