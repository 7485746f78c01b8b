"""Monitoring charts (analysis/charts.py): bars say the numbers they stand for, on a phone, in print, right to left."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tamasuk.analysis.charts import FONT, PHONE_PX, TargetRow, budget_bars, status_bars, target_bars
from tamasuk.analysis.progress import progress

S = "{http://www.w3.org/2000/svg}"
STATUSES = [("not_started", "Not started"), ("on_track", "On track"), ("at_risk", "At risk"), ("late", "Late"),
            ("completed", "Completed")]
ROWS = [("1 Youth", [1, 3, 1, 2, 1]), ("2 Policing", [0, 5, 0, 0, 2]), ("3 Basic needs", [0, 0, 0, 0, 0])]


def parse(svg: str) -> ET.Element:
    assert svg.startswith("<svg")
    return ET.fromstring(svg)


def view_width(root: ET.Element) -> float:
    return float(root.get("viewBox").split()[2])


def rects(root: ET.Element, css: str) -> list[dict]:
    return [{k: float(r.get(k)) for k in ("x", "y", "width", "height")} | {"class": r.get("class")}
            for r in root.iter(S + "rect") if css in (r.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()).strip("\u2068\u2069") for t in root.iter(S + "text")]


def draw_all(rtl: bool = False) -> dict[str, str]:
    return {
        "status": status_bars(ROWS, STATUSES, title="Status", rtl=rtl),
        "targets": target_bars([TargetRow("I1 Mentored", "2025: 45 of 120 people",
                                          progress(value=45, target=120, baseline=0)),
                                TargetRow("I2 Weapons", "2024: 130 of 50", progress(value=130, target=50, baseline=10)),
                                TargetRow("I3 Trust", "no value yet", progress(value=None, target=60, baseline=40))],
                               title="Indicators", progress_label="Progress", target_label="Target",
                               away_label="Moving away", rtl=rtl),
        "budget": budget_bars([("1 Youth", 100000, 45000), ("2 Policing", 250000, 280000)], "KES", title="Budget",
                              planned_label="Planned", spent_label="Spent", rtl=rtl),
    }


@pytest.mark.parametrize("rtl", [False, True])
def test_every_chart_is_an_accessible_image_readable_on_a_phone(rtl):
    for name, svg in draw_all(rtl).items():
        root = parse(svg)
        assert root.get("role") == "img"
        title_id = root.get("aria-labelledby").split()[0]
        assert root.find(f"{S}title[@id='{title_id}']") is not None, name
        # the drawing scales with its container: ~310 px on a 360 px phone; no text may fall under 11 px there
        scale = PHONE_PX / view_width(root)
        sizes = [float(e.get("font-size")) for e in root.iter() if e.get("font-size")]
        assert sizes and min(sizes) * scale >= 11, (name, min(sizes) * scale)


def test_status_segments_are_proportional_to_the_counts_and_carry_them():
    root = parse(status_bars(ROWS, STATUSES, title="Status"))
    segs = rects(root, "seg")
    counts = [c for _, row in ROWS for c in row if c]
    assert len(segs) == len(counts) == 7
    per_activity = [s["width"] / c for s, c in zip(segs, counts, strict=True)]
    assert max(per_activity) - min(per_activity) < 0.1
    # the longest row (8 activities) is the one that uses the width; the other (7) is 7/8 of it
    first_row = [s for s in segs if s["y"] == segs[0]["y"]]
    second_row = [s for s in segs if s["y"] != segs[0]["y"]]
    assert sum(s["width"] for s in second_row) == pytest.approx(sum(s["width"] for s in first_row) * 7 / 8, abs=0.3)
    # each segment is written on (when it fits) and named in its tooltip; row totals end the bars
    shown = texts(root)
    assert shown.count("3") >= 2 and "8" in shown and "7" in shown and "0" in shown
    tips = ["".join(t.itertext()) for r in root.iter(S + "rect") for t in r.iter(S + "title")]
    assert "On track: 3" in tips and "Late: 2" in tips


def test_statuses_differ_by_pattern_not_only_by_colour():
    root = parse(status_bars(ROWS, STATUSES, title="Status", id_prefix="p"))
    fills = {s.get("class").split()[1]: s.get("fill") for s in root.iter(S + "rect") if "seg" in (s.get("class") or "")}
    patterns = {p.get("id") for p in root.iter(S + "pattern")}
    assert len(set(fills.values())) == len(fills)
    patterned = [f for f in fills.values() if f.startswith("url(#")]
    assert len(patterned) >= len(fills) - 1  # at most one plain fill: everything else is striped, dotted, crossed
    assert {re.match(r"url\(#(.*)\)", f).group(1) for f in patterned} <= patterns
    # the legend names every status, with the same fills as the bars
    legend = root.find(f"{S}g[@class='legend']")
    assert [t for t in texts(legend)] == [label for _, label in STATUSES]
    assert set(fills.values()) <= {r.get("fill") for r in legend.iter(S + "rect")}


def test_two_charts_on_one_page_keep_their_pattern_ids_apart():
    a = parse(status_bars(ROWS, STATUSES, title="A", id_prefix="a"))
    b = parse(status_bars(ROWS, STATUSES, title="B", id_prefix="b"))
    ids = lambda root: {e.get("id") for e in root.iter() if e.get("id")}  # noqa: E731
    assert ids(a) and not ids(a) & ids(b)
    with pytest.raises(ValueError):
        status_bars(ROWS, STATUSES, title="x", id_prefix="1 bad")


def test_labels_are_escaped_text_never_markup():
    label = 'Youth <script>alert("x")</script> & "jobs"'
    for svg in (status_bars([(label, [1, 0, 0, 0, 0])], STATUSES, title=label, description=label),
                target_bars([TargetRow(label, label, progress(value=1, target=2, baseline=0))], title=label,
                            progress_label=label, target_label="t", away_label="a"),
                budget_bars([(label, 1, 1)], "KES", title=label, planned_label=label, spent_label="s")):
        root = parse(svg)
        assert not any(e.tag.endswith("script") for e in root.iter())
        assert root.find(S + "title").text == label
        assert any("<script>" in t for t in texts(root))


def test_right_to_left_mirrors_every_bar():
    ltr, rtl = draw_all(False), draw_all(True)
    for name in ltr:
        a, b = parse(ltr[name]), parse(rtl[name])
        width = view_width(a)
        boxes_a = [r for r in a.iter(S + "rect") if r.get("x") is not None]
        boxes_b = [r for r in b.iter(S + "rect") if r.get("x") is not None]
        assert len(boxes_a) == len(boxes_b) > 3, name
        for ra, rb in zip(boxes_a, boxes_b, strict=True):
            x, w = float(ra.get("x")), float(ra.get("width"))
            assert float(rb.get("x")) == pytest.approx(width - x - w, abs=0.15), name
            assert rb.get("y") == ra.get("y") and rb.get("width") == ra.get("width")
    # the first status is drawn at the right edge, labels are right-aligned, numbers stay left-to-right
    root = parse(rtl["status"])
    first = rects(root, "not_started")[0]
    assert first["x"] + first["width"] == pytest.approx(view_width(root) - 4, abs=0.15)
    label = next(t for t in root.iter(S + "text") if "Youth" in "".join(t.itertext()))
    assert label.get("text-anchor") == "end"
    total = next(t for t in root.iter(S + "text") if t.get("class") == "total")
    assert total.get("direction") == "ltr" and total.get("text-anchor") == "end"


def test_target_bars_show_the_way_from_the_baseline_to_the_target_in_the_indicators_direction():
    rows = [TargetRow("A", "half way up", progress(value=25, target=50, baseline=0)),
            TargetRow("B", "half way down", progress(value=33.55, target=32.3, baseline=34.8, higher_is_better=False)),
            TargetRow("C", "rising: moving away", progress(value=38.6, target=32.3, baseline=34.8,
                                                           higher_is_better=False)),
            TargetRow("D", "past the target", progress(value=150, target=100, baseline=0)),
            TargetRow("E", "hidden", None), TargetRow("F", "no target", progress(value=7, target=None))]
    root = parse(target_bars(rows, title="t", progress_label="p", target_label="t", away_label="away"))
    bars = rects(root, "actual")
    assert len(bars) == 3  # A, B and D; C moved away, E is hidden, F has no target
    full = bars[2]["width"]  # D passed its target: a full bar, never longer
    assert bars[0]["width"] == pytest.approx(full / 2, abs=0.2)
    assert bars[1]["width"] == pytest.approx(full / 2, abs=0.2)  # a falling indicator that falls fills its bar
    assert [b["class"] for b in bars] == ["actual", "actual", "actual reached"]
    targets = rects(root, "target")
    assert len(targets) == 4 and len({t["x"] for t in targets}) == 1  # one scale: the target marks line up
    assert targets[0]["x"] + targets[0]["width"] / 2 == pytest.approx(bars[2]["x"] + bars[2]["width"], abs=0.2)
    away = root.findall(f".//{S}polygon[@class='away']")
    xs = [float(x.split(",")[0]) for x in away[0].get("points").split()]
    assert len(away) == 1 and max(xs) <= bars[0]["x"] + 0.01 and min(xs) < bars[0]["x"] - 5  # back past 0 %
    assert [g.get("data-progress") for g in root.iter(S + "g") if g.get("data-progress")] == [
        "towards", "towards", "moving_away", "achieved", "withheld", "no_target"]
    shown = texts(root)
    assert all(r.value_text in shown for r in rows) and "100 %" in shown and "150 %" not in shown


def test_moving_away_points_back_past_the_baseline_right_to_left_too():
    row = TargetRow("C", "away", progress(value=40, target=30, baseline=35, higher_is_better=False))
    root = parse(target_bars([row], title="t", progress_label="p", target_label="t", away_label="a", rtl=True))
    target = rects(root, "target")[0]
    xs = [float(x.split(",")[0]) for x in root.find(f".//{S}polygon[@class='away']").get("points").split()]
    assert min(xs) > target["x"]  # right to left: the baseline is on the right, the target on the left


def test_budget_bars_share_one_scale_for_planned_and_spent():
    rows = [("1 Youth", 100000, 45000), ("2 Policing", 250000, 280000), ("3 Needs", 0, 0)]
    root = parse(budget_bars(rows, "KES", title="b", planned_label="Planned", spent_label="Spent"))
    planned, spent = rects(root, "planned"), rects(root, "spent")
    unit = spent[1]["width"] / 280000  # the largest amount takes the whole width
    assert spent[1]["width"] == pytest.approx(view_width(root) - 8, abs=0.1)
    for (_, p, s), pr, sr in zip(rows, planned, spent, strict=True):
        assert pr["width"] == pytest.approx(p * unit, abs=0.2)
        assert sr["width"] == pytest.approx(s * unit, abs=0.2)
    shown = texts(root)
    assert "45,000 / 100,000 KES · 45 %" in shown and "280,000 / 250,000 KES · 112 %" in shown
    assert "0 / 0 KES" in shown
    # planned is hatched (it reads as "not yet spent" in grey print too), spent is solid
    assert planned[0]["class"] == "planned"
    fills = {r.get("class"): r.get("fill") for r in root.iter(S + "rect") if r.get("class") in ("planned", "spent")}
    assert fills["planned"].startswith("url(#") and not fills["spent"].startswith("url(")


def test_bad_numbers_are_refused_with_the_row_named():
    with pytest.raises(ValueError, match="Youth"):
        budget_bars([("1 Youth", -1, 0)], "KES", title="b", planned_label="p", spent_label="s")
    with pytest.raises(ValueError, match="Youth"):
        status_bars([("1 Youth", [1, float("nan"), 0, 0, 0])], STATUSES, title="s")
    with pytest.raises(ValueError):
        status_bars([("1 Youth", [1, 2])], STATUSES, title="s")  # a count missing


def test_long_labels_wrap_instead_of_running_off_the_phone():
    label = "Police–community trust and security sector reform programme for the whole county and beyond it"
    root = parse(status_bars([(label, [1, 1, 1, 1, 1])], STATUSES, title="s"))
    lines = [t for t in texts(root) if t and not t.isdigit() and t not in {x for _, x in STATUSES}]
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(len(line) * FONT * 0.6 <= view_width(root) for line in lines)
