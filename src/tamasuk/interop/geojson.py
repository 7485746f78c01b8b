"""Reading GeoJSON (RFC 7946) files: bytes in, features or area records plus precise errors out.

No Django. :func:`parse` checks structure only and accepts every valid GeoJSON object; :func:`read_areas`
turns a boundary file into area records ready for one all-or-nothing import, collecting every problem
in the file rather than stopping at the first.

Feature indices and coordinate positions in messages are 0-based, as in the JSON arrays.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from tamasuk.analysis import geometry
from tamasuk.analysis.geometry import is_number

__all__ = [
    "AreaReadResult",
    "AreaRecord",
    "ParseResult",
    "ParsedFeature",
    "ReadError",
    "parse",
    "read_areas",
]

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)
# How deep the "coordinates" arrays nest: 0 is a single position.
_COORDINATE_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
_OBJECT_TYPES = ("FeatureCollection", "Feature", *GEOMETRY_TYPES)

# Older GeoJSON (2008) allowed a "crs" member. Names meaning WGS84 longitude/latitude are harmless;
# anything else means projected or otherwise foreign coordinates that RFC 7946 does not allow.
_WGS84_NAME = re.compile(r"(?:^|[:/])(?:crs84|(?:epsg(?::[\d.]*)?:|epsg/\d+/)4326)$", re.IGNORECASE)

# More messages than this about the structure of one feature are summarised.
_MAX_ERRORS_PER_FEATURE = 10


@dataclass(frozen=True)
class ReadError:
    """One problem in the file. ``index`` is the feature (None for the file as a whole); ``field`` names
    the member or property, as a path such as ``geometry.coordinates[0][3]``."""

    index: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = [f"feature {self.index}"] if self.index is not None else []
        if self.field:
            where.append(self.field)
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class ParsedFeature:
    """A feature as found in the file. A bare geometry becomes a feature with empty properties."""

    index: int
    properties: dict[str, Any]
    geometry: dict[str, Any] | None
    id: str | int | float | None = None


@dataclass(frozen=True)
class ParseResult:
    features: list[ParsedFeature]
    errors: list[ReadError]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class AreaRecord:
    index: int
    code: str
    name: str
    names: dict[str, str]
    parent_code: str | None
    geometry: dict[str, Any]
    bbox: tuple[float, float, float, float]
    population: int | None


@dataclass(frozen=True)
class AreaReadResult:
    """Areas in an order where every parent comes before its children, plus errors and warnings.

    Warnings (skipped non-polygon features, repaired polygons) do not stop an import; errors do.
    """

    areas: list[AreaRecord]
    errors: list[ReadError] = field(default_factory=list)
    warnings: list[ReadError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------------------------------------- parsing


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (JSON has no NaN or Infinity)")


def _decode(data: bytes) -> tuple[Any, ReadError | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, ReadError(None, "", "the file is UTF-16 text; GeoJSON must be UTF-8 — save it as UTF-8")
    try:
        # RFC 7946 §11 forbids writers to add a byte-order mark but lets readers ignore one.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, ReadError(
            None,
            "",
            f"the file is not UTF-8 text: byte 0x{data[exc.start]:02X} at offset {exc.start} (line {line}) "
            "is not valid UTF-8; GeoJSON must be UTF-8 — save the file as UTF-8",
        )
    if not text.strip():
        return None, ReadError(None, "", "the file is empty")
    try:
        return json.loads(text, parse_constant=_reject_constant), None
    except json.JSONDecodeError as exc:
        return None, ReadError(None, "", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except ValueError as exc:
        return None, ReadError(None, "", f"invalid JSON: {exc}")
    except RecursionError:
        return None, ReadError(None, "", "invalid JSON: arrays or objects are nested too deeply")


class _Errors:
    """Errors of one feature, capped so that a consistently wrong file stays readable."""

    def __init__(self, index: int | None, sink: list[ReadError]) -> None:
        self.index = index
        self._sink = sink
        self.count = 0

    def add(self, field: str, message: str) -> None:
        self.count += 1
        if self.count <= _MAX_ERRORS_PER_FEATURE:
            self._sink.append(ReadError(self.index, field, message))

    def close(self) -> None:
        hidden = self.count - _MAX_ERRORS_PER_FEATURE
        if hidden > 0:
            self._sink.append(ReadError(self.index, "", f"… and {hidden} more problems in this feature"))


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _check_crs(obj: dict[str, Any], path: str, errors: _Errors) -> None:
    if "crs" not in obj or obj["crs"] is None:
        return
    crs = obj["crs"]
    where = _join(path, "crs")
    name: Any = None
    if isinstance(crs, dict):
        props = crs.get("properties") if isinstance(crs.get("properties"), dict) else {}
        if crs.get("type") == "name":
            name = props.get("name")
        elif crs.get("type") == "EPSG":
            name = f"EPSG:{props.get('code')}"
    if isinstance(name, str) and _WGS84_NAME.search(name.strip()):
        return
    shown = json.dumps(crs, ensure_ascii=False)
    errors.add(
        where,
        f"coordinate reference system {shown} is not WGS84 longitude/latitude; RFC 7946 GeoJSON is "
        "always WGS84 — reproject the file to EPSG:4326 (e.g. QGIS “Export → Save Features As” "
        "or ogr2ogr -t_srs EPSG:4326)",
    )


def _check_bbox(obj: dict[str, Any], path: str, errors: _Errors) -> None:
    if "bbox" not in obj:
        return
    value = obj["bbox"]
    if not isinstance(value, list) or len(value) not in (4, 6) or not all(is_number(v) for v in value):
        errors.add(_join(path, "bbox"), "bbox must be an array of 4 (or 6 for 3-D) numbers")


def _plain_positions(items: list[Any]) -> bool:
    """True when every item is a position of finite numbers; checked in C, for large files."""
    if not items:
        return True
    if set(map(type, items)) != {list} or min(map(len, items)) < 2:
        return False
    if not set(map(type, chain.from_iterable(items))) <= {int, float}:
        return False
    try:
        return bool(np.isfinite(np.fromiter(chain.from_iterable(items), dtype=float)).all())
    except OverflowError:
        return False


def _check_coordinates(value: Any, depth: int, path: str, errors: _Errors) -> None:
    if depth == 1 and isinstance(value, list) and _plain_positions(value):
        return
    if depth == 0:
        if not isinstance(value, list):
            errors.add(path, f"expected a position (an array of 2 or 3 numbers), got {_describe(value)}")
        elif len(value) < 2:
            errors.add(path, f"a position needs at least 2 numbers (longitude, latitude), got {len(value)}")
        elif not all(is_number(v) for v in value):
            errors.add(path, "every value of a position must be a finite number")
        return
    if not isinstance(value, list):
        errors.add(path, f"expected an array nested {depth + 1} deep, got {_describe(value)}")
        return
    for i, item in enumerate(value):
        _check_coordinates(item, depth - 1, f"{path}[{i}]", errors)


def _check_geometry(geom: Any, path: str, errors: _Errors) -> bool:
    """Structural check of a geometry object; True if usable."""
    before = errors.count
    if not isinstance(geom, dict):
        errors.add(path, f"a geometry must be an object or null, got {_describe(geom)}")
        return False
    kind = geom.get("type")
    if kind not in GEOMETRY_TYPES:
        errors.add(
            _join(path, "type"),
            f"unknown geometry type {json.dumps(kind)}; expected one of {', '.join(GEOMETRY_TYPES)}",
        )
        return False
    _check_crs(geom, path, errors)
    _check_bbox(geom, path, errors)
    if kind == "GeometryCollection":
        members = geom.get("geometries")
        if not isinstance(members, list):
            errors.add(_join(path, "geometries"), 'a GeometryCollection needs a "geometries" array')
        else:
            for i, member in enumerate(members):
                _check_geometry(member, f"{_join(path, 'geometries')}[{i}]", errors)
    elif "coordinates" not in geom:
        errors.add(_join(path, "coordinates"), f'a {kind} needs a "coordinates" member')
    else:
        coords = geom["coordinates"]
        where = _join(path, "coordinates")
        _check_coordinates(coords, _COORDINATE_DEPTH[kind], where, errors)
        if kind == "LineString" and isinstance(coords, list) and len(coords) == 1:
            errors.add(where, "a LineString needs at least 2 positions")
    return errors.count == before


def _read_feature(obj: Any, index: int, sink: list[ReadError]) -> tuple[ParsedFeature | None, bool]:
    """A feature and whether its structure is sound; None if it is not a feature at all."""
    errors = _Errors(index, sink)
    try:
        if not isinstance(obj, dict):
            errors.add("", f"a feature must be an object, got {_describe(obj)}")
            return None, False
        if obj.get("type") != "Feature":
            errors.add("type", f'expected "Feature", got {json.dumps(obj.get("type"))}')
            return None, False
        _check_crs(obj, "", errors)
        _check_bbox(obj, "", errors)
        fid = obj.get("id")
        if fid is not None and (isinstance(fid, bool) or not isinstance(fid, str | int | float)):
            errors.add("id", f"a feature id must be a string or a number, got {_describe(fid)}")
            fid = None
        # RFC 7946 requires the member, but tools often leave it out when empty; nothing is lost by
        # reading that as no properties.
        props = obj.get("properties")
        if props is None:
            props = {}
        elif not isinstance(props, dict):
            errors.add("properties", f'"properties" must be an object or null, got {_describe(props)}')
            props = {}
        geom = None
        if "geometry" not in obj:
            errors.add("geometry", 'the feature has no "geometry" member (use null for no geometry)')
        elif obj["geometry"] is not None:
            geom = obj["geometry"]
            if not _check_geometry(geom, "geometry", errors):
                geom = None
        return ParsedFeature(index, props, geom, fid), errors.count == 0
    finally:
        errors.close()


def _parse(data: bytes) -> tuple[list[tuple[ParsedFeature, bool]], list[ReadError]]:
    """Every feature with a flag saying whether its structure is sound, and all errors."""
    value, error = _decode(data)
    if error is not None:
        return [], [error]
    errors: list[ReadError] = []
    if not isinstance(value, dict):
        return [], [
            ReadError(
                None,
                "",
                f"the top level is {_describe(value)}; a GeoJSON file holds one object "
                "(usually a FeatureCollection)",
            )
        ]
    kind = value.get("type")
    if kind == "FeatureCollection":
        top = _Errors(None, errors)
        _check_crs(value, "", top)
        _check_bbox(value, "", top)
        members = value.get("features")
        if not isinstance(members, list):
            got = "missing" if "features" not in value else _describe(members)
            return [], [*errors, ReadError(None, "features", f'"features" must be an array, got {got}')]
        found = [_read_feature(obj, i, errors) for i, obj in enumerate(members)]
        return [(f, sound) for f, sound in found if f is not None], errors
    if kind == "Feature":
        feature, sound = _read_feature(value, 0, errors)
        return ([(feature, sound)] if feature is not None else []), errors
    if kind in GEOMETRY_TYPES:
        top = _Errors(0, errors)
        sound = _check_geometry(value, "geometry", top)
        top.close()
        return [(ParsedFeature(0, {}, value if sound else None), sound)], errors
    if "type" not in value:
        message = 'the top-level object has no "type" member'
    else:
        message = f"unknown GeoJSON type {json.dumps(kind)}; expected one of {', '.join(_OBJECT_TYPES)}"
        if kind == "Topology":
            message += " (this is TopoJSON; convert it to GeoJSON first, e.g. with topo2geo or QGIS)"
    return [], [ReadError(None, "type", message)]


def parse(data: bytes) -> ParseResult:
    """Read any GeoJSON object. Structurally broken features are left out of ``features``; each of
    their problems is in ``errors``."""
    found, errors = _parse(data)
    return ParseResult([f for f, sound in found if sound], errors)


# ----------------------------------------------------------------------------------------------- areas


class _Invalid(ValueError):
    pass


def _code(value: Any) -> str | None:
    """A code as stripped text; None when absent or blank. Raises _Invalid for other JSON types."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(f"must be text or a number, got {_describe(value)}")
    if isinstance(value, float):
        # 12.0 from a spreadsheet export is the code "12".
        return str(int(value)) if value.is_integer() else str(value)
    return str(value).strip() or None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(f"must be text, got {_describe(value)}")
    return str(value).strip() or None


