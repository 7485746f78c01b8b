"""Finding a table's columns: HXL hashtags and tag patterns, or header names.

No Django: a :class:`~tamasuk.interop.decoding.Table` in, a :class:`Layout` (the hashtag or header row and
every column's headers and tag) out.

Like libhxl, the *hashtag row* is the first row among the first 25 in which at least half of the
non-empty cells are valid HXL hashtags (``#tag`` followed by any ``+attribute``s, e.g. ``#adm2+code``,
``#affected+f+children``). Rows above it are header rows (there may be several, or none); data rows
follow it. A column-map entry starting with ``#`` is a tag pattern (:class:`TagPattern`) and matches like
libhxl: ``#adm2+code`` matches a column tagged ``#adm2+code+v_pcode`` (the pattern's attributes are a
subset of the column's), ``-attribute`` excludes, case-insensitive. Any other entry is a header name,
compared case-insensitively with runs of white space collapsed (:func:`norm_header`); in a file without
hashtags the header row is the first row that holds every mapped header name. A pattern or name matching
no column, or more than one, is an error naming the candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .decoding import HASHTAG_SCAN_ROWS, Cell, Table, TabularError, cell_text

__all__ = [
    "Column",
    "HASHTAG_SHARE",
    "Layout",
    "TagPattern",
    "UNTAGGED_MESSAGE",
    "column_letter",
    "find_hashtag_row",
    "find_layout",
    "norm_header",
]

# At least this share of a row's non-empty cells must be hashtags (libhxl's FUZZY_HASHTAG_PERCENTAGE).
HASHTAG_SHARE = 0.5
UNTAGGED_MESSAGE = (
    "no HXL hashtag row found: add a row of hashtags under the headers, or map the columns by header name"
)

_TOKEN = r"[A-Za-z][A-Za-z0-9_]*"
# A column's hashtag, as libhxl's Column.PATTERN (white space allowed before a "+").
_TAG_RE = re.compile(rf"^\s*#({_TOKEN})((?:\s*\+{_TOKEN})*)\s*$")
# The same without the "#": recognises a hashtag row whose "#"s were forgotten.
_BARE_TAG_RE = re.compile(rf"^\s*({_TOKEN})((?:\s*\+{_TOKEN})*)\s*$")
# A tag pattern, as libhxl's TagPattern.PATTERN: "+attribute" must be present, "-attribute" absent.
_PATTERN_RE = re.compile(rf"^\s*#({_TOKEN})((?:\s*[+-]\s*{_TOKEN})*)\s*$")


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
        if cell_text(cell):
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
        texts = [t for t in (cell_text(c) for c in row) if t]
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


def norm_header(s: str) -> str:
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
            headers = tuple(t for t in (cell_text(r[j]) if j < len(r) else "" for r in above) if t)
            cols.append(Column(j, tag[0] if tag else None, tag[1] if tag else (), headers))
        nearest = next((k + 1 for k in range(i - 1, -1, -1) if any(cell_text(c) for c in head[k])), None)
        return Layout(i + 1, nearest, i + 2, tuple(cols))
    if not header_names:
        raise TabularError(_missing_hash_hint(head) or UNTAGGED_MESSAGE)
    wanted = {norm_header(n) for n in header_names}
    best: tuple[int, int, set[str]] = (-1, -1, set())
    for i, row in enumerate(head):
        present = {norm_header(cell_text(c)) for c in row}
        if wanted <= present:
            cols = tuple(Column(j, None, (), (t,) if (t := cell_text(c)) else ()) for j, c in enumerate(row))
            return Layout(None, i + 1, i + 2, cols)
        hits = len(wanted & present)
        if hits > best[1]:
            best = (i, hits, present)
    missing = [n for n in header_names if norm_header(n) not in best[2]]
    if best[1] <= 0:
        raise TabularError(
            f"none of the mapped headers ({', '.join(repr(n) for n in header_names)}) is in the first "
            f"{HASHTAG_SCAN_ROWS} rows; check the column map, or add a row of HXL hashtags under the headers"
        )
    shown = ", ".join(repr(cell_text(c)) for c in head[best[0]] if cell_text(c))
    raise TabularError(
        f"no header row holds all the mapped headers: row {best[0] + 1} lacks "
        f"{', '.join(repr(n) for n in missing)}; its headers are {shown}"
    )


def find_layout(table: Table, specs: list[str]) -> Layout:
    """The hashtag row (or, when ``specs`` name headers, the header row) and the columns of ``table``."""
    head = table.head()
    if not head:
        raise TabularError("the file has no rows")
    lay = _layout_from_head(head, [s for s in specs if not s.lstrip().startswith("#")])
    if lay.hashtag_row is None and any(s.lstrip().startswith("#") for s in specs):
        raise TabularError(_missing_hash_hint(head) or UNTAGGED_MESSAGE)
    return lay
