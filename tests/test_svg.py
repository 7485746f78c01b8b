"""SVG maps and charts: what a person sees and what a screen reader hears."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import shapely
from shapely.geometry import box, mapping

from tamasuk.analysis.choropleth import MapArea, choropleth, fit_projection
from tamasuk.analysis.small_charts import bar_chart, sparkline
from tamasuk.analysis.svg import CATEGORICAL_PALETTE, sequential_palette

NS = {"s": "http://www.w3.org/2000/svg"}
S = "{http://www.w3.org/2000/svg}"


# ----------------------------------------------------------------------------- helpers

def tessellation(n: int = 30, seed: int = 1, detailed: bool = False) -> list:
    """n Voronoi cells clipped to a box around Mombasa (lon 39.6, lat -4.0).

    ``detailed`` makes every boundary 1,000+ vertices with wiggles at several scales (like a ward
    boundary that follows streets and a creek); the wiggle is a function of position, so
    neighbouring cells still share their edges.
    """
    rng = np.random.default_rng(seed)
    frame = box(39.60, -4.06, 39.72, -3.96)
    pts = shapely.points(np.column_stack((rng.uniform(39.60, 39.72, n), rng.uniform(-4.06, -3.96, n))))
    cells = [c.intersection(frame) for c in shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame))]
    cells.sort(key=lambda c: (round(c.centroid.x, 6), round(c.centroid.y, 6)))
    if not detailed:
        return cells

    def wiggle(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0], xy[:, 1]
        dx = 0.0004 * np.sin(x * 900 + y * 300) + 0.00005 * np.sin(y * 20000 + x * 7000)
        dy = 0.0004 * np.cos(y * 800 - x * 400) + 0.00005 * np.cos(x * 23000)
        return np.column_stack((x + dx, y + dy))

    return [shapely.transform(shapely.segmentize(c, c.length / 1200), wiggle) for c in cells]


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return mapping(box(lon, lat, lon + size, lat + size))


def parse(svg: str) -> ET.Element:
    assert svg.startswith("<svg")
    return ET.fromstring(svg)


def area_paths(root: ET.Element) -> dict[str, ET.Element]:
    return {p.get("data-key"): p for p in root.iter(f"{S}path") if p.get("data-key") is not None}


def path_points(d: str) -> np.ndarray:
    """Absolute vertices of path data using M, L, l, h, v, z (what the module writes)."""
    tokens = re.findall(r"[MmLlHhVvZz]|-?(?:\d+\.?\d*|\.\d+)", d)
    pts: list[tuple[float, float]] = []
    x = y = 0.0
    cmd = None
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.isalpha():
            cmd = t
            i += 1
            if cmd in "Zz":
                continue
            continue
        if cmd == "M" or cmd == "L":
            x, y = float(tokens[i]), float(tokens[i + 1])
            i += 2
        elif cmd == "l":
            x, y = x + float(tokens[i]), y + float(tokens[i + 1])
            i += 2
        elif cmd == "h":
            x += float(tokens[i])
            i += 1
        elif cmd == "v":
            y += float(tokens[i])
            i += 1
        else:
            raise AssertionError(f"unexpected command {cmd!r} in {d[:40]}")
        pts.append((x, y))
    return np.array(pts)


def centre(root: ET.Element, key: str) -> np.ndarray:
    return path_points(area_paths(root)[key].get("d")).mean(axis=0)


# ----------------------------------------------------------------------------- well-formed, links, escaping

@pytest.mark.parametrize("mode", ["sequential", "categorical", "outline"])
def test_map_is_well_formed_svg_with_title_and_description(mode):
    cells = tessellation(12)
    areas = [
        MapArea(key=f"a{i}", label=f"Area {i}", geometry=mapping(c), value=float(i) if i % 4 else None,
                category=("north", "south", None)[i % 3], href=f"/areas/a{i}/")
        for i, c in enumerate(cells)
    ]
    root = parse(choropleth(areas, title="Map of Mombasa", description="Wards coloured by score", mode=mode,
                            label_areas=True))
    assert root.tag == f"{S}svg"
    assert root.get("viewBox").startswith("0 0 640 ")
    assert root.get("aria-labelledby") == "map-title map-desc"
    assert root.find("s:title", NS).text == "Map of Mombasa"
    assert root.find("s:title", NS).get("id") == "map-title"
    assert root.find("s:desc", NS).text == "Wards coloured by score"
    assert len(area_paths(root)) == 12
    assert root.find(".//s:style", NS) is None  # nothing that would need a CSP nonce
    assert all("style" not in el.attrib for el in root.iter())


def test_every_linked_area_is_a_link_to_its_href_titled_with_its_label():
    cells = tessellation(8)
    areas = [
        MapArea(key=f"a{i}", label=f"Ward {i}", geometry=mapping(c), value=float(i),
                href=f"/mombasa/areas/a{i}/?tab=overview&x=1" if i != 3 else None)
        for i, c in enumerate(cells)
    ]
    root = parse(choropleth(areas, title="Wards"))
    links = root.findall(".//s:a", NS)
    assert len(links) == 7
    by_href = {a.get("href"): a for a in links}
    for i in range(8):
        if i == 3:
            continue
        link = by_href[f"/mombasa/areas/a{i}/?tab=overview&x=1"]
        path = link.find("s:path", NS)
        assert path.get("data-key") == f"a{i}"
        assert f"Ward {i}" in path.find("s:title", NS).text
        assert f"Ward {i}" in link.get("aria-label")
    # The area without href is drawn, but is no link.
    assert "a3" in area_paths(root)
    # Links inside role=img would be hidden from assistive technology.
    assert root.get("role") == "group"
    assert parse(choropleth([MapArea("x", "X", square(39.6, -4.0))], title="t")).get("role") == "img"


def test_title_overrides_label_for_tooltip_and_screen_reader():
    area = MapArea("x", "Old Town", square(39.6, -4.0), value=3.0, title="Old Town: 3.0 people per km²", href="/x/")
    root = parse(choropleth([area], title="t"))
    assert root.find(".//s:a/s:path/s:title", NS).text == "Old Town: 3.0 people per km²"


def test_markup_in_text_is_escaped_not_executed():
    evil = '<script>alert("x")</script> Bread & Roses "quoted" \x07'
    areas = [
        MapArea("k<1>", evil, square(39.60, -4.0), value=1.0, href='/a/?q="><script>alert(1)</script>'),
        MapArea("k2", "B & B", square(39.62, -4.0), value=2.0, category=evil),
    ]
    for mode in ("sequential", "categorical"):
        svg = choropleth(areas, title=evil, description=evil, legend_title=evil, no_data_label=evil, mode=mode,
                         label_areas=True)
        assert "<script" not in svg
        root = parse(svg)  # still well-formed
        assert root.find("s:title", NS).text == evil.replace("\x07", "")
        titles = [t.text for t in root.iter(f"{S}title")]
        assert evil.replace("\x07", "") in titles
        assert "B & B" in titles
        assert root.find(".//s:a", NS).get("href") == '/a/?q="><script>alert(1)</script>'
    for svg in (sparkline([1, 2], title=evil, unit=evil), bar_chart([(evil, 3)], title=evil, unit="&")):
        assert "<script" not in svg
        assert parse(svg).find("s:title", NS).text == evil.replace("\x07", "")


@pytest.mark.parametrize("href", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>x</b>"])
def test_script_links_are_refused(href):
    with pytest.raises(ValueError, match="href"):
        choropleth([MapArea("x", "X", square(39.6, -4.0), href=href)], title="t")


def test_non_polygon_geometry_is_a_clear_error():
    with pytest.raises(ValueError, match="'p1'.*Polygon or MultiPolygon"):
        choropleth([MapArea("p1", "Point", {"type": "Point", "coordinates": [39.6, -4.0]})], title="t")


# ----------------------------------------------------------------------------- size and simplification

def test_thirty_detailed_wards_stay_small():
    cells = tessellation(30, detailed=True)
    assert min(len(c.exterior.coords) for c in cells) >= 1000
    areas = [
        MapArea(key=f"ward-{i}", label=f"Ward number {i}", geometry=mapping(c), value=float(i % 7) if i % 10 else None,
                href=f"/mombasa/areas/ward-{i}/", highlighted=i == 5)
        for i, c in enumerate(cells)
    ]
    svg = choropleth(areas, title="Priority index", description="Wards by priority index, 2024",
                     legend_title="Priority index", label_areas=True)
    assert len(svg.encode()) < 40_000
    assert len(area_paths(parse(svg))) == 30


def test_simplification_keeps_every_area_visible():
    big = box(39.60, -4.06, 39.72, -3.96)
    hole = box(39.65, -4.02, 39.66, -4.01)
    tiny = box(39.700, -4.000, 39.7001, -3.9999)  # ≈ 11 m: well below one pixel at 640 px
    island = box(39.61, -4.05, 39.61005, -4.04995)
    areas = [
        MapArea("frame", "Frame", mapping(big.difference(hole).difference(tiny.buffer(0.001))), value=1.0),
        MapArea("hole", "Hole", mapping(hole), value=2.0),
        MapArea("tiny", "Tiny", mapping(tiny), value=3.0),
        MapArea("islands", "Islands", mapping(shapely.MultiPolygon([box(39.68, -4.05, 39.69, -4.04), island])),
                value=4.0),
    ] + [MapArea(f"v{i}", f"V{i}", mapping(c), value=float(i)) for i, c in enumerate(tessellation(10, detailed=True))]
    root = parse(choropleth(areas, title="t"))
    paths = area_paths(root)
    assert set(paths) == {a.key for a in areas}
    for key, path in paths.items():
        pts = path_points(path.get("d"))
        extent = pts.max(axis=0) - pts.min(axis=0)
        assert (extent >= 1.0).all(), f"{key} is not visible: extent {extent}"
    # The frame keeps its two holes, the island below a pixel is dropped from "islands".
    assert paths["frame"].get("d").count("M") == 3
    assert paths["islands"].get("d").count("M") == 1
    assert root.find(".//s:g[@class='areas']", NS).get("fill-rule") == "evenodd"


def test_coordinates_have_at_most_one_decimal():
    svg = choropleth([MapArea(f"v{i}", "V", mapping(c)) for i, c in enumerate(tessellation(5, detailed=True))],
                     title="t", mode="outline")
    for path in area_paths(parse(svg)).values():
        numbers = re.findall(r"-?(?:\d+\.?\d*|\.\d+)", path.get("d"))
        assert all(len(n.split(".")[1]) <= 1 for n in numbers if "." in n)


# ----------------------------------------------------------------------------- projection

def test_projection_keeps_relative_positions():
    west, east = MapArea("w", "W", square(39.60, -4.00)), MapArea("e", "E", square(39.66, -4.00))
    south, north = MapArea("s", "S", square(39.63, -4.05)), MapArea("n", "N", square(39.63, -3.95))
    root = parse(choropleth([west, east, south, north], title="t", mode="outline"))
    assert centre(root, "e")[0] > centre(root, "w")[0]
    assert centre(root, "n")[1] < centre(root, "s")[1]  # north is up: smaller y


def test_projection_scales_longitude_by_cos_latitude_and_fits_width():
    proj, height = fit_projection((39.6, -4.06, 39.72, -3.96), 640)
    x0, y0 = proj.project(39.6, -3.96)
    x1, y1 = proj.project(39.72, -4.06)
    assert x0 == pytest.approx(8) and x1 == pytest.approx(632)  # margin 8 on both sides
    assert y0 == pytest.approx(8) and y1 == pytest.approx(height - 8)
    cos_lat = np.cos(np.radians(-4.01))
    assert (y1 - y0) / (x1 - x0) == pytest.approx(0.10 / (0.12 * cos_lat))
    # A map 1° wide and 1° tall at 60° N is twice as tall as wide.
    _, h60 = fit_projection((10, 59.5, 11, 60.5), 216, margin=8)
    assert h60 - 16 == pytest.approx(2 * 200, rel=0.01)


# ----------------------------------------------------------------------------- classes and colours

def test_quantile_classes_run_from_first_to_last_palette_colour():
    cells = tessellation(20)
    values = [float(v) for v in np.random.default_rng(3).uniform(0, 100, 20)]
    areas = [MapArea(f"a{i}", f"A{i}", mapping(c), value=v) for i, (c, v) in enumerate(zip(cells, values, strict=True))]
    palette = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
    root = parse(choropleth(areas, title="t", palette=palette))
    paths = area_paths(root)
    lo, hi = int(np.argmin(values)), int(np.argmax(values))
    assert paths[f"a{lo}"].get("fill") == palette[0]
    assert paths[f"a{hi}"].get("fill") == palette[-1]
    # Quintiles of 20 values: four areas per class, and a larger value never gets a lighter class.
    fills = [paths[f"a{i}"].get("fill") for i in range(20)]
    assert sorted(palette.index(f) for f in fills) == [i // 4 for i in range(20)]
    ranks = [palette.index(fills[i]) for i in np.argsort(values)]
    assert ranks == sorted(ranks)
    # The default palette behaves the same way.
    default = area_paths(parse(choropleth(areas, title="t")))
    assert default[f"a{lo}"].get("fill") == sequential_palette(5)[0]
    assert default[f"a{hi}"].get("fill") == sequential_palette(5)[-1]


def test_legend_shows_class_ranges():
    areas = [MapArea(f"a{i}", "A", square(39.6 + i * 0.02, -4.0), value=v) for i, v in enumerate([12.0, 15.5, 19.0])]
    root = parse(choropleth(areas, title="t", breaks=[12, 15.5, 19], legend_title="Score"))
    legend = [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)]
    assert legend == ["Score", "12.0 – 15.5", "15.5 – 19.0"]
    fills = [area_paths(root)[f"a{i}"].get("fill") for i in range(3)]
    assert fills[0] != fills[1] == fills[2]  # edges: 12 ≤ v < 15.5, 15.5 ≤ v ≤ 19


def test_fixed_breaks_and_value_format():
    areas = [MapArea(f"a{i}", "A", square(39.6 + i * 0.02, -4.0), value=v) for i, v in enumerate([-5, 10, 50, 99, 250])]
    root = parse(choropleth(areas, title="t", breaks=[0, 25, 50, 75, 100], value_format=lambda v: f"{v:.0f}%"))
    classes = [area_paths(root)[f"a{i}"].get("class").split()[1] for i in range(5)]
    assert classes == ["c0", "c0", "c2", "c3", "c3"]  # outside values go to the end classes
    legend = [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)]
    assert legend == ["0% – 25%", "25% – 50%", "50% – 75%", "75% – 100%"]
    with pytest.raises(ValueError, match="increasing"):
        choropleth(areas, title="t", breaks=[0, 50, 25])


def test_equal_values_make_one_class():
    areas = [MapArea(f"a{i}", "A", square(39.6 + i * 0.02, -4.0), value=7.0) for i in range(3)]
    root = parse(choropleth(areas, title="t"))
    assert len({p.get("fill") for p in area_paths(root).values()}) == 1
    assert [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)] == ["7"]


def test_missing_values_get_the_hatched_no_data_fill_and_legend_entry():
    areas = [
        MapArea("a", "A", square(39.60, -4.0), value=1.0),
        MapArea("b", "B", square(39.62, -4.0), value=None),
        MapArea("c", "C", square(39.64, -4.0), value=float("nan")),
        MapArea("d", "D", square(39.66, -4.0), value=3.0),
    ]
    root = parse(choropleth(areas, title="t", no_data_label="Hakuna data", id_prefix="m2"))
    paths = area_paths(root)
    assert paths["b"].get("fill") == paths["c"].get("fill") == "url(#m2-nodata)"
    assert "nodata" in paths["b"].get("class").split()
    pattern = root.find(".//s:defs/s:pattern", NS)
    assert pattern.get("id") == "m2-nodata"
    legend = root.find(".//s:g[@class='legend']", NS)
    assert "Hakuna data" in [t.text for t in legend.findall("s:text", NS)]
    assert "url(#m2-nodata)" in [r.get("fill") for r in legend.findall("s:rect", NS)]
    # With every value present there is neither a pattern nor a no-data entry.
    complete = parse(choropleth([areas[0], areas[3]], title="t", no_data_label="Hakuna data"))
    assert complete.find(".//s:pattern", NS) is None
    assert "Hakuna data" not in [t.text for t in complete.iter(f"{S}text")]


def test_categorical_mode_gives_one_colour_per_category():
    cats = ["Likoni", "Nyali", "Likoni", "Kisauni", "Nyali", None]
    areas = [MapArea(f"a{i}", "A", square(39.6 + i * 0.02, -4.0), category=c) for i, c in enumerate(cats)]
    root = parse(choropleth(areas, title="t", mode="categorical", legend_title="Sub-county"))
    fills = [area_paths(root)[f"a{i}"].get("fill") for i in range(6)]
    assert fills[0] == fills[2] and fills[1] == fills[4]
    assert len({fills[0], fills[1], fills[3]}) == 3
    assert set(fills[:5]) <= set(CATEGORICAL_PALETTE)
    assert fills[5] == "url(#map-nodata)"
    legend = root.find(".//s:g[@class='legend']", NS)
    labels = [t.text for t in legend.findall("s:text", NS)]
    assert labels == ["Sub-county", "Kisauni", "Likoni", "Nyali", "No data"]
    swatches = [r.get("fill") for r in legend.findall("s:rect", NS)]
    assert swatches[:3] == [fills[3], fills[0], fills[1]]


def test_outline_mode_has_one_fill_and_no_legend():
    root = parse(choropleth([MapArea(f"a{i}", "A", mapping(c)) for i, c in enumerate(tessellation(6))],
                            title="t", mode="outline"))
    assert len({p.get("fill") for p in area_paths(root).values()}) == 1
    assert root.find(".//s:g[@class='legend']", NS) is None


def test_highlighted_area_outline_is_drawn_after_all_areas():
    cells = tessellation(10)
    areas = [MapArea(f"a{i}", f"A{i}", mapping(c), value=float(i), highlighted=i == 2) for i, c in enumerate(cells)]
    root = parse(choropleth(areas, title="t", label_areas=True))
    order = list(root.iter())
    last_area = max(order.index(p) for p in area_paths(root).values())
    group = root.find(".//s:g[@class='highlight']", NS)
    outlines = group.findall("s:path", NS)
    assert outlines and all(order.index(o) > last_area for o in outlines)
    assert {o.get("d") for o in outlines} == {area_paths(root)["a2"].get("d")}
    assert max(float(o.get("stroke-width")) for o in outlines) >= 2
    assert group.get("fill") == "none"
    assert "hl" in area_paths(root)["a2"].get("class").split()


def test_rtl_legend_is_right_aligned_with_numbers_left_to_right():
    areas = [MapArea(f"a{i}", "A", square(39.6 + i * 0.02, -4.0), value=float(i)) for i in range(5)] + [
        MapArea("z", "Z", square(39.7, -4.0))
    ]
    for rtl in (False, True):
        root = parse(choropleth(areas, title="t", legend_title="المؤشر", no_data_label="لا توجد بيانات", rtl=rtl))
        assert root.get("direction") == "ltr"
        texts = root.findall(".//s:g[@class='legend']/s:text", NS)
        anchors = {t.get("text-anchor") for t in texts}
        assert anchors == ({"end"} if rtl else {None})
        numeric = [t for t in texts if "–" in t.text]
        assert numeric and all(t.get("direction") == "ltr" for t in numeric)
        xs = [float(r.get("x")) for r in root.findall(".//s:g[@class='legend']/s:rect", NS)]
        if rtl:  # first swatch at the right edge, text to its left
            assert xs[0] == max(xs)
            assert float(texts[1].get("x")) < xs[0]
        else:
            assert xs[0] == min(xs)


def test_output_is_deterministic():
    def render():
        areas = [MapArea(f"a{i}", f"A{i}", mapping(c), value=float(i % 4), category=str(i % 3), href=f"/a{i}/")
                 for i, c in enumerate(tessellation(15, detailed=True))]
        return (choropleth(areas, title="t", label_areas=True), choropleth(areas, title="t", mode="categorical"),
                sparkline([1, None, 2, 3], title="s"), bar_chart([("a", 1), ("b", 2)], title="b"))
    assert render() == render()


def test_several_maps_on_one_page_have_distinct_ids():
    areas = [MapArea("a", "A", square(39.6, -4.0))]
    one = parse(choropleth(areas, title="t", id_prefix="m1"))
    two = parse(choropleth(areas, title="t", id_prefix="m2"))
    assert one.find("s:title", NS).get("id") != two.find("s:title", NS).get("id")
    with pytest.raises(ValueError, match="id_prefix"):
        choropleth(areas, title="t", id_prefix='x" onload="alert(1)')


def test_empty_map_still_renders():
    root = parse(choropleth([], title="No boundaries yet"))
    assert root.find("s:title", NS).text == "No boundaries yet"


# ----------------------------------------------------------------------------- sparkline and bars

def test_sparkline_breaks_the_line_at_gaps_and_marks_the_last_value():
    root = parse(sparkline([3, 4, 3.5, None, 5, 6, None, 4, None, 5.5, 7], title="Trend", unit="%", width=120, height=28))
    assert root.find("s:title", NS).text == "Trend"
    assert root.get("viewBox") == "0 0 120 28"
    line = root.find("s:path", NS)
    d = line.get("d")
    assert d.count("M") == 3  # [3, 4, 3.5], [5, 6], [5.5, 7]
    singles = root.findall("s:circle[@class='point']", NS)
    assert len(singles) == 1  # the lone 4 between two gaps
    last = root.find("s:circle[@class='last']", NS)
    xs = path_points(d)[:, 0]
    assert float(last.get("cx")) == pytest.approx(xs.max(), abs=0.05)
    ys = path_points(d)[:, 1]
    assert float(last.get("cy")) == pytest.approx(ys.min(), abs=0.05)  # 7 is the highest: top
    assert root.find("s:desc", NS).text.endswith("5.5, 7.0 %")


def test_sparkline_without_values_is_just_its_title():
    root = parse(sparkline([None, None], title="Nothing yet"))
    assert root.find("s:path", NS) is None and root.find("s:title", NS).text == "Nothing yet"


def test_bar_lengths_are_proportional_to_values():
    rows = [("Youth", 12), ("Women", 6), ("Faith", 3), ("Health", 0)]
    root = parse(bar_chart(rows, title="Organisations by sector", unit="orgs"))
    widths = [float(r.get("width")) for r in root.iter(f"{S}rect")]
    assert widths[3] == 0
    assert widths[0] / widths[1] == pytest.approx(2, rel=0.02)
    assert widths[0] / widths[2] == pytest.approx(4, rel=0.02)
    assert widths[0] <= 320
    texts = [t.text for t in root.iter(f"{S}text")]
    assert texts[:2] == ["Youth", "12 orgs"]
    assert "Youth: 12 orgs" in root.find("s:desc", NS).text


def test_rtl_bars_grow_from_the_right():
    root = parse(bar_chart([("شباب", 10), ("نساء", 5)], title="t", width=300, rtl=True))
    rects = list(root.iter(f"{S}rect"))
    right_edges = {round(float(r.get("x")) + float(r.get("width")), 1) for r in rects}
    assert len(right_edges) == 1 and right_edges.pop() > 250
    assert {t.get("text-anchor") for t in root.iter(f"{S}text")} == {"end"}
    with pytest.raises(ValueError, match="≥ 0"):
        bar_chart([("x", -1)], title="t")


def test_given_category_order_pairs_each_category_with_its_colour():
    """Hot spots must be red and cold spots blue whatever their labels sort to (in any language)."""
    areas = [MapArea(key="a", label="A", geometry=square(39.60, -4.0), category="Zimmer hot"),
             MapArea(key="b", label="B", geometry=square(39.62, -4.0), category="Alpha cold"),
             MapArea(key="c", label="C", geometry=square(39.64, -4.0), category="Mid")]
    svg = choropleth(areas, title="t", mode="categorical", categories=["Zimmer hot", "Mid", "Alpha cold"],
                     palette=["#b2182b", "#f7f7f7", "#2166ac"])
    paths = area_paths(parse(svg))
    assert (paths["a"].get("fill"), paths["c"].get("fill"), paths["b"].get("fill")) == (
        "#b2182b", "#f7f7f7", "#2166ac")
