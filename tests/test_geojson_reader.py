"""GeoJSON reading (interop.geojson) and polygon handling (analysis.geometry); no Django needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from tamasuk.analysis.geometry import (
    PointLocator,
    bbox,
    check_polygonal,
    simplify,
    to_geojson,
)
from tamasuk.interop.geojson import AreaReadResult, ReadError, parse, read_areas

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "geojson" / "valid"
REFERENCE_FILES = sorted(REFERENCE.rglob("*.json")) if REFERENCE.is_dir() else []
# Reference files whose geometry includes at least one polygon with an area.
POLYGON_FOLDERS = {"polygon", "multipolygon", "geometrycollection"}


def _ref_id(path: Path) -> str:
    return path.relative_to(REFERENCE).as_posix()


def _holds_polygon(path: Path) -> bool:
    if path.parent.name in POLYGON_FOLDERS:
        return True
    # feature/ and featurecollection/ files: look at what they actually hold.
    text = path.read_text(encoding="utf-8")
    return '"Polygon"' in text or '"MultiPolygon"' in text


def _bytes(obj: Any) -> bytes:
    return json.dumps(obj).encode("utf-8")


def _square(x: float, y: float, size: float = 1.0) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def _polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def _feature(properties: dict[str, Any], geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _collection(*features: dict[str, Any], **members: Any) -> bytes:
    return _bytes({"type": "FeatureCollection", "features": list(features), **members})


def _area(
    code: Any, name: str = "Area", parent: Any = None, geometry: dict[str, Any] | None = None, **props: Any
) -> dict[str, Any]:
    properties = {"code": code, "name": name, **props}
    if parent is not None:
        properties["parent"] = parent
    return _feature(properties, geometry if geometry is not None else _polygon(_square(35.0, 33.0)))


def _read(data: bytes, **kwargs: Any) -> AreaReadResult:
    kwargs.setdefault("code_property", "code")
    kwargs.setdefault("name_property", "name")
    kwargs.setdefault("parent_property", "parent")
    return read_areas(data, **kwargs)


def _only(errors: list[ReadError]) -> ReadError:
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


# ------------------------------------------------------------------------------------ reference files


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference GeoJSON folder {REFERENCE} is absent")
@pytest.mark.parametrize("path", REFERENCE_FILES, ids=_ref_id)
def test_reference_file_parses_without_errors(path: Path) -> None:
    result = parse(path.read_bytes())
    assert result.errors == []
    assert result.ok
    expected = 0 if path.name == "empty.json" else 1
    assert len(result.features) == expected


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference GeoJSON folder {REFERENCE} is absent")
@pytest.mark.parametrize(
    "path",
    # An empty Polygon ("coordinates": []) is valid GeoJSON but no area; it is tested on its own below.
    [p for p in REFERENCE_FILES if _holds_polygon(p) and p.name != "empty-polygon.json"],
    ids=_ref_id,
)
def test_reference_polygons_pass_the_polygon_check(path: Path) -> None:
    features = parse(path.read_bytes()).features
    checks = [check_polygonal(f.geometry) for f in features]
    good = [c for c in checks if c.polygonal]
    assert len(good) >= 1
    for check in good:
        assert check.problems == []
        assert isinstance(check.shape, Polygon | MultiPolygon)
        assert check.shape.is_valid
        assert check.shape.has_z is False  # altitudes of the 3d files are dropped
    # All reference polygons are the 1°x1° square at (100, 0) with a hole, plus a second square for
    # MultiPolygons.
    assert any(bbox(c.shape)[:2] == (100.0, 0.0) for c in good)


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference GeoJSON folder {REFERENCE} is absent")
def test_reference_details() -> None:
    number_id = parse((REFERENCE / "feature" / "with-number-id.json").read_bytes()).features[0]
    assert number_id.id == 42
    assert number_id.properties == {"name": "basic"}
    null = parse((REFERENCE / "feature" / "null-geometry.json").read_bytes()).features[0]
    assert null.geometry is None
    assert null.properties == {"name": "null geometry"}
    bare = parse((REFERENCE / "point" / "basic.json").read_bytes()).features[0]
    assert bare.properties == {}
    assert bare.geometry == {"type": "Point", "coordinates": [0, 0]}

    empty = check_polygonal(
        parse((REFERENCE / "feature" / "empty-polygon.json").read_bytes()).features[0].geometry
    )
    assert empty.shape is None
    assert empty.problems == ["the polygon is empty (no rings)"]

    collection = check_polygonal(
        parse((REFERENCE / "geometrycollection" / "basic.json").read_bytes()).features[0].geometry
    )
    assert collection.repairs == [
        "kept only the polygons of the GeometryCollection and dropped its Point, LineString members"
    ]
    assert collection.shape is not None and collection.shape.area == pytest.approx(1 - 0.36)

    point = check_polygonal({"type": "Point", "coordinates": [0, 0]})
    assert point.polygonal is False
    assert point.shape is None


# ------------------------------------------------------------------------------------ parse: broken files


def test_invalid_json_names_line_and_column() -> None:
    error = _only(parse(b'{\n  "type": "FeatureCollection",\n  "features": [,]\n}').errors)
    assert error.index is None
    assert error.message.startswith("invalid JSON at line 3, column 16: ")
    assert "Expecting value" in error.message


def test_nan_is_not_json() -> None:
    error = _only(parse(b'{"type": "Point", "coordinates": [NaN, 0]}').errors)
    assert "NaN is not valid JSON" in error.message


@pytest.mark.parametrize(
    ("data", "described"),
    [(b"[1, 2]", "an array"), (b'"Polygon"', "a string"), (b"42", "a number"), (b"null", "null")],
)
def test_top_level_must_be_an_object(data: bytes, described: str) -> None:
    result = parse(data)
    error = _only(result.errors)
    assert error.message.startswith(f"the top level is {described}; a GeoJSON file holds one object")
    assert result.features == []


def test_unknown_type_is_rejected() -> None:
    error = _only(parse(_bytes({"type": "Topology", "objects": {}})).errors)
    assert error.field == "type"
    assert error.message.startswith(
        'unknown GeoJSON type "Topology"; expected one of FeatureCollection, Feature'
    )
    assert "TopoJSON" in error.message

    nested = _only(parse(_collection(_feature({}, {"type": "Circle", "coordinates": [0, 0]}))).errors)
    assert (nested.index, nested.field) == (0, "geometry.type")
    assert nested.message.startswith('unknown geometry type "Circle"')


def test_features_must_be_a_list_and_features_need_a_geometry_member() -> None:
    error = _only(parse(_bytes({"type": "FeatureCollection", "features": {"a": 1}})).errors)
    assert (error.field, error.message) == ("features", '"features" must be an array, got an object')

    missing = _only(parse(_bytes({"type": "FeatureCollection"})).errors)
    assert missing.message == '"features" must be an array, got missing'

    result = parse(_collection(_feature({"n": 1}, None), {"type": "Feature", "properties": {"n": 2}}))
    error = _only(result.errors)
    assert (error.index, error.field) == (1, "geometry")
    assert 'no "geometry" member' in error.message
    assert [f.index for f in result.features] == [0]


def test_badly_nested_coordinates_name_the_path() -> None:
    polygon_missing_a_level = {"type": "Polygon", "coordinates": _square(0, 0)}
    result = parse(_collection(_feature({}, _polygon(_square(0, 0))), _feature({}, polygon_missing_a_level)))
    # Five positions, each a bare number where a position was expected; capped per feature.
    assert {e.index for e in result.errors} == {1}
    first = result.errors[0]
    assert first.field == "geometry.coordinates[0][0]"
    assert first.message == "expected a position (an array of 2 or 3 numbers), got a number"
    assert (
        str(first)
        == "feature 1, geometry.coordinates[0][0]: expected a position (an array of 2 or 3 numbers), got a number"
    )
    assert len(result.errors) == 10
    assert [f.index for f in result.features] == [0]

    short = _only(parse(_bytes({"type": "Point", "coordinates": [1]})).errors)
    assert (short.index, short.field) == (0, "geometry.coordinates")
    assert short.message == "a position needs at least 2 numbers (longitude, latitude), got 1"


def test_many_errors_in_one_feature_are_summarised() -> None:
    bad = {"type": "LineString", "coordinates": [["x", "y"]] * 25}
    errors = parse(_bytes({"type": "Feature", "properties": {}, "geometry": bad})).errors
    assert len(errors) == 11
    assert errors[-1].message == "… and 15 more problems in this feature"


@pytest.mark.parametrize(
    "crs",
    [
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        {"type": "name", "properties": {"name": "EPSG:32636"}},
        {"type": "link", "properties": {"href": "http://example.org/crs", "type": "proj4"}},
    ],
)
def test_crs_other_than_wgs84_is_rejected(crs: dict[str, Any]) -> None:
    error = _only(parse(_collection(_feature({}, _polygon(_square(0, 0))), crs=crs)).errors)
    assert (error.index, error.field) == (None, "crs")
    assert "is not WGS84 longitude/latitude" in error.message
    assert json.dumps(crs) in error.message


@pytest.mark.parametrize(
    "name",
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
    ],
)
def test_crs_naming_wgs84_is_accepted(name: str) -> None:
    result = parse(_collection(_feature({}, None), crs={"type": "name", "properties": {"name": name}}))
    assert result.errors == []


def test_non_utf8_bytes_are_rejected_clearly() -> None:
    latin1 = '{"type": "Feature", "properties": {"name": "Sa\u00efda"}, "geometry": null}'.encode("latin-1")
    error = _only(parse(latin1).errors)
    assert error.message.startswith("the file is not UTF-8 text: byte 0xEF at offset 46 (line 1)")
    assert "save the file as UTF-8" in error.message

    utf16 = _bytes({"type": "Point", "coordinates": [0, 0]}).decode().encode("utf-16")
    assert "UTF-16" in _only(parse(utf16).errors).message

    # A byte-order mark is tolerated (RFC 7946 §11) and UTF-8 names come through intact.
    with_bom = b"\xef\xbb\xbf" + _bytes(_feature({"name": "صيدا"}, None))
    assert parse(with_bom).features[0].properties == {"name": "صيدا"}


def test_bad_bbox_and_id() -> None:
    feature = {"type": "Feature", "id": [1], "bbox": [0, 0, 1], "properties": {}, "geometry": None}
    errors = parse(_bytes(feature)).errors
    assert [(e.field, e.message) for e in errors] == [
        ("bbox", "bbox must be an array of 4 (or 6 for 3-D) numbers"),
        ("id", "a feature id must be a string or a number, got an array"),
    ]


# ------------------------------------------------------------------------------------ check_polygonal


def test_unclosed_ring_is_fatal_and_named() -> None:
    ring = _square(0, 0)[:-1] + [[0.0, 0.5]]
    check = check_polygonal(_polygon(_square(-1, -1, 4), ring))
    assert check.shape is None
    assert check.problems == [
        "ring 1 is not closed: it starts at [0, 0] but ends at [0, 0.5]; the last position must repeat the first"
    ]


def test_ring_with_too_few_positions() -> None:
    check = check_polygonal(
        {"type": "MultiPolygon", "coordinates": [[_square(0, 0)], [[[0, 0], [1, 0], [0, 0]]]]}
    )
    assert check.problems == [
        "polygon 1, ring 0 has 3 positions; a ring needs at least 4 (three corners and the first repeated at the end)"
    ]


def test_positions_with_wrong_arity_and_altitude() -> None:
    ring = [[0, 0, 5], [1, 0, 5], [1, 1, 5, 9], [0, 1], [0, 0, 5]]
    check = check_polygonal(_polygon(ring))
    assert check.problems == [
        "ring 0, position 2: a position must be 2 or 3 numbers (longitude, latitude[, altitude]), got [1, 1, 5, 9]"
    ]
    ring[2] = [1, 1, 5]
    shape = check_polygonal(_polygon(ring)).shape
    assert shape is not None and not shape.has_z and shape.area == 1.0


def test_booleans_and_huge_numbers_are_not_coordinates() -> None:
    # JSON true is a Python bool (an int); 1e999 overflows to infinity. Neither may slip through.
    raw = b'{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, true], [0, 1e999], [0, 0]]]}'
    result = parse(raw)
    assert [(e.field, e.message) for e in result.errors] == [
        ("geometry.coordinates[0][2]", "every value of a position must be a finite number"),
        ("geometry.coordinates[0][3]", "every value of a position must be a finite number"),
    ]
    check = check_polygonal(json.loads(raw))
    assert [p.split(":")[0] for p in check.problems] == ["ring 0, position 2", "ring 0, position 3"]


def test_out_of_range_coordinates_name_the_position() -> None:
    ring = [[35.0, 33.0], [36.0, 33.0], [36.0, 34.0], [190.0, 100.0], [35.0, 33.0]]
    check = check_polygonal(_polygon(ring))
    assert check.problems == [
        "ring 0, position 3: longitude 190 is outside -180..180",
        "ring 0, position 3: latitude 100 is outside -90..90",
    ]
    swapped = check_polygonal(_polygon([[33.0, 35.0], [33.0, 36.0], [34.0, 95.5], [33.0, 35.0]]))
    assert swapped.problems[0] == (
        "ring 0, position 2: latitude 95.5 is outside -90..90 (are longitude and latitude swapped?)"
    )


def test_bowtie_is_repaired_into_a_multipolygon() -> None:
    bowtie = _polygon([[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]])
    check = check_polygonal(bowtie)
    assert check.problems == []
    assert isinstance(check.shape, MultiPolygon)
    assert len(check.shape.geoms) == 2
    assert check.shape.is_valid
    assert check.shape.area == pytest.approx(2.0)
    assert check.repairs == [
        "repaired an invalid polygon (Self-intersection[1 1]); the result is a MultiPolygon of 2 parts"
    ]


def test_overlapping_parts_are_unioned() -> None:
    overlapping = {"type": "MultiPolygon", "coordinates": [[_square(0, 0, 2)], [_square(1, 1, 2)]]}
    check = check_polygonal(overlapping)
    assert isinstance(check.shape, Polygon)
    assert check.shape.area == pytest.approx(7.0)
    assert check.repairs[0].startswith("repaired an invalid polygon (Self-intersection")


def test_polygon_without_area_is_a_problem() -> None:
    flat = check_polygonal(_polygon([[0, 0], [1, 1], [2, 2], [0, 0]]))
    assert flat.shape is None
    assert flat.problems[0].startswith("the polygon is invalid (")
    assert flat.problems[0].endswith("and has no area left once repaired")


def test_problems_per_geometry_are_capped() -> None:
    ring = [[0.0, 91.0 + i] for i in range(30)]
    check = check_polygonal(_polygon(ring))
    assert len(check.problems) == 11
    assert check.problems[-1] == "… and 20 more problems in this geometry"


# ------------------------------------------------------------------------------------ read_areas


def test_read_areas_builds_records() -> None:
    data = _collection(
        _area("LB-1", "Saida", geometry=_polygon(_square(35.3, 33.5, 0.1)), name_ar="صيدا", pop=80000),
        _area(101, " Old City ", parent="LB-1", geometry=_polygon(_square(35.32, 33.52, 0.02)), pop="1200"),
        _feature({"code": "label", "name": "label point"}, {"type": "Point", "coordinates": [35.3, 33.5]}),
    )
    result = _read(data, extra_name_properties={"ar": "name_ar"}, population_property="pop")
    assert result.ok, [str(e) for e in result.errors]
    assert [str(w) for w in result.warnings] == [
        "feature 2, geometry: skipped: a Point geometry is not an area boundary"
    ]
    saida, old_city = result.areas
    assert (saida.index, saida.code, saida.name, saida.names, saida.parent_code, saida.population) == (
        0,
        "LB-1",
        "Saida",
        {"ar": "صيدا"},
        None,
        80000,
    )
    assert (old_city.code, old_city.name, old_city.names, old_city.parent_code, old_city.population) == (
        "101",
        "Old City",
        {},
        "LB-1",
        1200,
    )
    assert saida.bbox == pytest.approx((35.3, 33.5, 35.4, 33.6))
    assert saida.geometry["type"] == "Polygon"


def test_latitude_out_of_range_names_feature_and_position() -> None:
    bad = _polygon([[35.0, 33.0], [36.0, 33.0], [36.0, 34.0], [35.0, 100.0], [35.0, 33.0]])
    result = _read(_collection(_area("A"), _area("B", geometry=bad)))
    error = _only(result.errors)
    assert (error.index, error.field) == (1, "geometry")
    assert str(error).startswith("feature 1, geometry: ring 0, position 3: latitude 100 is outside -90..90")
    assert not result.ok
    assert [a.code for a in result.areas] == ["A"]


def test_bowtie_feature_is_repaired_with_a_warning() -> None:
    bowtie = _polygon([[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]])
    result = _read(_collection(_area("X", geometry=bowtie)))
    assert result.ok
    warning = _only(result.warnings)
    assert (warning.index, warning.field) == (0, "geometry")
    assert "Self-intersection" in warning.message
    (area,) = result.areas
    assert area.geometry["type"] == "MultiPolygon"
    assert len(area.geometry["coordinates"]) == 2
    assert check_polygonal(area.geometry).problems == []


def test_duplicate_codes_name_both_features() -> None:
    result = _read(_collection(_area("W1"), _area("W2"), _area(" W1 ")))
    error = _only(result.errors)
    assert (error.index, error.field) == (2, "code")
    assert (
        error.message == "the code 'W1' is used by both feature 0 and feature 2; each area needs its own code"
    )


def test_unknown_parent_code() -> None:
    data = _collection(
        _area("D1"), _area("W1", parent="D1"), _area("W2", parent="D9"), _area("W3", parent="G1")
    )
    result = _read(data, known_parent_codes={"G1"})
    error = _only(result.errors)
    assert (error.index, error.field) == (2, "parent")
    assert error.message == "the parent code 'D9' is neither an area in this file nor an existing area"


def test_parent_that_was_skipped_is_explained() -> None:
    point = _feature({"code": "D1", "name": "District"}, {"type": "Point", "coordinates": [0, 0]})
    result = _read(_collection(point, _area("W1", parent="D1")))
    error = _only(result.errors)
    assert error.index == 1
    assert error.message.endswith("(feature 0 has that code but is not a polygon)")


def test_parent_cycle_and_self_parent() -> None:
    data = _collection(
        _area("A", parent="C"), _area("B", parent="A"), _area("C", parent="B"), _area("S", parent="S")
    )
    result = _read(data)
    assert [(e.index, e.field) for e in result.errors] == [(0, "parent"), (3, "parent")]
    cycle, own = result.errors
    assert cycle.message == (
        "parent codes form a cycle: 'A' → 'C' → 'B' → 'A' (features 0, 2, 1); "
        "an area cannot be inside its own descendant"
    )
    assert own.message == "the area 'S' names itself as its parent"


def test_missing_code_name_and_bad_population_are_all_reported() -> None:
    data = _collection(
        _feature({"name": "No code"}, _polygon(_square(0, 0))),
        _feature({"code": "  ", "name": "Blank code"}, _polygon(_square(0, 0))),
        _feature({"code": "N1"}, _polygon(_square(0, 0))),
        _area("P1", pop=-3),
        _area("P2", pop=12.5),
        _area("P3", pop=True),
        _area("P4", pop="1,200"),
        _area({"x": 1}),
    )
    result = _read(data, population_property="pop")
    assert [str(e) for e in result.errors] == [
        'feature 0, code: the area code is missing: property "code" is absent or blank',
        'feature 1, code: the area code is missing: property "code" is absent or blank',
        'feature 2, name: the area name is missing: property "name" is absent or blank',
        "feature 3, pop: the population must be a whole number of 0 or more, got -3",
        "feature 4, pop: the population must be a whole number of 0 or more, got 12.5",
        "feature 5, pop: the population must be a whole number of 0 or more, got true",
        'feature 6, pop: the population must be a whole number of 0 or more, got "1,200"',
        "feature 7, code: the area code must be text or a number, got an object",
    ]
    assert result.areas == []


def test_all_problems_in_a_file_are_collected() -> None:
    unclosed = _polygon(_square(0, 0)[:-1] + [[0.5, 0.5]])
    data = _collection(
        _area("A"), _area("A", geometry=unclosed), _feature({}, _polygon(_square(0, 0), [[0, 0]]))
    )
    result = _read(data)
    assert [(e.index, e.field) for e in result.errors] == [
        (1, "geometry"),
        (1, "code"),
        (2, "code"),
        (2, "name"),
        (2, "geometry"),
    ]
    assert "ring 0 is not closed" in result.errors[0].message
    assert result.errors[4].message.startswith("ring 1 has 1 position; a ring needs at least 4")
    assert [a.code for a in result.areas] == ["A"]


def test_topological_order_puts_parents_first() -> None:
    data = _collection(
        _area("W2", parent="D2"),
        _area("N1", parent="W1"),
        _area("W1", parent="D1"),
        _area("D1"),
        _area("D2", parent="R"),
        _area("X"),
    )
    result = _read(data, known_parent_codes=["R"])
    assert result.ok
    order = [a.code for a in result.areas]
    assert order == ["D2", "W2", "D1", "W1", "N1", "X"]
    position = {code: i for i, code in enumerate(order)}
    for area in result.areas:
        if area.parent_code in position:
            assert position[area.parent_code] < position[area.code]
    assert [a.index for a in result.areas] == [4, 0, 3, 2, 1, 5]


# ------------------------------------------------------------------------------------ helpers


def test_point_locator_prefers_the_smallest_area() -> None:
    district = box(0, 0, 10, 10)
    ward = box(2, 2, 4, 4)
    block = box(2.5, 2.5, 3, 3)
    neighbour = box(10, 0, 20, 10)
    locator = PointLocator([("district", district), ("block", block), ("ward", ward), ("east", neighbour)])
    assert locator.locate(1, 1) == "district"
    assert locator.locate(3.5, 3.5) == "ward"
    assert locator.locate(2.75, 2.75) == "block"
    assert locator.locate(15, 5) == "east"
    assert locator.locate(25, 5) is None
    assert locator.locate(float("nan"), 5) is None
    # On the shared border of two equal-size areas the first listed wins, every time.
    assert locator.locate(10, 5) == "district"
    assert locator.locate_many([(1, 1), (3.5, 3.5), (2.75, 2.75), (25, 5), (float("nan"), 0), (10, 5)]) == [
        "district",
        "ward",
        "block",
        None,
        None,
        "district",
    ]
    assert PointLocator([]).locate(0, 0) is None
    assert PointLocator([]).locate_many([(0, 0)]) == [None]


def test_to_geojson_round_trips_with_ccw_exteriors() -> None:
    clockwise_with_hole = Polygon(
        [(0, 0), (0, 1.00000049), (1, 1), (1, 0)],
        [[(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)]],
    )
    assert not clockwise_with_hole.exterior.is_ccw
    out = to_geojson(MultiPolygon([clockwise_with_hole, box(2, 2, 3, 3)]), precision=6)
    assert out["type"] == "MultiPolygon"
    # Plain JSON types only, and rounding applied.
    assert json.loads(json.dumps(out)) == out
    assert [0.0, 1.0] in out["coordinates"][0][0]
    for polygon in out["coordinates"]:
        exterior, *holes = polygon
        assert shapely.LinearRing(exterior).is_ccw
        assert all(not shapely.LinearRing(h).is_ccw for h in holes)

    reread = check_polygonal(out)
    assert reread.problems == [] and reread.repairs == []
    assert reread.shape is not None and reread.shape.area == pytest.approx(1 - 0.36 + 1)

    # And through the reader, as a stored boundary would come back.
    result = parse(_bytes(_feature({}, out)))
    assert result.errors == []
    assert check_polygonal(result.features[0].geometry).problems == []

    with pytest.raises(ValueError, match="vanishes"):
        to_geojson(box(0, 0, 1e-8, 1e-8))


def test_bbox_and_simplify() -> None:
    assert bbox(box(35.1, 33.2, 35.9, 33.8)) == (35.1, 33.2, 35.9, 33.8)
    wiggly = Polygon([(0, 0), (1, 0.001), (2, 0), (2, 2), (0, 2)])
    simple = simplify(wiggly, 0.01)
    assert len(simple.exterior.coords) == 5
    assert simple.is_valid
    assert simplify(wiggly, 0).equals(wiggly)
    with pytest.raises(ValueError):
        simplify(wiggly, -1)
