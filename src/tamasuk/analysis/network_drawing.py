"""The network drawing: organisations as dots coloured by their type, links as lines, bridging organisations
ringed. Pure: plain records and positions in, SVG text out; no Django (the caller passes the title and the
types' labels already translated).

The legend is HTML beside the drawing (:func:`legend`): text inside a scaled-down SVG is unreadable on a phone
and does not follow the page's direction.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

TYPE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
                "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6")


@dataclass(frozen=True)
class Dot:
    """An organisation as drawn: ``id`` is its node in the graph and its key in the positions."""

    id: Hashable
    name: str
    type: str
    type_label: str


def type_colours(types: Sequence[str]) -> dict[str, str]:
    """Each organisation type's colour, by its place in ``types`` (every type, not only those present, so a
    type keeps its colour whatever the network holds)."""
    return {t: TYPE_COLOURS[i % len(TYPE_COLOURS)] for i, t in enumerate(types)}


def legend(types: Sequence[tuple[str, str]], present: Collection[str]) -> list[tuple[str, str]]:
    """(colour, label) of the types present, in the order of ``types`` ((type, label) pairs, every type)."""
    colour = type_colours([t for t, _label in types])
    return [(colour[t], label) for t, label in types if t in present]


def network_svg(dots: Sequence[Dot], lines: Iterable[tuple[Hashable, Hashable]],
                positions: Mapping[Hashable, tuple[float, float]], *, bridging: Collection[Hashable],
                types: Sequence[str], title: str, width: float = 640, height: float = 480) -> str:
    """The drawing: ``lines`` join two dots' ids; ``positions`` place each id in [0, 1]²; the dots in
    ``bridging`` are larger and ringed in black. Lines are drawn first, then the dots in their given order."""
    colour = type_colours(types)
    pad = 16
    xy = {n: (pad + x * (width - 2 * pad), pad + y * (height - 2 * pad)) for n, (x, y) in positions.items()}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="net-title"><title id="net-title">{escape(title)}</title>']
    for u, v in lines:
        (x1, y1), (x2, y2) = xy[u], xy[v]
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#9aa3ad" '
                     f'stroke-width="0.8" stroke-opacity="0.6"/>')
    for dot in dots:
        x, y = xy[dot.id]
        ringed = dot.id in bridging
        ring = ' stroke="#000" stroke-width="2.5"' if ringed else ' stroke="#fff" stroke-width="1"'
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{6 if ringed else 4.5}" '
                     f'fill="{colour[dot.type]}"{ring}><title>{escape(dot.name)} — '
                     f'{escape(dot.type_label)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
