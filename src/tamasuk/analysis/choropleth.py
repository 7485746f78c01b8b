"""Choropleth maps rendered as SVG strings (see :mod:`.svg` for what every drawing keeps to).

Path data is compact (absolute ``M``, relative ``l``, one decimal) so that a whole city map stays a few
tens of kilobytes; the legend goes below the map, right-aligned when ``rtl``.

No Django here: labels, titles and number formats arrive already translated.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from .svg import (
    CATEGORICAL_PALETTE,
    TEXT_FILL,
    auto_format,
    bidi,
    check_id,
    finite,
    href_attr,
    join_numbers,
    num,
    sequential_palette,
    svg_open,
    tenths,
    text_width,
    xml_attr,
    xml_text,
)

__all__ = [
    "MapArea",
    "NO_DATA_FILL",
    "OUTLINE_FILL",
    "Projection",
    "choropleth",
    "fit_projection",
]

NO_DATA_FILL = "#e0e0e0"
NO_DATA_HATCH = "#8a8a8a"
OUTLINE_FILL = "#eeece6"
AREA_STROKE = "#666666"

MODES = ("sequential", "categorical", "outline")
MARGIN = 8.0  # px around the map
SIMPLIFY_TOLERANCE = 0.5  # px
MIN_RING_AREA = 1.0  # px²: smaller rings are dropped (an area always keeps its largest part)


def _font_size(width: float) -> float:
    # The SVG scales with its container: on a 360 px phone a 640-wide map is drawn at 56 %, so the
    # text is set larger than a page's body text would be.
    return float(min(16, max(11, round(width / 45))))


def _legend_font(width: float, font: float) -> float:
    # A map is read through its legend: on a 360 px phone the drawing gets about 310 px, and there the legend's
    # text must still be at least 11 px (the map's own labels may be smaller: they repeat what a tap shows).
    return float(max(font, math.ceil(width * 11.5 / 310)))


# --------------------------------------------------------------------------- areas and projection

@dataclass(frozen=True)
class MapArea:
    """One shape on a map.

    ``geometry`` is a GeoJSON Polygon or MultiPolygon in WGS84 (lon, lat). ``title`` is the text a
    screen reader announces and a pointer shows (defaults to ``label``; put the value and its unit
    in it). ``href`` makes the area a keyboard-reachable link.
    """

    key: str
    label: str
    geometry: dict
    value: float | None = None
    category: str | None = None
    href: str | None = None
    title: str | None = None
    highlighted: bool = False


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection scaled by cos(mean latitude), y pointing down, in SVG pixels.

    Good enough for a city (distortion well under 1 % across a few tens of kilometres).
    """

    lon0: float  # west edge of the fitted bounds
    lat0: float  # north edge of the fitted bounds
    cos_lat: float
    scale: float  # pixels per degree of latitude
    x_offset: float
    y_offset: float

    def project(self, lon, lat):
        """(lon, lat) in degrees → (x, y) in pixels; works on floats and numpy arrays alike."""
        x = self.x_offset + (lon - self.lon0) * self.cos_lat * self.scale
        y = self.y_offset + (self.lat0 - lat) * self.scale
        return x, y

    @property
    def degrees_per_pixel(self) -> float:
        """One pixel as degrees of latitude (e.g. to simplify in degrees before projecting)."""
        return 1.0 / self.scale


def fit_projection(
    bounds: Sequence[float], width: float, height: float | None = None, margin: float = MARGIN
) -> tuple[Projection, float]:
    """Fit ``bounds`` (min lon, min lat, max lon, max lat) into ``width`` (and ``height`` if given).

    Returns the projection and the height of the map frame (derived from the aspect ratio when
    ``height`` is None).
    """
    min_lon, min_lat, max_lon, max_lat = (float(b) for b in bounds)
    cos_lat = math.cos(math.radians((min_lat + max_lat) / 2))
    extent_x = (max_lon - min_lon) * cos_lat
    extent_y = max_lat - min_lat
    avail_w = max(width - 2 * margin, 1.0)
    scales = []
    if extent_x > 0:
        scales.append(avail_w / extent_x)
    if height is not None and extent_y > 0:
        scales.append(max(height - 2 * margin, 1.0) / extent_y)
    if not scales and extent_y > 0:  # a north–south line: fit its length to the width
        scales.append(avail_w / extent_y)
    scale = min(scales) if scales else 1.0
    frame_h = float(height) if height is not None else extent_y * scale + 2 * margin
    x_offset = margin + (avail_w - extent_x * scale) / 2
    y_offset = (frame_h - extent_y * scale) / 2
    return Projection(min_lon, max_lat, cos_lat, scale, x_offset, y_offset), frame_h


