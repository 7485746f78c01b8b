"""Reading one cell as a number or a period, the way people type them in spreadsheets.

No Django. Both raise ``ValueError`` with a message for the user; :data:`NOT_AVAILABLE` marks a value
written as not available.

Numbers (:func:`parse_number`)
    - Cells that are numbers in an XLSX file are used as they are.
    - Text: surrounding spaces are ignored; a trailing ``%`` is dropped and the number kept as written
      (``12%`` and ``12 %`` are 12, not 0.12); ``−`` (U+2212) counts as a minus sign.
    - Each file has a *decimal separator*: ``,`` for a semicolon-separated CSV (how Excel saves CSV where
      the decimal separator is a comma), ``.`` otherwise; the column map's ``decimal`` overrides it.
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
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .decoding import Cell

__all__ = [
    "NOT_AVAILABLE",
    "Period",
    "parse_number",
    "parse_period",
]

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


@dataclass(frozen=True, slots=True)
class Period:
    """A normalised period: ``text`` such as ``2024``, ``2024-Q3``, ``2024-03``, ``2024-03-15`` or
    ``2024-01-01/2024-06-30``, with its first and last days."""

    text: str
    start: dt.date
    end: dt.date


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
