"""Monitoring charts of a plan as SVG strings: activity status, indicators against targets, budget.

Same contract as :mod:`tamasuk.analysis.svg` (whose escaping and helpers these use): no Django, text
arrives already translated and is escaped here, no ``<style>`` or ``style=``, a ``<title>`` and a
``<desc>`` naming every number for screen readers, ``id_prefix`` keeping pattern ids unique when a
page shows several charts.

Sizes: a chart is drawn ``width`` units wide (420 by default) and scales with its container. On a
360 px phone the container is about :data:`PHONE_PX` wide, so text is set at :data:`FONT` units,
which is still 11 px there; a page caps the chart's width on a desktop so it does not grow huge.

Print and colour blindness: every status and every kind of bar has its own pattern as well as its
colour (Paul Tol's colour-blind-safe "muted" colours), the legend shows the same patterns, and the
counts are written on the bars, so a grey-scale print reads the same.

Right to left: with ``rtl=True`` the whole drawing is mirrored (bars grow leftwards from the right
edge, the first status is the rightmost segment, labels are right-aligned), and free text is wrapped
in bidi isolates; numbers keep ``direction="ltr"``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .progress import Progress, State
from .svg import TEXT_FILL, bidi, check_id, num, svg_open, text_width, xml_text

__all__ = [
    "FONT",
    "PHONE_PX",
    "STATUS_STYLES",
    "TargetRow",
    "budget_bars",
    "status_bars",
    "target_bars",
]

WIDTH = 420.0
PHONE_PX = 310.0  # what a chart gets on a 360 px phone: the page's and the figure's padding taken off
FONT = 15.0  # 15 × 310 / 420 ≈ 11.1 px on that phone
PAD = 4.0
TRACK_FILL = "#eeeeee"
MUTED = "#555555"


@dataclass(frozen=True)
class _Pattern:
    fill: str
    kind: str  # solid, dots, diagonal, cross, vertical, horizontal
    ink: str = "#333333"


# Each status keeps one look wherever it is drawn: colour for the screen, pattern for print.
STATUS_STYLES: dict[str, _Pattern] = {
    "not_started": _Pattern("#dddddd", "dots", "#666666"),
    "on_track": _Pattern("#44aa99", "solid"),
    "at_risk": _Pattern("#ddcc77", "diagonal", "#6e5f12"),
    "not_reported": _Pattern("#aa4499", "horizontal", "#3f1238"),
    "late": _Pattern("#cc6677", "cross", "#5c1526"),
    "completed": _Pattern("#4477aa", "vertical", "#1b3553"),
}
_FALLBACK = (_Pattern("#88ccee", "horizontal", "#2b5d75"), _Pattern("#999933", "dots", "#3d3d10"),
             _Pattern("#aa4499", "diagonal", "#3f1238"))
PLANNED = _Pattern("#e4eef6", "diagonal", "#7f9fbf")
SPENT = _Pattern("#225ea8", "solid")
ACTUAL = _Pattern("#225ea8", "solid")
TARGET_INK = "#111111"
AWAY_INK = "#b35806"


def _pattern_def(pid: str, p: _Pattern) -> str:
    """A fill that still tells kinds apart when printed in grey."""
    if p.kind == "solid":
        return ""
    size = 6
    mark = {
        "dots": f'<circle cx="3" cy="3" r="1.1" fill="{p.ink}"/>',
        "diagonal": f'<path d="M0 6L6 0M-1 1L1 -1M5 7L7 5" stroke="{p.ink}" stroke-width="1.2"/>',
        "cross": f'<path d="M0 6L6 0M0 0L6 6" stroke="{p.ink}" stroke-width="1"/>',
        "vertical": f'<path d="M3 0v6" stroke="{p.ink}" stroke-width="1.2"/>',
        "horizontal": f'<path d="M0 3h6" stroke="{p.ink}" stroke-width="1.2"/>',
    }[p.kind]
    return (f'<pattern id="{pid}" width="{size}" height="{size}" patternUnits="userSpaceOnUse">'
            f'<rect width="{size}" height="{size}" fill="{p.fill}"/>{mark}</pattern>')


def _paint(pid: str, p: _Pattern) -> str:
    return p.fill if p.kind == "solid" else f"url(#{pid})"


class _Frame:
    """Left-to-right coordinates in, the drawing's own out: mirrored about the middle when ``rtl``."""

    def __init__(self, width: float, rtl: bool):
        self.width, self.rtl = width, rtl

    def x(self, x: float, w: float = 0.0) -> float:
        """The left edge of a box that starts at ``x`` (reading direction) and is ``w`` wide."""
        return self.width - x - w if self.rtl else x

    def anchor(self, anchor: str) -> str:
        if self.rtl and anchor != "middle":
            anchor = "end" if anchor == "start" else "start"
        return "" if anchor == "start" else f' text-anchor="{anchor}"'

    def text(self, x: float, y: float, content: str, *, anchor: str = "start", numeric: bool = False,
             extra: str = "") -> str:
        shown = content if numeric else bidi(content, self.rtl)
        direction = ' direction="ltr"' if numeric else ""
        return (f'<text x="{num(self.x(x))}" y="{num(y)}"{self.anchor(anchor)}{direction}{extra}>'
                f"{xml_text(shown)}</text>")

    def rect(self, x: float, y: float, w: float, h: float, fill: str, extra: str = "", tip: str = "") -> str:
        start = (f'<rect x="{num(self.x(x, w))}" y="{num(y)}" width="{num(w)}" height="{num(h)}" '
                 f'fill="{fill}"{extra}')
        return f"{start}><title>{xml_text(tip)}</title></rect>" if tip else start + "/>"