def _area_shape(area: MapArea):
    try:
        geom = shape(area.geometry)
    except Exception as exc:  # shapely raises several kinds for malformed GeoJSON
        raise ValueError(f"area {area.key!r}: geometry is not valid GeoJSON ({exc})") from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"area {area.key!r}: geometry must be a Polygon or MultiPolygon, not {geom.geom_type}")
    if geom.is_empty:
        raise ValueError(f"area {area.key!r}: geometry is empty")
    if not geom.is_valid:
        fixed = shapely.make_valid(geom)
        polys = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
        parts = [q for p in polys for q in shapely.get_parts(p)]
        if parts:
            geom = MultiPolygon(parts) if len(parts) > 1 else parts[0]
    return geom


def _ring_area(coords: np.ndarray) -> float:
    x, y = coords[:, 0], coords[:, 1]
    return 0.5 * abs(float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])))


def _ring_path(coords: np.ndarray) -> str | None:
    """A closed ring (pixel coordinates) as ``M x y l dx dy … z``, or None if it rounds to nothing."""
    pts = np.rint(coords * 10).astype(np.int64)
    if len(pts) > 1 and (pts[0] == pts[-1]).all():
        pts = pts[:-1]
    if len(pts) > 1:
        moved = np.any(np.diff(pts, axis=0) != 0, axis=1)
        pts = pts[np.concatenate(([True], moved))]
    if len(pts) < 3:
        return None
    deltas = np.diff(pts, axis=0).ravel().tolist()
    return (
        "M" + join_numbers((tenths(int(pts[0, 0])), tenths(int(pts[0, 1]))))
        + "l" + join_numbers(tenths(t) for t in deltas) + "z"
    )


def _dot_path(x: float, y: float, half: float = 1.0) -> str:
    """A small square, for an area too small to see at this scale (it must not vanish)."""
    return f"M{join_numbers((num(x - half), num(y - half)))}h{num(2 * half)}v{num(2 * half)}h{num(-2 * half)}z"


def _area_path(geom_px) -> tuple[str, Polygon]:
    """Path data for one simplified, projected area and the part to label."""
    parts = sorted(shapely.get_parts(geom_px), key=lambda p: p.area, reverse=True)
    largest = parts[0]
    pieces: list[str] = []
    for i, poly in enumerate(parts):
        exterior = np.asarray(poly.exterior.coords)[:, :2]
        if i > 0 and _ring_area(exterior) < MIN_RING_AREA:
            continue
        ring = _ring_path(exterior) if _ring_area(exterior) >= MIN_RING_AREA else None
        if ring is None:
            if i == 0:
                c = poly.centroid if not poly.centroid.is_empty else poly.representative_point()
                pieces.append(_dot_path(c.x, c.y))
            continue
        pieces.append(ring)
        for interior in poly.interiors:
            hole = np.asarray(interior.coords)[:, :2]
            if _ring_area(hole) >= MIN_RING_AREA and (hole_path := _ring_path(hole)):
                pieces.append(hole_path)
    return "".join(pieces), largest


def _quantile_edges(values: Sequence[float], n_classes: int) -> list[float]:
    qs = np.quantile(np.asarray(values, dtype=float), np.linspace(0.0, 1.0, n_classes + 1))
    edges: list[float] = []
    span = float(qs[-1] - qs[0])
    for q in qs.tolist():
        if not edges or q > edges[-1] + 1e-9 * max(span, 1e-300):
            edges.append(float(q))
    edges[-1] = float(qs[-1])
    return edges


