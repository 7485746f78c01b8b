"""Small generic charts as SVG strings: a sparkline and horizontal bars (see :mod:`.svg` for what every
drawing keeps to). No Django here: titles and number formats arrive already translated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .svg import TEXT_FILL, auto_format, bidi, finite, join_numbers, num, svg_open, text_width, xml_text

__all__ = ["bar_chart", "sparkline"]

LINE_COLOUR = "#225ea8"
BAR_FILL = "#41b6c4"


# --------------------------------------------------------------------------- small charts

def sparkline(
    values: Sequence[float | None],
    *,
    width: float = 120,
    height: float = 28,
    title: str,
    unit: str = "",
    value_format: Callable[[float], str] | None = None,
) -> str:
    """A small line chart; ``None`` leaves a gap, the last value gets a dot.

    The ``<desc>`` lists the values (``–`` for a gap) for screen readers.
    """
    vals = [finite(v) for v in values]
    present = [v for v in vals if v is not None]
    fmt = value_format or auto_format(present)
    pad = 3.0
    body = [f"<title>{xml_text(title)}</title>"]
    if vals:
        listed = ", ".join(fmt(v) if v is not None else "–" for v in vals)
        body.append(f"<desc>{xml_text(listed + (' ' + unit if unit else ''))}</desc>")
    if present:
        lo, hi = min(present), max(present)
        n = len(vals)

        def xy(i: int, v: float) -> tuple[float, float]:
            x = width / 2 if n == 1 else pad + i * (width - 2 * pad) / (n - 1)
            y = height / 2 if hi == lo else pad + (hi - v) / (hi - lo) * (height - 2 * pad)
            return x, y

        runs: list[list[tuple[float, float]]] = []
        current: list[tuple[float, float]] = []
        for i, v in enumerate(vals):
            if v is None:
                if current:
                    runs.append(current)
                current = []
            else:
                current.append(xy(i, v))
        if current:
            runs.append(current)
        segments = [r for r in runs if len(r) > 1]
        singles = [r[0] for r in runs if len(r) == 1]
        if segments:
            d = "".join(
                "M" + join_numbers((num(r[0][0]), num(r[0][1])))
                + "L" + join_numbers(num(c) for p in r[1:] for c in p)
                for r in segments
            )
            body.append(
                f'<path class="line" d="{d}" fill="none" stroke="{LINE_COLOUR}" stroke-width="1.5" '
                f'stroke-linejoin="round" stroke-linecap="round"/>'
            )
        for x, y in singles:
            body.append(f'<circle class="point" cx="{num(x)}" cy="{num(y)}" r="1.2" fill="{LINE_COLOUR}"/>')
        last_i = max(i for i, v in enumerate(vals) if v is not None)
        lx, ly = xy(last_i, vals[last_i])
        body.append(f'<circle class="last" cx="{num(lx)}" cy="{num(ly)}" r="2.2" fill="{LINE_COLOUR}"/>')
    return svg_open(width, height, "tm-sparkline", "img") + "".join(body) + "</svg>"


def bar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    width: float = 320,
    title: str,
    unit: str = "",
    rtl: bool = False,
    value_format: Callable[[float], str] | None = None,
) -> str:
    """Horizontal bars for simple counts: each label above its bar, the value at the bar's end.

    Bars start at zero, so values must be zero or more. With ``rtl`` the bars grow leftwards from
    the right edge and the labels are right-aligned.
    """
    rows = [(str(label), float(value)) for label, value in rows]
    for label, value in rows:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"bar {label!r}: value {value} must be a finite number ≥ 0")
    fmt = value_format or auto_format(v for _, v in rows)
    font = 12.0
    pad = 4.0
    bar_h = 12.0
    row_h = font * 1.3 + bar_h + 8
    value_texts = [fmt(v) + (f" {unit}" if unit else "") for _, v in rows]
    room = max((text_width(t, font) for t in value_texts), default=0) + 6
    max_len = max(width - 2 * pad - room, 10.0)
    top_value = max((v for _, v in rows), default=0.0)
    height = pad * 2 + row_h * len(rows)
    body = [f"<title>{xml_text(title)}</title>"]
    if rows:
        listed = "; ".join(f"{label}: {text}" for (label, _), text in zip(rows, value_texts, strict=True))
        body.append(f"<desc>{xml_text(listed)}</desc>")
    anchor = ' text-anchor="end"' if rtl else ""
    body.append(f'<g font-size="{num(font)}" fill="{TEXT_FILL}">')
    for i, ((label, value), vtext) in enumerate(zip(rows, value_texts, strict=True)):
        top = pad + i * row_h
        length = value / top_value * max_len if top_value > 0 else 0.0
        bar_y = top + font * 1.3
        if rtl:
            bar_x = width - pad - length
            label_x = width - pad
            value_x = bar_x - 4
        else:
            bar_x = pad
            label_x = pad
            value_x = pad + length + 4
        body.append(
            f'<g class="bar">'
            f'<text x="{num(label_x)}" y="{num(top + font)}"{anchor}>{xml_text(bidi(label, rtl))}</text>'
            f'<rect x="{num(bar_x)}" y="{num(bar_y)}" width="{num(length)}" height="{num(bar_h)}" fill="{BAR_FILL}"/>'
            f'<text x="{num(value_x)}" y="{num(bar_y + bar_h * 0.85)}"{anchor} direction="ltr">'
            f"{xml_text(bidi(vtext, rtl))}</text>"
            f"</g>"
        )
    body.append("</g>")
    return svg_open(width, height, "tm-bars", "img") + "".join(body) + "</svg>"