def _population(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: Any = value
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        number = int(value)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise _Invalid(f"must be a whole number of 0 or more, got {json.dumps(value, ensure_ascii=False)}")
    return number


@dataclass
class _Candidate:
    index: int
    code: str | None
    name: str | None
    names: dict[str, str]
    parent_code: str | None
    population: int | None
    shape: geometry.PolygonalShape | None
    valid: bool
    polygonal: bool = True


def _bbox_of(geojson: dict[str, Any]) -> tuple[float, float, float, float]:
    """Bounds of the stored, rounded geometry, so the box matches what is stored exactly."""
    polygons = geojson["coordinates"] if geojson["type"] == "MultiPolygon" else [geojson["coordinates"]]
    exteriors = np.concatenate([np.asarray(polygon[0], dtype=float) for polygon in polygons])
    (minx, miny), (maxx, maxy) = exteriors.min(axis=0), exteriors.max(axis=0)
    return (float(minx), float(miny), float(maxx), float(maxy))


def _parent_cycles(parents: dict[str, str]) -> Iterator[list[str]]:
    """Each cycle of codes once, in parent-following order, starting at its first code met."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in parents:
        path: list[str] = []
        code: str | None = start
        while code is not None and code in parents and state.get(code) is None:
            state[code] = 1
            path.append(code)
            code = parents[code]
        if code is not None and state.get(code) == 1:
            yield path[path.index(code) :]
        for c in path:
            state[c] = 2


def _topological(records: list[AreaRecord]) -> list[AreaRecord]:
    """Parents before children, otherwise keeping file order."""
    by_code = {r.code: r for r in records}
    placed: set[str] = set()
    ordered: list[AreaRecord] = []
    for record in records:
        lineage: list[AreaRecord] = []
        in_lineage: set[str] = set()
        current: AreaRecord | None = record
        while current is not None and current.code not in placed and current.code not in in_lineage:
            lineage.append(current)
            in_lineage.add(current.code)
            current = by_code.get(current.parent_code) if current.parent_code else None
        for r in reversed(lineage):
            placed.add(r.code)
            ordered.append(r)
    return ordered


def _candidate(
    feature: ParsedFeature,
    sound: bool,
    *,
    code_property: str,
    name_property: str,
    parent_property: str | None,
    extra_name_properties: dict[str, str],
    population_property: str | None,
) -> tuple[_Candidate, list[ReadError], list[ReadError]]:
    """One feature's area fields and geometry, with its own errors and warnings."""
    i, props = feature.index, feature.properties
    errors: list[ReadError] = []
    warnings: list[ReadError] = []

    def value(prop: str, convert: Callable[[Any], Any], label: str) -> Any:
        try:
            return convert(props.get(prop))
        except _Invalid as exc:
            errors.append(ReadError(i, prop, f"{label} {exc}"))
            return None

    code = value(code_property, _code, "the area code")
    shape = None
    geometry_errors: list[ReadError] = []
    if sound:
        check = geometry.check_polygonal(feature.geometry)
        if not check.polygonal:
            # Label points and the like travel along in boundary exports; their properties don't matter.
            kind = feature.geometry.get("type") if feature.geometry else "null"
            warnings.append(ReadError(i, "geometry", f"skipped: a {kind} geometry is not an area boundary"))
            return _Candidate(i, code, None, {}, None, None, None, valid=False, polygonal=False), [], warnings
        geometry_errors = [ReadError(i, "geometry", problem) for problem in check.problems]
        warnings.extend(ReadError(i, "geometry", repair) for repair in check.repairs)
        shape = check.shape

    if code is None and not any(e.field == code_property for e in errors):
        errors.append(
            ReadError(
                i, code_property, f'the area code is missing: property "{code_property}" is absent or blank'
            )
        )
    name = value(name_property, _text, "the area name")
    if name is None and not any(e.field == name_property for e in errors):
        errors.append(
            ReadError(
                i, name_property, f'the area name is missing: property "{name_property}" is absent or blank'
            )
        )
    names: dict[str, str] = {}
    for lang, prop in extra_name_properties.items():
        text = value(prop, _text, f"the {lang} name")
        if text is not None:
            names[lang] = text

    parent = None
    if parent_property is not None:
        parent = value(parent_property, _code, "the parent code")
        if parent is not None and parent == code:
            errors.append(ReadError(i, parent_property, f"the area {code!r} names itself as its parent"))
            parent = None
    population = None
    if population_property is not None:
        population = value(population_property, _population, "the population")

    # Property errors first, then the geometry's, so that each feature reads top to bottom.
    errors.extend(geometry_errors)
    candidate = _Candidate(i, code, name, names, parent, population, shape, valid=sound and not errors)
    return candidate, errors, warnings


def read_areas(
    data: bytes,
    *,
    code_property: str,
    name_property: str,
    parent_property: str | None = None,
    extra_name_properties: dict[str, str] | None = None,
    population_property: str | None = None,
    known_parent_codes: Collection[str] = (),
) -> AreaReadResult:
    """Read a boundary file into area records, parents first.

    ``extra_name_properties`` maps a language code to the property holding the name in that language
    (for example ``{"ar": "name_ar"}``); a blank one is left out of ``names``. A parent code must be an
    area in the file or one of ``known_parent_codes`` (areas the city already has). Features that are
    not polygons (label points, roads) are skipped with a warning, since boundary exports often carry
    them along.
    """
    found, errors = _parse(data)
    warnings: list[ReadError] = []
    extra = extra_name_properties or {}

    candidates: list[_Candidate] = []
    skipped_codes: dict[str, int] = {}
    for feature, sound in found:
        candidate, feature_errors, feature_warnings = _candidate(
            feature,
            sound,
            code_property=code_property,
            name_property=name_property,
            parent_property=parent_property,
            extra_name_properties=extra,
            population_property=population_property,
        )
        errors.extend(feature_errors)
        warnings.extend(feature_warnings)
        if candidate.polygonal:
            candidates.append(candidate)
        elif candidate.code is not None:
            skipped_codes.setdefault(candidate.code, candidate.index)

    first_with_code: dict[str, int] = {}
    for c in candidates:
        if c.code is None:
            continue
        if c.code in first_with_code:
            first = first_with_code[c.code]
            errors.append(
                ReadError(
                    c.index,
                    code_property,
                    f"the code {c.code!r} is used by both feature {first} and "
                    f"feature {c.index}; each area needs its own code",
                )
            )
            c.valid = False
        else:
            first_with_code[c.code] = c.index

    known = set(known_parent_codes)
    parents: dict[str, str] = {}
    for c in candidates:
        if c.parent_code is None:
            continue
        if c.parent_code in first_with_code:
            if c.code is not None and first_with_code[c.code] == c.index:
                parents[c.code] = c.parent_code
        elif c.parent_code not in known:
            message = (
                f"the parent code {c.parent_code!r} is neither an area in this file nor an existing area"
            )
            if c.parent_code in skipped_codes:
                message += f" (feature {skipped_codes[c.parent_code]} has that code but is not a polygon)"
            errors.append(ReadError(c.index, parent_property or "", message))
            c.valid = False

    for cycle in _parent_cycles(parents):
        indices = [first_with_code[code] for code in cycle]
        loop = " → ".join(repr(code) for code in [*cycle, cycle[0]])
        errors.append(
            ReadError(
                min(indices),
                parent_property or "",
                f"parent codes form a cycle: {loop} (features {', '.join(map(str, indices))}); "
                "an area cannot be inside its own descendant",
            )
        )

    records: list[AreaRecord] = []
    for c in candidates:
        if not c.valid or c.code is None or c.name is None or c.shape is None:
            continue
        try:
            geojson = geometry.to_geojson(c.shape)
        except ValueError as exc:
            errors.append(ReadError(c.index, "geometry", str(exc)))
            continue
        records.append(
            AreaRecord(
                index=c.index,
                code=c.code,
                name=c.name,
                names=c.names,
                parent_code=c.parent_code,
                geometry=geojson,
                bbox=_bbox_of(geojson),
                population=c.population,
            )
        )
    errors.sort(key=lambda e: -1 if e.index is None else e.index)
    warnings.sort(key=lambda e: -1 if e.index is None else e.index)
    return AreaReadResult(_topological(records), errors, warnings)
