"""Polygon checks, normalisation and point-in-area lookup for area boundaries.

Pure computation on shapely 2; no Django. Inputs are GeoJSON geometry objects as parsed from JSON
(``dict``/``list``/numbers), outputs are shapely geometries or GeoJSON dicts ready to store.

Positions are reported 0-based, like JSON array indices, so that a message can be matched to the file.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Generic, TypeVar

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

__all__ = [
    "GeometryCheck",
    "PointLocator",
    "bbox",
    "check_polygonal",
    "simplify",
    "to_geojson",
]

PolygonalShape = Polygon | MultiPolygon
Key = TypeVar("Key", bound=Hashable)

# One wrong file (say latitude and longitude swapped everywhere) would otherwise produce one message per
# vertex; past this many a summary line says how many more there are.
MAX_PROBLEMS_PER_GEOMETRY = 10

_NON_POLYGONAL_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString"})


@dataclass(frozen=True)
class GeometryCheck:
    """Outcome of :func:`check_polygonal`.

    ``shape`` is set only when there are no ``problems``. ``polygonal`` is False when the geometry has
    no polygonal part at all (a Point, a LineString, null): a reader may skip such a feature instead of
    failing, whereas any other problem means a polygon is broken.
    """

    shape: PolygonalShape | None
    problems: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    polygonal: bool = True

    @property
    def ok(self) -> bool:
        return self.shape is not None and not self.problems


class _Problems:
    """Collects messages for one geometry, keeping the first few and counting the rest."""

    def __init__(self, limit: int = MAX_PROBLEMS_PER_GEOMETRY) -> None:
        self.messages: list[str] = []
        self.suppressed = 0
        self._limit = limit

    def add(self, message: str) -> None:
        if len(self.messages) < self._limit:
            self.messages.append(message)
        else:
            self.suppressed += 1

    def __bool__(self) -> bool:
        return bool(self.messages)

    def finish(self) -> list[str]:
        if self.suppressed:
            return [*self.messages, f"… and {self.suppressed} more problems in this geometry"]
        return list(self.messages)


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = repr(value)
        # Whatever sits where a position should be may be a whole nested array.
        return text if len(text) <= 60 else text[:57] + "..."
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def is_number(value: Any) -> bool:
    # JSON true/false arrive as bool, which Python counts as int; a huge JSON integer may not fit a float.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _where(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _plain_ring(ring: list[Any]) -> np.ndarray | None:
    """The ring's 2-D positions when every one is well-formed and in range, else None.

    A fast path: type checks run in C over the whole ring, so a large boundary file is not checked one
    number at a time in Python. Anything unusual falls back to the position-by-position check, which
    can say exactly what is wrong where.
    """
    if not ring or set(map(type, ring)) != {list} or not set(map(len, ring)) <= {2, 3}:
        return None
    # Exact types: JSON true/false arrive as bool, a subclass of int.
    if not set(map(type, chain.from_iterable(ring))) <= {int, float}:
        return None
    try:
        coords = np.array([p[:2] for p in ring], dtype=float)
    except OverflowError:  # a JSON integer too large for a float
        return None
    if (
        not np.isfinite(coords).all()
        or (np.abs(coords[:, 0]) > 180).any()
        or (np.abs(coords[:, 1]) > 90).any()
    ):
        return None
    return coords


def _checked_positions(ring: list[Any], where: str, problems: _Problems) -> np.ndarray | None:
    usable = True
    positions: list[tuple[float, float]] = []
    for p, position in enumerate(ring):
        here = f"{where}, position {p}"
        if (
            not isinstance(position, list)
            or len(position) not in (2, 3)
            or not all(map(is_number, position))
        ):
            problems.add(
                f"{here}: a position must be 2 or 3 numbers (longitude, latitude[, altitude]), "
                f"got {_fmt(position)}"
            )
            usable = False
            continue
        lon, lat = float(position[0]), float(position[1])
        if not -180.0 <= lon <= 180.0:
            problems.add(f"{here}: longitude {_fmt(position[0])} is outside -180..180")
            usable = False
        if not -90.0 <= lat <= 90.0:
            hint = " (are longitude and latitude swapped?)" if -90.0 <= lon <= 90.0 else ""
            problems.add(f"{here}: latitude {_fmt(position[1])} is outside -90..90{hint}")
            usable = False
        positions.append((lon, lat))
    return np.array(positions, dtype=float).reshape(-1, 2) if usable else None


def _ring_positions(ring: Any, where: str, problems: _Problems) -> np.ndarray | None:
    """Validate one linear ring; return its 2-D positions, or None if it is unusable."""
    if not isinstance(ring, list):
        problems.add(f"{where}: a ring must be an array of positions, got {_fmt(ring)}")
        return None
    positions = _plain_ring(ring)
    if positions is None:
        positions = _checked_positions(ring, where, problems)
        if positions is None:
            return None
    count = len(positions)
    if count < 4:
        problems.add(
            f"{where} has {count} position{'' if count == 1 else 's'}; a ring needs at least 4 "
            "(three corners and the first repeated at the end)"
        )
        return None
    if not (positions[0] == positions[-1]).all():
        problems.add(
            f"{where} is not closed: it starts at {_fmt_pos(positions[0])} but ends at "
            f"{_fmt_pos(positions[-1])}; the last position must repeat the first"
        )
        return None
    return positions


def _fmt_pos(position: Sequence[float]) -> str:
    return f"[{_fmt(position[0])}, {_fmt(position[1])}]"


def _polygon(coords: Any, where: str, problems: _Problems) -> Polygon | None:
    if not isinstance(coords, list):
        problems.add(f"{_where(where, 'coordinates')}: a polygon must be an array of rings")
        return None
    if not coords:
        problems.add(f"{where or 'the polygon'} is empty (no rings)")
        return None
    rings = [_ring_positions(ring, _where(where, f"ring {r}"), problems) for r, ring in enumerate(coords)]
    if any(ring is None for ring in rings):
        return None
    shell, *holes = rings
    return Polygon(shell, holes)


def _collect_polygons(geom: Any, where: str, problems: _Problems, dropped: list[str]) -> list[Polygon] | None:
    """Polygons of one geometry object; None when it has no polygonal part at all."""
    if not isinstance(geom, dict):
        problems.add(f"{where or 'geometry'}: expected a GeoJSON geometry object, got {_fmt(geom)}")
        return []
    kind = geom.get("type")
    coords = geom.get("coordinates")
    if kind == "Polygon":
        polygon = _polygon(coords, where, problems)
        return [polygon] if polygon is not None else []
    if kind == "MultiPolygon":
        if not isinstance(coords, list):
            problems.add(f"{_where(where, 'coordinates')}: a MultiPolygon must be an array of polygons")
            return []
        if not coords:
            problems.add(f"{where or 'the MultiPolygon'} is empty (no polygons)")
            return []
        found = [_polygon(c, _where(where, f"polygon {i}"), problems) for i, c in enumerate(coords)]
        return [p for p in found if p is not None]
    if kind == "GeometryCollection":
        members = geom.get("geometries")
        if not isinstance(members, list):
            problems.add(f"{_where(where, 'geometries')}: must be an array of geometry objects")
            return []
        polygons: list[Polygon] = []
        any_polygonal = False
        for i, member in enumerate(members):
            found = _collect_polygons(member, _where(where, f"geometry {i}"), problems, dropped)
            if found is None:
                dropped.append(str(member.get("type")))
            else:
                any_polygonal = True
                polygons.extend(found)
        return polygons if any_polygonal else None
    if kind in _NON_POLYGONAL_TYPES:
        return None
    problems.add(f"{where or 'geometry'}: unknown geometry type {_fmt(kind)}")
    return []


def _polygonal_parts(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if isinstance(geom, MultiPolygon):
        return [p for p in geom.geoms if not p.is_empty]
    if isinstance(geom, shapely.GeometryCollection):
        return [p for part in geom.geoms for p in _polygonal_parts(part)]
    return []


def _combine(polygons: list[Polygon]) -> PolygonalShape:
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def check_polygonal(geom_dict: dict[str, Any] | None) -> GeometryCheck:
    """Check a GeoJSON geometry meant as an area boundary and turn it into a valid shapely shape.

    Fatal problems (wrong positions, coordinates out of range, rings too short or unclosed, empty
    polygons) leave ``shape`` None. Invalid but readable polygons (self-intersections, overlapping
    parts, holes touching the shell) are repaired and the repair is described in ``repairs``.
    Altitudes are dropped: boundaries are 2-D.
    """
    if geom_dict is None:
        return GeometryCheck(None, ["the geometry is null"], polygonal=False)
    problems = _Problems()
    dropped: list[str] = []
    polygons = _collect_polygons(geom_dict, "", problems, dropped)
    if polygons is None:
        kind = geom_dict.get("type")
        return GeometryCheck(
            None,
            [f"a {kind} is not a polygon; an area boundary needs a Polygon or MultiPolygon"],
            polygonal=False,
        )
    if problems:
        return GeometryCheck(None, problems.finish())

    repairs: list[str] = []
    if dropped:
        repairs.append(
            "kept only the polygons of the GeometryCollection and dropped its "
            f"{', '.join(dropped)} member{'s' if len(dropped) > 1 else ''}"
        )
    if not polygons:
        return GeometryCheck(None, ["the GeometryCollection holds no polygon with any area"], repairs=repairs)
    shape = _combine(polygons)
    if not shape.is_valid:
        reason = explain_validity(shape)
        # "structure" unions overlapping parts and subtracts holes, which is what a boundary file means;
        # the default "linework" method would turn an overlap into a gap.
        fixed = shapely.make_valid(shape, method="structure", keep_collapsed=False)
        parts = _polygonal_parts(fixed)
        if not parts:
            return GeometryCheck(
                None,
                [f"the polygon is invalid ({reason}) and has no area left once repaired"],
                repairs=repairs,
            )
        shape = _combine(parts)
        repairs.append(
            f"repaired an invalid polygon ({reason}); the result is a {shape.geom_type}"
            + (f" of {len(parts)} parts" if len(parts) > 1 else "")
        )
    if shape.is_empty or shape.area == 0:
        return GeometryCheck(None, ["the polygon has no area"], repairs=repairs)
    return GeometryCheck(shape, [], repairs)


def bbox(shape: BaseGeometry) -> tuple[float, float, float, float]:
    """(min longitude, min latitude, max longitude, max latitude)."""
    minx, miny, maxx, maxy = shape.bounds
    return (float(minx), float(miny), float(maxx), float(maxy))


def _ring_coords(ring: shapely.LinearRing, precision: int) -> list[list[float]]:
    # The coordinates are on the grid already; rounding only strips float noise like 0.30000000000000004.
    # Adding 0.0 turns -0.0 into 0.0.
    return (np.round(shapely.get_coordinates(ring), precision) + 0.0).tolist()


def _polygon_coords(polygon: Polygon, precision: int) -> list[list[list[float]]]:
    # RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise.
    polygon = orient(polygon, sign=1.0)
    return [_ring_coords(polygon.exterior, precision)] + [
        _ring_coords(hole, precision) for hole in polygon.interiors
    ]


def to_geojson(shape: PolygonalShape, precision: int = 6) -> dict[str, Any]:
    """A GeoJSON Polygon/MultiPolygon dict with coordinates rounded to ``precision`` decimals.

    Rounding is done by snapping to a grid with GEOS rather than by rounding each number, because naive
    rounding can make a narrow polygon self-intersect; the output always re-reads as valid. Six decimals
    of a degree are about 10 cm. ``shape`` must be valid, as :func:`check_polygonal` returns it.
    Polygons crossing the antimeridian are not split (RFC 7946 §3.1.9 asks writers to).
    """
    if precision < 0:
        raise ValueError("precision must be 0 or more decimals")
    snapped = shapely.set_precision(shape, 10.0**-precision)
    parts = _polygonal_parts(snapped)
    if not parts:
        raise ValueError(f"the shape vanishes when rounded to {precision} decimals")
    if len(parts) == 1:
        return {"type": "Polygon", "coordinates": _polygon_coords(parts[0], precision)}
    return {"type": "MultiPolygon", "coordinates": [_polygon_coords(p, precision) for p in parts]}


def simplify(shape: PolygonalShape, tolerance: float) -> PolygonalShape:
    """Douglas–Peucker simplification that keeps the shape valid (no rings crossing).

    Each shape is simplified on its own, so neighbouring areas may no longer share an exact border;
    for a whole map of adjacent areas ``shapely.coverage_simplify`` keeps shared borders shared.
    """
    if tolerance < 0:
        raise ValueError("tolerance must be 0 or more")
    return shape.simplify(tolerance, preserve_topology=True)


class PointLocator(Generic[Key]):
    """Finds the area a point falls in, for turning a reported location into its area.

    When areas nest (a ward inside a district), the smallest area containing the point wins. A point on
    a border shared by two areas goes to the smaller one, or to the one listed first if equal, so the
    answer is always deterministic.
    """

    def __init__(self, areas: Sequence[tuple[Key, BaseGeometry]]) -> None:
        self._keys: list[Key] = [key for key, _ in areas]
        geoms = [shape for _, shape in areas]
        self._areas = np.array([g.area for g in geoms], dtype=float)
        self._tree = shapely.STRtree(geoms)

    def __len__(self) -> int:
        return len(self._keys)

    def _pick(self, candidates: np.ndarray) -> Key | None:
        if candidates.size == 0:
            return None
        # lexsort's last key is the primary one: smallest area, then earliest in the input.
        best = candidates[np.lexsort((candidates, self._areas[candidates]))[0]]
        return self._keys[int(best)]

    def locate(self, lon: float, lat: float) -> Key | None:
        """Key of the smallest area covering (lon, lat), or None if no area does."""
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return None
        candidates = self._tree.query(shapely.Point(lon, lat), predicate="covered_by")
        return self._pick(np.asarray(candidates))

    def locate_many(self, points: Iterable[tuple[float, float]]) -> list[Key | None]:
        """:meth:`locate` for many (lon, lat) points with one tree query."""
        coords = np.asarray(list(points), dtype=float).reshape(-1, 2)
        result: list[Key | None] = [None] * len(coords)
        finite = np.isfinite(coords).all(axis=1)
        idx = np.flatnonzero(finite)
        if idx.size == 0 or not self._keys:
            return result
        point_i, area_i = self._tree.query(shapely.points(coords[idx]), predicate="covered_by")
        order = np.lexsort((area_i, self._areas[area_i], point_i))
        seen: set[int] = set()
        for k in order:
            p = int(point_i[k])
            if p not in seen:
                seen.add(p)
                result[int(idx[p])] = self._keys[int(area_i[k])]
        return result