def _wrap(text: str, width: float, font: float, max_lines: int = 2) -> list[str]:
    """Words laid into at most ``max_lines`` lines of ``width``; the last one ends in "…" if cut."""
    per_line = max(int(width / (font * 0.6)), 4)
    lines: list[str] = []
    current = ""
    for word in filter(None, text.split(" ")):  # only plain spaces: a no-break space holds "45 %" together
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= per_line:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while len(current) > per_line:  # one very long word: break it
            lines.append(current[:per_line])
            current = current[per_line:]
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = " ".join(lines[max_lines - 1:])
        lines = lines[:max_lines - 1] + [last[:per_line - 1].rstrip() + "…"]
    return lines or [""]


def _grouped(value: float) -> str:
    return f"{value:,.0f}"


def _check_number(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: {value} must be a finite number ≥ 0")
    return value


def _head(title: str, description: str, id_prefix: str) -> tuple[list[str], str]:
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    body = [f'<title id="{title_id}">{xml_text(title)}</title>']
    if description:
        body.append(f'<desc id="{desc_id}">{xml_text(description)}</desc>')
    return body, (f"{title_id} {desc_id}" if description else title_id)


def _legend(frame: _Frame, items: Sequence[tuple[str, str]], y0: float, font: float) -> tuple[str, float]:
    """Swatches (paint, label) in rows that fill the width; returns the SVG and the height used."""
    sw, gap = font, font * 0.4
    x, y = PAD, y0
    row_h = font * 1.6
    out = ['<g class="legend">']
    for paint, label in items:
        w = sw + gap + text_width(label, font) + font
        if x > PAD and x + w > frame.width - PAD:
            x, y = PAD, y + row_h
        out.append(frame.rect(x, y + font * 0.2, sw, sw, paint, ' stroke="#555" stroke-width=".6"'))
        out.append(frame.text(x + sw + gap, y + font, label))
        x += w
    out.append("</g>")
    return "".join(out), (y - y0) + row_h


def _halo_text(frame: _Frame, x: float, y: float, content: str, anchor: str = "middle") -> str:
    """A number drawn on a patterned bar: a white outline under it keeps it readable on any fill."""
    under = frame.text(x, y, content, anchor=anchor, numeric=True,
                       extra=' fill="#fff" stroke="#fff" stroke-width="3" stroke-linejoin="round" aria-hidden="true"')
    return under + frame.text(x, y, content, anchor=anchor, numeric=True, extra=f' fill="{TEXT_FILL}"')


# --------------------------------------------------------------------------- status of activities

def status_bars(
    rows: Sequence[tuple[str, Sequence[int]]],
    statuses: Sequence[tuple[str, str]],
    *,
    title: str,
    description: str = "",
    width: float = WIDTH,
    rtl: bool = False,
    id_prefix: str = "status",
) -> str:
    """One stacked horizontal bar per row (a pillar, an area): a segment per status, its count on it.

    ``statuses`` are ``(key, label)`` in drawing order; the keys of :data:`STATUS_STYLES` get their
    own colour and pattern. Each row is ``(label, counts)`` with one count per status. Bars share
    one scale (the longest row is the full width), so rows compare; the row's total ends the bar.
    """
    check_id(id_prefix)
    keys = [k for k, _ in statuses]
    for key in keys:
        check_id(f"{id_prefix}-{key}")
    rows = [(str(label), [int(_check_number(f"{label!r} {k}", c)) for k, c in zip(keys, counts, strict=True)])
            for label, counts in rows]
    font = FONT
    frame = _Frame(width, rtl)
    styles = {k: STATUS_STYLES.get(k) or _FALLBACK[i % len(_FALLBACK)] for i, k in enumerate(keys)}
    paints = {k: _paint(f"{id_prefix}-{k}", styles[k]) for k in keys}
    body, labelledby = _head(title, description, id_prefix)
    defs = "".join(_pattern_def(f"{id_prefix}-{k}", styles[k]) for k in keys)
    if defs:
        body.append(f"<defs>{defs}</defs>")

    legend, y = _legend(frame, [(paints[k], label) for k, label in statuses], PAD, font)
    body.append(legend)
    y += font * 0.4
    totals = [sum(c) for _, c in rows]
    top = max(totals, default=0)
    room = text_width(str(top), font) + 8
    max_len = max(width - 2 * PAD - room, 10.0)
    bar_h = font * 1.5
    body.append(f'<g class="rows" font-size="{num(font)}" fill="{TEXT_FILL}">')
    for (label, counts), total in zip(rows, totals, strict=True):
        lines = _wrap(label, width - 2 * PAD, font)
        out = ['<g class="row">']
        for line in lines:
            y += font * 1.25
            out.append(frame.text(PAD, y, line))
        y += font * 0.4
        x = PAD
        for (key, status_label), count in zip(statuses, counts, strict=True):
            if not count:
                continue
            w = count / top * max_len
            out.append(frame.rect(x, y, w, bar_h, paints[key], f' class="seg {key}" stroke="#fff" stroke-width="1"',
                                  tip=f"{status_label}: {count}"))
            if w >= text_width(str(count), font) + 6:
                out.append(_halo_text(frame, x + w / 2, y + bar_h * 0.72, str(count)))
            x += w
        out.append(frame.text(x + 4, y + bar_h * 0.72, str(total), numeric=True,
                              extra=' class="total" font-weight="bold"'))
        y += bar_h + font * 0.5
        out.append("</g>")
        body.append("".join(out))
    body.append("</g>")
    height = y + PAD
    head = svg_open(width, height, "tm-status", "img", f' aria-labelledby="{labelledby}" font-size="{num(font)}"')
    return head + "".join(body) + "</svg>"


# --------------------------------------------------------------------------- indicators against targets

@dataclass(frozen=True)
class TargetRow:
    """One indicator's row. ``label`` names it; ``value_text`` says the numbers and the progress in words
    (e.g. "2025: 33.5 % against a target of 32.3 % · 52 % of the way"), written under the bar.

    ``progress`` is :func:`tamasuk.analysis.progress.progress` of its latest value: the bar is the share of the
    way from the baseline to the target. None (a value hidden from this reader) or no value or no target draws
    only the text.
    """

    label: str
    value_text: str
    progress: Progress | None = None


def target_bars(
    rows: Sequence[TargetRow],
    *,
    title: str,
    progress_label: str,
    target_label: str,
    away_label: str,
    description: str = "",
    width: float = WIDTH,
    rtl: bool = False,
    id_prefix: str = "targets",
) -> str:
    """Per indicator, a bar on the way from its baseline (0 %) to its target (100 %), in the indicator's own
    direction (analysis.progress): a falling indicator that falls fills its bar, one that rises gets no bar but
    a "moving away" mark pointing back past the baseline. Nothing is drawn beyond the target: a target passed
    is a full bar. Every row shares the scale, so the target marks line up.
    """
    check_id(id_prefix)
    font = FONT
    frame = _Frame(width, rtl)
    x0 = PAD + font * 1.2  # room for the "moving away" mark before 0 %
    axis_len = width - x0 - PAD - font * 0.8

    def at(share: float) -> float:
        return x0 + max(0.0, min(share, 1.0)) * axis_len

    body, labelledby = _head(title, description, id_prefix)
    legend_items = [(ACTUAL.fill, progress_label), (TARGET_INK, target_label), (AWAY_INK, away_label)]
    legend, y = _legend(frame, legend_items, PAD, font)
    body.append(legend)
    y += font * 1.2
    ticks = ['<g class="axis" fill="#555">']
    for p in range(0, 101, 25):
        anchor = "start" if p == 0 else ("end" if p == 100 else "middle")
        ticks.append(frame.text(at(p / 100), y, f"{p} %", anchor=anchor, numeric=True))
    ticks.append("</g>")
    body.append("".join(ticks))
    y += font * 0.3
    axis_top = y
    bar_h = font * 1.3
    out_rows = [f'<g class="rows" font-size="{num(font)}" fill="{TEXT_FILL}">']
    for r in rows:
        p = r.progress
        out = [f'<g class="row" data-progress="{p.state.value if p is not None else "withheld"}">']
        for line in _wrap(r.label, width - 2 * PAD, font):
            y += font * 1.25
            out.append(frame.text(PAD, y, line, extra=' font-weight="bold"'))
        y += font * 0.4
        if p is not None and p.measured:
            out.append(frame.rect(x0, y, axis_len, bar_h, TRACK_FILL, ' class="track"'))
            if p.share:
                css = "actual reached" if p.reached else "actual"
                out.append(frame.rect(x0, y + bar_h * 0.25, at(p.share) - x0, bar_h * 0.5, ACTUAL.fill,
                                      f' class="{css}"'))
            if p.state == State.MOVING_AWAY:  # a triangle at the baseline pointing away from the target
                tip = x0 - font * 1.0
                pts = [(x0, y + bar_h * 0.1), (tip, y + bar_h / 2), (x0, y + bar_h * 0.9)]
                out.append(f'<polygon class="away" points="{" ".join(f"{num(frame.x(px))},{num(py)}" for px, py in pts)}"'
                           f' fill="{AWAY_INK}"/>')
            tx = at(1.0)
            out.append(frame.rect(tx - 1.5, y - 3, 3, bar_h + 6, TARGET_INK, ' class="target"'))
            y += bar_h + 3
        for line in _wrap(r.value_text, width - 2 * PAD, font, max_lines=3):
            y += font * 1.25
            out.append(frame.text(PAD, y, line, extra=f' class="value" fill="{MUTED}"'))
        y += font * 0.6
        out.append("</g>")
        out_rows.append("".join(out))
    out_rows.append("</g>")
    if rows:  # faint lines down from the 0 % and 100 % ticks through every row
        for share in (0.0, 1.0):
            x = frame.x(at(share))
            body.append(f'<path class="grid" d="M{num(x)} {num(axis_top)}V{num(y)}" stroke="#999" '
                        f'stroke-dasharray="2 3" stroke-width="1"/>')
    body.extend(out_rows)
    height = y + PAD
    head = svg_open(width, height, "tm-targets", "img", f' aria-labelledby="{labelledby}" font-size="{num(font)}"')
    return head + "".join(body) + "</svg>"


# --------------------------------------------------------------------------- budget

def budget_bars(
    rows: Sequence[tuple[str, float, float]],
    currency: str,
    *,
    title: str,
    planned_label: str,
    spent_label: str,
    description: str = "",
    width: float = WIDTH,
    rtl: bool = False,
    id_prefix: str = "budget",
    value_format: Callable[[float], str] | None = None,
) -> str:
    """Planned against spent per row (a pillar): the planned amount as a wide hatched bar, what was
    spent as a narrow solid bar over it, both on one scale, and "spent / planned currency · %" below.
    """
    check_id(id_prefix)
    fmt = value_format or _grouped
    rows = [(str(label), _check_number(f"{label!r} planned", planned), _check_number(f"{label!r} spent", spent))
            for label, planned, spent in rows]
    font = FONT
    frame = _Frame(width, rtl)
    planned_id = f"{id_prefix}-planned"
    body, labelledby = _head(title, description, id_prefix)
    body.append(f"<defs>{_pattern_def(planned_id, PLANNED)}</defs>")
    planned_paint = _paint(planned_id, PLANNED)
    legend, y = _legend(frame, [(planned_paint, planned_label), (SPENT.fill, spent_label)], PAD, font)
    body.append(legend)
    top = max([max(p, s) for _, p, s in rows], default=0.0)
    max_len = width - 2 * PAD
    bar_h = font * 1.4
    body.append(f'<g class="rows" font-size="{num(font)}" fill="{TEXT_FILL}">')
    for label, planned, spent in rows:
        out = ['<g class="row">']
        for line in _wrap(label, width - 2 * PAD, font):
            y += font * 1.25
            out.append(frame.text(PAD, y, line))
        y += font * 0.4
        p_len = planned / top * max_len if top else 0.0
        s_len = spent / top * max_len if top else 0.0
        out.append(frame.rect(PAD, y, p_len, bar_h, planned_paint, ' class="planned" stroke="#7f9fbf" stroke-width="1"'))
        out.append(frame.rect(PAD, y + bar_h * 0.3, s_len, bar_h * 0.4, SPENT.fill, ' class="spent"'))
        y += bar_h + font * 1.2
        share = f" · {spent / planned * 100:.0f} %" if planned else ""
        out.append(frame.text(PAD, y, f"{fmt(spent)} / {fmt(planned)} {currency}{share}", numeric=True,
                              extra=f' class="value" fill="{MUTED}"'))
        y += font * 0.7
        out.append("</g>")
        body.append("".join(out))
    body.append("</g>")
    height = y + PAD
    head = svg_open(width, height, "tm-budget", "img", f' aria-labelledby="{labelledby}" font-size="{num(font)}"')
    return head + "".join(body) + "</svg>"