def _check_breaks(breaks: Sequence[float]) -> list[float]:
    edges = [float(b) for b in breaks]
    if len(edges) < 2 or not all(math.isfinite(b) for b in edges):
        raise ValueError("breaks: give at least two finite class edges, e.g. [0, 20, 40, 60]")
    if any(b >= c for b, c in zip(edges, edges[1:], strict=False)):
        raise ValueError(f"breaks {edges}: class edges must be strictly increasing")
    return edges


@dataclass(frozen=True)
class _Style:
    fill: str
    css: str


@dataclass(frozen=True)
class _LegendItem:
    fill: str
    label: str
    numeric: bool


def _classify(areas, mode, breaks, n_classes, palette, value_format, no_data_label, id_prefix, categories=None):
    nodata = _Style(f"url(#{id_prefix}-nodata)", "nodata")
    styles: list[_Style] = []
    legend: list[_LegendItem] = []
    if mode == "outline":
        return [_Style(OUTLINE_FILL, "outline") for _ in areas], legend
    if mode == "categorical":
        present = {a.category for a in areas if a.category is not None}
        # A caller-given order pairs category i with palette colour i (e.g. hot → cold classes).
        cats = [c for c in categories if c in present] if categories else sorted(present, key=str)
        if categories:
            palette = [colour for c, colour in zip(categories, palette or CATEGORICAL_PALETTE, strict=False)
                       if c in present]
        colours = tuple(palette) if palette else CATEGORICAL_PALETTE
        if not colours:
            raise ValueError("palette is empty")
        # More categories than colours: colours repeat (the legend still lists each category)
        # rather than the page failing on a city's data.
        colour_of = {c: colours[i % len(colours)] for i, c in enumerate(cats)}
        index_of = {c: i for i, c in enumerate(cats)}
        for a in areas:
            if a.category is None:
                styles.append(nodata)
            else:
                styles.append(_Style(colour_of[a.category], f"k{index_of[a.category]}"))
        legend = [_LegendItem(colour_of[c], str(c), False) for c in cats]
    else:
        values = [finite(a.value) for a in areas]
        present = [v for v in values if v is not None]
        if breaks is not None:
            edges = _check_breaks(breaks)
        elif present:
            if not 1 <= n_classes <= (len(palette) if palette else 9):
                raise ValueError(f"n_classes={n_classes}: use 1 to {len(palette) if palette else 9}")
            edges = _quantile_edges(present, n_classes)
        else:
            edges = []
        k = max(len(edges) - 1, 1) if edges else 0
        colours = sequential_palette(k, palette)
        fmt = value_format or auto_format(edges)
        inner = edges[1:-1]
        for v in values:
            if v is None:
                styles.append(nodata)
            else:
                i = bisect_right(inner, v) if len(edges) > 1 else 0
                styles.append(_Style(colours[i], f"c{i}"))
        if len(edges) == 1:
            legend = [_LegendItem(colours[0], fmt(edges[0]), True)]
        else:
            legend = [
                _LegendItem(colours[i], f"{fmt(edges[i])} – {fmt(edges[i + 1])}", True) for i in range(k)
            ]
    if any(s is nodata for s in styles):
        legend.append(_LegendItem(nodata.fill, no_data_label, False))
    return styles, legend


# --------------------------------------------------------------------------- legend

