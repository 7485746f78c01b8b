"""Heatmaps of small counts (rows × columns) as SVG, the number written in every cell. No Django.

Made for "how many local activities serve each national pillar" (rows are cities' plans, columns the pillars
of the National Action Plan), but nothing here knows about plans: rows hold items, each item names the columns
it serves.

The drawing keeps to what svg.py keeps to (escaped text, presentation attributes, no ``<style>``), and:

* colour never carries the number alone: every cell has its count written in it, with dark or white text
  chosen for contrast against the fill; an empty cell (0) is white with a thin outline;
* the palette is sequential (ColorBrewer YlGnBu, light → dark), one class per count up to five, then five
  classes of whole numbers; a legend under the grid says which colour is which;
* ``<title>`` and ``<desc>`` (referenced by ``aria-labelledby``) carry the caller's words and every number, and
  each column header has its own ``<title>`` with the column's full name; the page also puts a table with the
  same numbers beside it;
* with ``rtl=True`` the grid is mirrored: row labels on the right, the first column rightmost.

Labels, titles and descriptions arrive already translated.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

from .svg import bidi, check_id, num, sequential_palette, svg_open, text_width, xml_attr, xml_text

__all__ = ["classes", "count_by_column", "heatmap"]

EMPTY_FILL = "#ffffff"
EMPTY_STROKE = "#b8bec7"
DARK_TEXT = "#222222"
LIGHT_TEXT = "#ffffff"
MAX_CLASSES = 5
MAX_LABEL_CHARS = 32


def count_by_column(rows: Sequence[Iterable[Iterable[Hashable]]], columns: Sequence[Hashable]) -> list[list[int]]:
    """For each row (its items, each item the keys of the columns it serves): how many items serve each column.

    An item serving two columns counts in both; an item serving a column twice counts once; keys that are not
    among ``columns`` (a pillar of another framework) are ignored.
    """
    position = {key: j for j, key in enumerate(columns)}
    if len(position) != len(columns):
        raise ValueError("columns must be distinct")
    out = []
    for items in rows:
        counts = [0] * len(columns)
        for keys in items:
            for j in {position[k] for k in keys if k in position}:
                counts[j] += 1
        out.append(counts)
    return out


def classes(top: int, n: int = MAX_CLASSES) -> list[tuple[int, int]]:
    """The classes (lowest, highest) of counts 1..top: one per count up to ``n``, else ``n`` whole-number bins."""
    if top < 1:
        return []
    if top <= n:
        return [(v, v) for v in range(1, top + 1)]
    lows = [1 + (i * top) // n for i in range(n)] + [top + 1]
    return [(lows[i], lows[i + 1] - 1) for i in range(n)]


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _ink(fill: str) -> str:
    """The text colour with the better contrast on ``fill`` (WCAG relative luminance)."""
    lum = _luminance(fill)
    on_white = (1.05) / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance(DARK_TEXT) + 0.05)
    return LIGHT_TEXT if on_white > on_dark else DARK_TEXT


def _shorten(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1].rstrip() + "…"


def heatmap(
    counts: Sequence[Sequence[int]],
    *,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    title: str,
    desc: str = "",
    column_titles: Sequence[str] | None = None,
    legend_title: str = "",
    rtl: bool = False,
    id_prefix: str = "heatmap",
) -> str:
    """A grid of ``counts`` (whole numbers ≥ 0), rows labelled on the start side, columns on top.

    ``column_labels`` are short (pillar codes); ``column_titles`` (optional) the full names, given to the
    column headers as tooltips and listed in the description.
    """
    check_id(id_prefix)
    rows = [[int(v) for v in row] for row in counts]
    n_rows, n_cols = len(rows), len(column_labels)
    if len(row_labels) != n_rows:
        raise ValueError(f"{n_rows} rows of counts but {len(row_labels)} row labels")
    for i, row in enumerate(rows):
        if len(row) != n_cols:
            raise ValueError(f"row {i} has {len(row)} counts for {n_cols} columns")
        if any(v < 0 for v in row):
            raise ValueError(f"row {i}: counts must be zero or more")
    if column_titles is not None and len(column_titles) != n_cols:
        raise ValueError(f"{n_cols} columns but {len(column_titles)} column titles")
    names = list(column_titles) if column_titles is not None else list(column_labels)

    top = max((v for row in rows for v in row), default=0)
    bins = classes(top)
    palette = sequential_palette(len(bins)) if bins else ()

    def fill_of(v: int) -> str:
        if v == 0:
            return EMPTY_FILL
        return next(palette[i] for i, (lo, hi) in enumerate(bins) if lo <= v <= hi)

    # Drawn large enough to read at its own size on a desktop; on a phone it shrinks with its container.
    font, pad = 14.0, 8.0
    cell_w = max(60.0, max((text_width(c, font) + 12 for c in column_labels), default=0.0))
    cell_h = 38.0
    shown_labels = [_shorten(str(label)) for label in row_labels]
    label_w = max((text_width(s, font) for s in shown_labels), default=0.0) + 10
    head_h = font * 1.3 + 8
    grid_w = n_cols * cell_w
    legend_items = [("0", EMPTY_FILL)] + [
        (str(lo) if lo == hi else f"{lo}–{hi}", palette[i]) for i, (lo, hi) in enumerate(bins)]
    key_w = 16.0
    legend_w = sum(key_w + 4 + text_width(t, font) + 12 for t, _ in legend_items) - 12
    width = pad * 2 + max(label_w + grid_w, legend_w, text_width(legend_title, font))
    legend_h = (font * 1.3 if legend_title else 0) + 22 + 6
    height = pad + head_h + n_rows * cell_h + 10 + legend_h + pad

    def x(left: float, w: float = 0.0) -> float:
        """Left edge in drawing coordinates: mirrored when the page reads right to left."""
        return width - left - w if rtl else left

    listing = "; ".join(
        f"{label}: " + ", ".join(f"{name} {v}" for name, v in zip(names, row, strict=True))
        for label, row in zip(row_labels, rows, strict=True))
    full_desc = " ".join(p for p in (desc.strip(), listing) if p)
    tid, did = f"{id_prefix}-title", f"{id_prefix}-desc"
    body = [f"<title id={xml_attr(tid)}>{xml_text(title)}</title>", f"<desc id={xml_attr(did)}>{xml_text(full_desc)}</desc>"]
    body.append(f'<g font-size="{num(font)}" fill="{DARK_TEXT}">')

    grid_left = pad + label_w
    for j, (code, name) in enumerate(zip(column_labels, names, strict=True)):
        cx = x(grid_left + j * cell_w, cell_w) + cell_w / 2
        body.append(f'<g class="col"><title>{xml_text(name)}</title>'
                    f'<text x="{num(cx)}" y="{num(pad + font)}" text-anchor="middle" font-weight="bold">'
                    f"{xml_text(bidi(str(code), rtl))}</text></g>")

    anchor = ' text-anchor="end"' if rtl else ""
    for i, (label, short, row) in enumerate(zip(row_labels, shown_labels, rows, strict=True)):
        top_y = pad + head_h + i * cell_h
        lx = width - pad if rtl else pad
        body.append(f'<g class="row"><title>{xml_text(label)}</title>'
                    f'<text x="{num(lx)}" y="{num(top_y + cell_h / 2 + font * 0.35)}"{anchor}>'
                    f"{xml_text(bidi(short, rtl))}</text></g>")
        for j, v in enumerate(row):
            fill = fill_of(v)
            left = x(grid_left + j * cell_w, cell_w)
            stroke = EMPTY_STROKE if v == 0 else "#ffffff"
            body.append(
                f'<g class="cell"><rect x="{num(left)}" y="{num(top_y)}" width="{num(cell_w)}" height="{num(cell_h)}" '
                f'fill="{fill}" stroke="{stroke}"/>'
                f'<text x="{num(left + cell_w / 2)}" y="{num(top_y + cell_h / 2 + font * 0.35)}" text-anchor="middle" '
                f'font-weight="bold" fill="{_ink(fill)}">{v}</text></g>')

    legend_y = pad + head_h + n_rows * cell_h + 10
    if legend_title:
        lx = width - pad if rtl else pad
        body.append(f'<text x="{num(lx)}" y="{num(legend_y + font)}"{anchor}>{xml_text(bidi(legend_title, rtl))}</text>')
        legend_y += font * 1.3
    cursor = pad
    for text, fill in legend_items:
        text_x = x(cursor + key_w + 4)
        body.append(
            f'<g class="key"><rect x="{num(x(cursor, key_w))}" y="{num(legend_y + 4)}" width="{num(key_w)}" '
            f'height="{num(key_w)}" fill="{fill}" stroke="{EMPTY_STROKE}"/>'
            f'<text x="{num(text_x)}" y="{num(legend_y + 4 + key_w * 0.8)}"{anchor}>{xml_text(text)}</text></g>')
        cursor += key_w + 4 + text_width(text, font) + 12
    body.append("</g>")
    extra = f" aria-labelledby={xml_attr(tid + ' ' + did)}"
    return svg_open(width, height, "tm-heatmap", "img", extra) + "".join(body) + "</svg>"
