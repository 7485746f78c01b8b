"""The SVG toolkit that the maps and charts share: escaping, numbers, bidi isolation, palettes, the root element.

Every drawing here (:mod:`.choropleth`, :mod:`.small_charts`, :mod:`.charts`, :mod:`.heatmap`) is an SVG string
that goes into a page (inline, through a template tag that marks it safe) and into a WeasyPrint PDF, so the
output keeps to what both understand:

* every piece of text is XML-escaped (:func:`xml_text`, :func:`xml_attr`); callers pass plain text, never markup;
* styling is presentation attributes plus CSS classes (no ``<style>`` element, no ``style=``
  attribute: both would need a CSP nonce); a page's stylesheet can still override colours through
  the classes (``tm-chart``, ``area``, ``c0``…, ``nodata``, ``hl``…);
* the drawing itself is left-to-right (``direction="ltr"`` on the root, :func:`svg_open`); with ``rtl=True``
  labels are right-aligned with ``text-anchor="end"`` and free text is wrapped in Unicode bidi isolates
  (:func:`bidi`), so Arabic reads correctly in browsers and in Pango alike;
* numbers are written with at most one decimal (:func:`num`), so path data stays compact.

No Django here: labels, titles and number formats arrive already translated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from xml.sax.saxutils import escape

__all__ = [
    "CATEGORICAL_PALETTE",
    "SEQUENTIAL_PALETTES",
    "TEXT_FILL",
    "FixedFormat",
    "auto_format",
    "bidi",
    "check_id",
    "finite",
    "href_attr",
    "join_numbers",
    "num",
    "sequential_palette",
    "svg_open",
    "tenths",
    "text_width",
    "xml_attr",
    "xml_text",
]

# ColorBrewer YlGnBu (colour-blind safe, prints in grey scale in order), light → dark.
SEQUENTIAL_PALETTES: dict[int, tuple[str, ...]] = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
    8: ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
    9: ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"),
}
# Paul Tol's "light" qualitative scheme (colour-blind safe, made for areas with labels on them),
# without its pale grey, which is kept for "no data".
CATEGORICAL_PALETTE: tuple[str, ...] = (
    "#77aadd", "#ee8866", "#eedd88", "#ffaabb", "#99ddff", "#44bb99", "#bbcc33", "#aaaa00",
)
TEXT_FILL = "#222222"

_FSI, _PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_WHITESPACE = re.compile("[\t\n\r]")
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_SAFE_SCHEMES = {"http", "https", "mailto"}


# --------------------------------------------------------------------------- escaping and numbers

def _clean(value: object) -> str:
    return _BAD_XML.sub("", str(value))


def xml_text(value: object) -> str:
    """Escape text content (``&``, ``<``, ``>``), dropping characters XML forbids."""
    return escape(_clean(value))


def xml_attr(value: object) -> str:
    """A double-quoted, escaped attribute value."""
    return '"' + escape(_WHITESPACE.sub(" ", _clean(value)), {'"': "&quot;"}) + '"'


def href_attr(value: str) -> str:
    """Links are site URLs: relative, http(s) or mailto. Anything else (javascript:, data:) is refused."""
    stripped = re.sub(r"[\x00-\x20]", "", value)
    match = _SCHEME.match(stripped)
    if match and match.group(1).lower() not in _SAFE_SCHEMES:
        raise ValueError(f"href {value!r}: only relative, http(s) and mailto links are allowed in a map")
    return xml_attr(value)


def bidi(text: str, rtl: bool) -> str:
    """In a right-to-left layout, let free text take its own direction inside the LTR drawing."""
    return f"{_FSI}{text}{_PDI}" if rtl and text else text


def tenths(t: int) -> str:
    """An integer number of tenths as the shortest SVG number: 15 → 1.5, 5 → .5, -20 → -2."""
    if t < 0:
        return "-" + tenths(-t)
    whole, frac = divmod(t, 10)
    if not frac:
        return str(whole)
    return f"{whole}.{frac}" if whole else f".{frac}"


def num(x: float) -> str:
    """A coordinate or length with at most one decimal."""
    return tenths(int(round(x * 10)))


def join_numbers(numbers: Iterable[str]) -> str:
    out: list[str] = []
    for s in numbers:
        if out and s[0] != "-":
            out.append(" ")
        out.append(s)
    return "".join(out)


class FixedFormat:
    """Formats every number with the same count of decimals (so legend labels line up)."""

    def __init__(self, decimals: int) -> None:
        self.decimals = decimals

    def __call__(self, value: float) -> str:
        s = f"{value:.{self.decimals}f}"
        if s.startswith("-") and not s.strip("-0."):
            s = s[1:]  # no "-0.0"
        return s


def auto_format(values: Iterable[float]) -> Callable[[float], str]:
    """Pick one count of decimals that fits the spread of the values and keeps them distinct."""
    vals = sorted({float(v) for v in values if v is not None and math.isfinite(v)})
    if not vals or all(v.is_integer() for v in vals):
        return FixedFormat(0)
    span = vals[-1] - vals[0]
    ref = span if span > 0 else abs(vals[0])
    # Enough decimals for the spread (span 10–100 → 1) but no more than the values have
    # (3, 3.5, 4 → one decimal), then more if two values would print alike.
    decimals = min(4, max(0, 2 - math.floor(math.log10(ref)))) if ref > 0 else 1
    exact = next((d for d in range(decimals) if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in vals)), None)
    if exact is not None:
        decimals = max(exact, 1)
    while decimals < 6 and len({FixedFormat(decimals)(v) for v in vals}) < len(vals):
        decimals += 1
    return FixedFormat(decimals)


def finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def text_width(text: str, font_size: float) -> float:
    """A rough width for layout (no font metrics here); errs on the wide side."""
    return len(text) * font_size * 0.6


def check_id(id_prefix: str) -> None:
    if not _ID.match(id_prefix):
        raise ValueError(f"id_prefix {id_prefix!r}: use letters, digits, '-' and '_', starting with a letter")


def svg_open(width: float, height: float, css_class: str, role: str, extra: str = "") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tm-chart {css_class}" '
        f'viewBox="0 0 {num(width)} {num(height)}" width="{num(width)}" height="{num(height)}" '
        f'role="{role}"{extra} direction="ltr" font-family="sans-serif">'
    )


# --------------------------------------------------------------------------- palettes

def sequential_palette(n: int, palette: Sequence[str] | None = None) -> tuple[str, ...]:
    """``n`` colours, light → dark; from ``palette`` (spread evenly over it) or the default YlGnBu."""
    if n < 1:
        return ()
    if palette is None:
        if n > 9:
            raise ValueError(f"{n} classes: the default palette has at most 9; pass palette=")
        if n in SEQUENTIAL_PALETTES:
            return SEQUENTIAL_PALETTES[n]
        palette = SEQUENTIAL_PALETTES[3]
    palette = tuple(palette)
    if len(palette) < n:
        raise ValueError(f"{n} classes but the palette has only {len(palette)} colours")
    if n == 1:
        return (palette[(len(palette) - 1) // 2],)
    return tuple(palette[round(i * (len(palette) - 1) / (n - 1))] for i in range(n))