def _legend(items, title, x0, y0, width, font, rtl) -> tuple[str, float]:
    """The legend's SVG and its height; laid out in a grid, right-aligned when ``rtl``."""
    if not items and not title:
        return "", 0.0
    out = [f'<g class="legend" font-size="{num(font)}">']
    y = y0
    anchor = ' text-anchor="end"' if rtl else ""
    right = x0 + width
    if title:
        y += font * 1.2
        tx = right if rtl else x0
        out.append(
            f'<text class="legend-title" x="{num(tx)}" y="{num(y)}"{anchor} font-weight="bold" '
            f'fill="{TEXT_FILL}">{xml_text(bidi(title, rtl))}</text>'
        )
        y += font * 0.5
    sw = font
    gap = font * 0.4
    col_w = max((sw + gap + text_width(it.label, font) + font for it in items), default=0)
    n_cols = max(1, min(len(items), int(width // col_w))) if items else 1
    row_h = font * 1.6
    for i, it in enumerate(items):
        row, col = divmod(i, n_cols)
        top = y + font * 0.5 + row * row_h
        base = top + sw * 0.85
        if rtl:
            sx = right - col * col_w - sw
            tx = sx - gap
        else:
            sx = x0 + col * col_w
            tx = sx + sw + gap
        direction = ' direction="ltr"' if it.numeric else ""
        label = it.label if it.numeric else bidi(it.label, rtl)
        out.append(
            f'<rect x="{num(sx)}" y="{num(top)}" width="{num(sw)}" height="{num(sw)}" fill="{it.fill}" '
            f'stroke="{AREA_STROKE}" stroke-width=".5"/>'
            f'<text x="{num(tx)}" y="{num(base)}"{anchor}{direction} fill="{TEXT_FILL}">{xml_text(label)}</text>'
        )
    rows = math.ceil(len(items) / n_cols) if items else 0
    height = (y - y0) + (font * 0.5 + rows * row_h if rows else 0) + font * 0.5
    out.append("</g>")
    return "".join(out), height


# --------------------------------------------------------------------------- choropleth

def choropleth(
    areas: Iterable[MapArea],
    *,
    width: float = 640,
    height: float | None = None,
    title: str,
    description: str = "",
    mode: str = "sequential",
    breaks: Sequence[float] | None = None,
    n_classes: int = 5,
    palette: Sequence[str] | None = None,
    legend_title: str = "",
    no_data_label: str = "No data",
    value_format: Callable[[float], str] | None = None,
    label_areas: bool = False,
    id_prefix: str = "map",
    rtl: bool = False,
    categories: Sequence[str] | None = None,
) -> str:
    """A map of ``areas`` as an SVG string, with its legend below the map.

    ``mode``:
      * ``"sequential"`` colours by ``value`` in classes: ``breaks`` are the class edges
        ``[e0, e1, …, ek]`` (k classes, class i is ``e_i ≤ v < e_i+1``, values outside go to the
        end classes); without them, ``n_classes`` quantile classes of the values (duplicate edges
        merged, so there may be fewer). ``palette`` (light → dark) is spread over the classes.
      * ``"categorical"`` colours by ``category`` (categories in sorted order, qualitative palette;
        or, with ``categories``, in that order, ``palette[i]`` for ``categories[i]``).
      * ``"outline"``: one neutral fill, no legend.
    Areas without a value (or category) get a hatched grey "no data" fill and a legend entry.

    ``height`` is the height of the map frame; the legend is added below it. ``id_prefix`` keeps
    ids unique when a page shows several maps. ``value_format`` formats legend numbers (default: one
    count of decimals fitted to the class edges). Areas link to ``href`` when given; highlighted
    areas get a thick outline drawn on top of everything else.
    """
    areas = list(areas)
    check_id(id_prefix)
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: use one of {', '.join(MODES)}")
    if width <= 0 or (height is not None and height <= 0):
        raise ValueError("width and height must be positive")
    font = _font_size(width)
    styles, legend_items = _classify(
        areas, mode, breaks, n_classes, palette, value_format, no_data_label, id_prefix, categories
    )

    geoms = [_area_shape(a) for a in areas]
    if geoms:
        proj, frame_h = fit_projection(shapely.total_bounds(geoms), width, height)

        def to_px(coords: np.ndarray) -> np.ndarray:
            x, y = proj.project(coords[:, 0], coords[:, 1])
            return np.column_stack((x, y))

        # Simplify in pixel space: 0.5 px there is 0.5 × proj.degrees_per_pixel degrees of latitude,
        # and in pixels the tolerance is the same east–west and north–south.
        geoms_px = shapely.simplify(shapely.transform(geoms, to_px), SIMPLIFY_TOLERANCE, preserve_topology=True)
    else:
        frame_h = float(height) if height is not None else width / 2
        geoms_px = []

    links = any(a.href for a in areas)
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    labelledby = f"{title_id} {desc_id}" if description else title_id
    body: list[str] = []
    body.append(f'<title id="{title_id}">{xml_text(title)}</title>')
    if description:
        body.append(f'<desc id="{desc_id}">{xml_text(description)}</desc>')
    if any(s.css == "nodata" for s in styles):
        body.append(
            f'<defs><pattern id="{id_prefix}-nodata" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{NO_DATA_FILL}"/>'
            f'<path d="M3 0v6" stroke="{NO_DATA_HATCH}" stroke-width="1.5"/></pattern></defs>'
        )

    body.append(
        f'<g class="areas" stroke="{AREA_STROKE}" stroke-width=".6" stroke-linejoin="round" fill-rule="evenodd">'
    )
    paths: list[str] = []
    label_parts: list[Polygon] = []
    for area, style, geom in zip(areas, styles, geoms_px, strict=True):
        d, largest = _area_path(geom)
        paths.append(d)
        label_parts.append(largest)
        tip = area.title if area.title is not None else area.label
        css = f"area {style.css}" + (" hl" if area.highlighted else "")
        element = (
            f'<path class="{css}" data-key={xml_attr(area.key)} fill="{style.fill}" d="{d}">'
            f"<title>{xml_text(tip)}</title></path>"
        )
        if area.href:
            element = f'<a href={href_attr(area.href)} aria-label={xml_attr(tip)}>{element}</a>'
        body.append(element)
    body.append("</g>")

    highlighted = [d for area, d in zip(areas, paths, strict=True) if area.highlighted]
    if highlighted:
        body.append('<g class="highlight" fill="none" stroke-linejoin="round" pointer-events="none">')
        for d in highlighted:
            body.append(f'<path d="{d}" stroke="#fff" stroke-width="5"/><path d="{d}" stroke="#111" stroke-width="2.5"/>')
        body.append("</g>")

    if label_areas and areas:
        size = font * 0.75
        placed: list[tuple[float, float, float, float]] = []
        chosen: dict[int, str] = {}
        # Drawn over the highlight so no outline crosses a name. Largest areas first; a label that
        # would overlap one already placed is left out (the area's title still names it).
        order = sorted(range(len(areas)), key=lambda i: -label_parts[i].area)
        for i in order:
            label = areas[i].label
            part = label_parts[i]
            tw = text_width(label, size)
            if not label or part.area < tw * size * 1.5:
                continue
            p = part.representative_point()
            x = min(max(p.x, tw / 2 + 2), width - tw / 2 - 2)
            box_ = (x - tw / 2 - 1, p.y - size * 0.6, x + tw / 2 + 1, p.y + size * 0.6)
            if any(b[0] < box_[2] and box_[0] < b[2] and b[1] < box_[3] and box_[1] < b[3] for b in placed):
                continue
            placed.append(box_)
            chosen[i] = f'<text x="{num(x)}" y="{num(p.y + size * 0.35)}">{xml_text(label)}</text>'
        texts = [chosen[i] for i in sorted(chosen)]
        if texts:
            body.append(
                f'<g class="labels" font-size="{num(size)}" text-anchor="middle" pointer-events="none" '
                f'aria-hidden="true"><g fill="#fff" stroke="#fff" stroke-width="3" stroke-linejoin="round">'
                + "".join(texts) + f'</g><g fill="{TEXT_FILL}">' + "".join(texts) + "</g></g>"
            )

    legend_svg, legend_h = _legend(
        legend_items, legend_title, MARGIN, frame_h, width - 2 * MARGIN, _legend_font(width, font), rtl
    )
    if legend_svg:
        body.append(legend_svg)
    total_h = frame_h + legend_h
    role = "group" if links else "img"  # role=img would hide the links from assistive technology
    head = svg_open(width, total_h, "tm-map", role, f' aria-labelledby="{labelledby}" font-size="{num(font)}"')
    return head + "\n".join(body) + "</svg>"
