"""Column detection of an observation file (`mapping.observation_import._specs`): the same answers as the plain
definition, in linear time (a hostile file with thousands of hashtag columns took minutes; see
benchmarks/columns_bench.py for the speed)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tamasuk.interop import hxl
from tamasuk.mapping.observation_import import _column, _specs


def _specs_by_definition(columns: list[dict]) -> dict[str, str]:
    """A column is named by its full hashtag when no other column matches that pattern, else by its header when no
    other column has the same header (spaces and case aside)."""
    specs = {}
    for c in columns:
        spec = ""
        if c["tag"]:
            pattern = hxl.TagPattern.parse(c["tag"])
            if sum(bool(o["tag"]) and pattern.matches(_column(o)) for o in columns) == 1:
                spec = c["tag"]
        if not spec and c["header"]:
            key = " ".join(c["header"].split()).casefold()
            if sum(" ".join(o["header"].split()).casefold() == key for o in columns) == 1:
                spec = c["header"]
        if spec:
            specs[str(c["index"])] = spec
    return specs


tags = st.builds(lambda tag, attrs: tag + "".join(f"+{a}" for a in attrs),
                 st.sampled_from(["", "#adm2", "#indicator", "#date"]),
                 st.lists(st.sampled_from(["code", "name", "value", "num", "year", "f", "m"]), max_size=3,
                          unique=True))
headers = st.sampled_from(["", "Ward", "ward ", "Value", "Year", "Code", "x"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(tags, headers), max_size=12))
def test_the_same_names_as_the_definition(cells):
    columns = [{"index": i, "letter": hxl.column_letter(i), "header": h, "tag": "" if t.startswith("+") else t}
               for i, (t, h) in enumerate(cells)]
    assert _specs(columns) == _specs_by_definition(columns)


def test_a_column_is_named_by_its_tag_only_when_no_other_column_matches_it():
    columns = [{"index": 0, "letter": "A", "header": "Ward", "tag": "#adm2"},
               {"index": 1, "letter": "B", "header": "Ward code", "tag": "#adm2+code"},
               {"index": 2, "letter": "C", "header": "Value", "tag": "#indicator+value"},
               {"index": 3, "letter": "D", "header": "Value", "tag": "#indicator+value+f"}]
    # #adm2 matches both A and B (B has all of A's attributes); #indicator+value matches C and D; headers
    # "Value" are shared too, so C has no name at all.
    assert _specs(columns) == {"0": "Ward", "1": "#adm2+code", "3": "#indicator+value+f"}
