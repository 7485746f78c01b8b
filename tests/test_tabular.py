"""Reading observation tables (interop.tabular): CSV/XLSX, HXL hashtags, header maps, values, periods."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest

from tamasuk.interop.decoding import Table, TabularError, read_table
from tamasuk.interop.hxl import UNTAGGED_MESSAGE, Column, TagPattern, column_letter, find_hashtag_row
from tamasuk.interop.tabular import ColumnMap, RowError, layout, read, records_long, records_wide
from tamasuk.interop.values import NOT_AVAILABLE, Period, parse_number, parse_period

HXL = Path(__file__).resolve().parents[2] / "shared" / "reference" / "hxl"
needs_hxl = pytest.mark.skipif(not HXL.is_dir(), reason="HXL reference files not present")

LONG = ColumnMap(area="#adm2+code", indicator="#indicator+code", period="#date", value="#indicator+value")


def csv_table(text: str, filename: str = "t.csv", **kw) -> Table:
    return read_table(text.encode("utf-8"), filename, **kw)


def xlsx_bytes(rows: list[list], title: str = "Sheet1", extra: dict[str, list[list]] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for name, more in (extra or {}).items():
        other = wb.create_sheet(name)
        for row in more:
            other.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def summary(result) -> list[tuple]:
    return [(r.row, r.area, r.indicator, r.period, r.value) for r in result.records]


# --------------------------------------------------------------------------------------------------
# The real HXL files


@needs_hxl
def test_reference_valid_csv_and_xlsx_have_the_same_tags_and_values():
    csv_t = read_table((HXL / "input-valid.csv").read_bytes(), "input-valid.csv")
    xlsx_t = read_table((HXL / "input-valid.xlsx").read_bytes(), "input-valid.xlsx")
    assert xlsx_t.sheet == "input-valid" and csv_t.sheet is None
    expected_tags = [
        "",
        "#sector+es",
        "#subsector+es",
        "#org+es",
        "#targeted+f",
        "#targeted+m",
        "#country",
        "#adm1",
        "#date+reported",
    ]
    for t in (csv_t, xlsx_t):
        lay = layout(t)
        assert (lay.hashtag_row, lay.header_row, lay.first_data_row) == (3, 2, 4)
        assert [c.display_tag for c in lay.columns] == expected_tags
        assert [c.tag for c in lay.columns][:3] == [None, "sector", "subsector"]
        assert lay.columns[4].attributes == ("f",)
        assert lay.columns[4].header == "Hombres" and lay.columns[7].header == "Departamento/Provincia/Estado"

    def data_rows(t: Table) -> list[list[str]]:
        # The same cells as text: the XLSX holds 100 as a number, the CSV as "100".
        out = []
        for row in t.rows[3:]:
            cells = ["" if c is None else str(c) for c in row]
            out.append(cells + [""] * (9 - len(cells)))
        return out

    assert data_rows(csv_t) == data_rows(xlsx_t)
    assert data_rows(csv_t)[0] == [
        "001",
        "WASH",
        "Higiene",
        "ACNUR",
        "100",
        "100",
        "Panamá",
        "Los Santos",
        "1 March 2015",
    ]
    assert xlsx_t.rows[3][4] == 100 and isinstance(xlsx_t.rows[3][4], int)  # numbers kept as numbers

    cmap = ColumnMap(
        area="#adm1",
        wide_indicators={"#targeted+f": "targeted_f", "#targeted+m": "targeted_m"},
        default_period="2015",
    )
    from_csv, from_xlsx = records_wide(csv_t, cmap), records_wide(xlsx_t, cmap)
    expected = [
        (4, "Los Santos", "targeted_f", "2015", 100.0),
        (4, "Los Santos", "targeted_m", "2015", 100.0),
        (6, "Chocó", "targeted_f", "2015", 250.0),
        (6, "Chocó", "targeted_m", "2015", 300.0),
        (7, "Amazonas", "targeted_f", "2015", 80.0),
        (7, "Amazonas", "targeted_m", "2015", 95.0),
    ]
    assert summary(from_csv) == summary(from_xlsx) == expected
    # Cauca (row 5) has blank targeted cells: skipped in wide format, not errors.
    assert from_csv.errors == [] and from_csv.skipped == 2
    assert from_csv.notes == ["2 blank cell(s) were skipped"]
    assert from_csv.records[0].start == dt.date(2015, 1, 1) and from_csv.records[0].end == dt.date(
        2015, 12, 31
    )


@needs_hxl
def test_reference_multiple_header_rows_above_the_hashtag_row():
    t = read_table((HXL / "input-multiple-headers.csv").read_bytes(), "input-multiple-headers.csv")
    assert find_hashtag_row(t) == 3
    lay = layout(t)
    assert (lay.hashtag_row, lay.header_row, lay.first_data_row) == (3, 2, 4)
    assert [c.display_tag for c in lay.columns] == ["#org", "", "#adm1", "#affected"]
    assert lay.columns[0].headers == ("Junk", "Org")
    assert [c.label for c in lay.columns] == [
        "A (Org)",
        "B (No hashtag)",
        "C (Province)",
        "D (Number affected)",
    ]
    result = records_wide(
        t, ColumnMap(area="#adm1", wide_indicators={"#affected": "affected"}, default_period="2024")
    )
    assert summary(result) == [
        (4, "Coast", "affected", "2024", 100.0),
        (5, "Mountains", "affected", "2024", 200.0),
    ]
    # The header names of any header row work too, mixed with hashtags.
    by_name = records_wide(
        t, ColumnMap(area="Province", wide_indicators={"#affected": "affected"}, default_period="2024")
    )
    assert summary(by_name) == summary(result)


@needs_hxl
def test_reference_untagged_file_is_rejected_clearly_then_read_by_header_names():
    data = (HXL / "input-untagged.csv").read_bytes()
    t = read_table(data, "input-untagged.csv")
    assert find_hashtag_row(t) is None
    with pytest.raises(TabularError) as exc:
        layout(t)
    assert str(exc.value) == UNTAGGED_MESSAGE
    tagged = ColumnMap(area="#adm1", wide_indicators={"#targeted+f": "targeted_f"}, default_period="2015")
    with pytest.raises(TabularError) as exc:
        records_wide(t, tagged)
    assert str(exc.value) == UNTAGGED_MESSAGE

    # Mapped by (Spanish) header names: the header row is row 2, under a row of group headers.
    # Column E is "Hombres" here and "#targeted+f" in input-valid.csv (the reference file tags the men's
    # column +f); mapping column for column gives the same values as the tagged file.
    by_name = ColumnMap(
        area="departamento/provincia/estado",
        wide_indicators={"Hombres": "targeted_f", "Mujeres": "targeted_m"},
        default_period="2015",
    )
    lay = layout(t, by_name)
    assert (lay.hashtag_row, lay.header_row, lay.first_data_row) == (None, 2, 3)
    result = records_wide(t, by_name)
    assert result.errors == []
    valid = records_wide(
        read_table((HXL / "input-valid.csv").read_bytes(), "input-valid.csv"),
        ColumnMap(
            area="#adm1",
            wide_indicators={"#targeted+f": "targeted_f", "#targeted+m": "targeted_m"},
            default_period="2015",
        ),
    )
    # One row fewer above the data (no hashtag row): every row number is one less.
    assert summary(result) == [(r - 1, *rest) for r, *rest in summary(valid)]

    # A saved template (plain dict, JSON) reads the file the same way.
    template = json.loads(json.dumps(by_name.to_dict()))
    assert summary(read(data, "input-untagged.csv", ColumnMap.from_dict(template))) == summary(result)


@needs_hxl
def test_reference_invalid_file_hashtags_without_the_hash():
    """input-invalid.csv has a hashtag row whose tags lack the '#' (``sector+es``): libhxl finds no
    hashtag row, and the error says which row and what to fix."""
    data = (HXL / "input-invalid.csv").read_bytes()
    t = read_table(data, "input-invalid.csv")
    assert find_hashtag_row(t) is None
    with pytest.raises(TabularError) as exc:
        layout(t)
    assert str(exc.value) == (
        "no HXL hashtag row found: row 3 looks like a hashtag row whose tags lack the leading '#' "
        "('sector+es' should be '#sector+es'): add the '#' to each tag, or map the columns by header name"
    )
    # Mapped by header name, the would-be hashtag row is an ordinary row: its text is not a number.
    by_name = ColumnMap(
        area="Departamento/Provincia/Estado", wide_indicators={"Hombres": "targeted_f"}, default_period="2015"
    )
    result = records_wide(t, by_name)
    assert result.errors == [
        RowError(
            3,
            "E (Hombres)",
            "targeted+f",
            "not a number: write a number such as 12, 12.5, 1,234 or 12%, or n/a if not available",
        )
    ]
    assert [r.row for r in result.records] == [4, 6, 7]


# --------------------------------------------------------------------------------------------------
# Long format


LONG_CSV = """Ward code,Indicator,Year,Value,Source
#adm2+code+v_pcode,#indicator+code,#date+year,#indicator+value+num,#meta+source
KE-001,unemployment,2024,"12,5",survey
KE-002,unemployment,2024,1234.5,survey
KE-003,unemployment,2024-Q3,12%,survey
,,,,
KE-004,unemployment,2024,,survey
KE-005,unemployment,2024,n/a,survey
KE-006,unemployment,2024,lots,survey
KE-007,unemployment,last year,3,survey
,unemployment,2024,4,survey
KE-001,unemployment,2024,13,survey
KE-001,unemployment,2023,13,survey
"""


def test_long_format_values_errors_and_duplicates():
    result = records_long(csv_table(LONG_CSV), LONG)
    assert summary(result) == [
        (3, "KE-001", "unemployment", "2024", 12.5),
        (4, "KE-002", "unemployment", "2024", 1234.5),
        (5, "KE-003", "unemployment", "2024-Q3", 12.0),
        (13, "KE-001", "unemployment", "2023", 13.0),
    ]
    assert result.errors == [
        RowError(7, "D (Value)", "", "the value is empty: enter a number, or n/a if it is not available"),
        RowError(
            9,
            "D (Value)",
            "lots",
            "not a number: write a number such as 12, 12.5, 1,234 or 12%, or n/a if not available",
        ),
        RowError(
            10,
            "C (Year)",
            "last year",
            "'last year' is not a period: use a year (2024), quarter (2024-Q3), month (2024-03), "
            "date (2024-03-15) or range (2024-01-01/2024-06-30)",
        ),
        RowError(11, "A (Ward code)", "", "the area is empty"),
        RowError(
            12,
            "D (Value)",
            "13",
            "duplicate of row 3: both rows give area 'KE-001', indicator 'unemployment', period '2024'; "
            "keep one of them",
        ),
    ]
    assert result.error_count == 5 and not result.ok
    assert result.skipped == 1
    assert result.notes == [
        "1 value(s) marked as not available ('n/a') were skipped; the first is in row 8, column D (Value)"
    ]
    assert str(result.errors[1]) == (
        "row 9, column D (Value): not a number: write a number such as 12, 12.5, 1,234 or 12%, "
        "or n/a if not available (value: 'lots')"
    )
    q3 = result.records[2]
    assert (q3.start, q3.end) == (dt.date(2024, 7, 1), dt.date(2024, 9, 30))


def test_long_format_source_note_and_disaggregation():
    text = (
        "area,indicator,period,value,sex,age,source\n"
        "#adm2+name,#indicator+code,#date,#value,#sex,#age,#meta+source\n"
        "Old Town,trust_police,2024,40,f,15-24,forum\n"
        "Old Town,trust_police,2024,45,m,15-24,forum\n"
        "Old Town,trust_police,2024,41,f,,forum\n"
        "Old Town,trust_police,2024,42,f,15-24,forum\n"
    )
    cmap = ColumnMap(
        area="#adm2",
        indicator="#indicator",
        period="#date",
        value="#value",
        sex="#sex",
        age="#age",
        source="#meta+source",
    )
    result = records_long(csv_table(text), cmap)
    assert [(r.row, r.value, r.disaggregation, r.source) for r in result.records] == [
        (3, 40.0, {"sex": "f", "age": "15-24"}, "forum"),
        (4, 45.0, {"sex": "m", "age": "15-24"}, "forum"),
        (5, 41.0, {"sex": "f"}, "forum"),
    ]
    assert result.errors == [
        RowError(
            6,
            "D (value)",
            "42",
            "duplicate of row 3: both rows give area 'Old Town', indicator 'trust_police', period '2024', "
            "sex 'f', age '15-24'; keep one of them",
        ),
    ]


def test_long_format_by_header_names_without_hashtags_and_short_rows():
    text = "Area;Indicator;Period;Value\nA1;ind;2024-03;1,5\nA2;ind;2024-03\nA3;ind;2024-03;2\n"
    cmap = ColumnMap(area="area", indicator="INDICATOR", period="Period", value=" value ")
    result = records_long(csv_table(text), cmap)
    assert summary(result) == [(2, "A1", "ind", "2024-03", 1.5), (4, "A3", "ind", "2024-03", 2.0)]
    assert result.errors == [
        RowError(3, "D (Value)", "", "the value is empty: enter a number, or n/a if it is not available")
    ]
    assert result.notes == ["semicolon-separated file: ',' read as the decimal separator (1,5 is 1.5)"]


def test_long_format_default_period_and_errors_in_the_map():
    text = "#adm2+code,#indicator+code,#value\nA1,x,1\n"
    with pytest.raises(TabularError, match="map a period column, or give a period for the whole file"):
        records_long(csv_table(text), ColumnMap(area="#adm2", indicator="#indicator", value="#value"))
    result = records_long(
        csv_table(text),
        ColumnMap(area="#adm2", indicator="#indicator", value="#value", default_period="2024"),
    )
    assert summary(result) == [(2, "A1", "x", "2024", 1.0)]
    with pytest.raises(TabularError, match=r"default period: '2024-H1' is not a period"):
        records_long(
            csv_table(text),
            ColumnMap(area="#adm2", indicator="#indicator", value="#value", default_period="2024-H1"),
        )
    with pytest.raises(TabularError, match="long format needs an indicator column and a value column"):
        records_long(csv_table(text), ColumnMap(area="#adm2", default_period="2024"))


def test_tag_pattern_errors_name_the_candidates():
    text = "#adm1+name,#adm1+code,#indicator+code,#date,#value\nCoast,C1,x,2024,1\n"
    t = csv_table(text)
    with pytest.raises(TabularError) as exc:
        records_long(t, ColumnMap(area="#adm1", indicator="#indicator", period="#date", value="#value"))
    assert str(exc.value) == (
        "column map: area '#adm1' matches 2 columns (A #adm1+name, B #adm1+code); make it more specific"
    )
    with pytest.raises(TabularError) as exc:
        records_long(t, ColumnMap(area="#adm2+code", indicator="#indicator", period="#date", value="#value"))
    assert str(exc.value) == (
        "column map: no column matches area '#adm2+code'; the hashtags in row 1 are: "
        "#adm1+name, #adm1+code, #indicator+code, #date, #value"
    )
    result = records_long(
        t, ColumnMap(area="#ADM1+Code", indicator="#indicator", period="#date", value="#value")
    )
    assert summary(result) == [(2, "C1", "x", "2024", 1.0)]


def test_header_name_errors():
    t = csv_table("Ward,Indicator,Year,Value\nA,x,2024,1\n")
    with pytest.raises(TabularError) as exc:
        records_long(t, ColumnMap(area="Ward", indicator="Indicator", period="Period", value="Value"))
    assert str(exc.value) == (
        "no header row holds all the mapped headers: row 1 lacks 'Period'; its headers are "
        "'Ward', 'Indicator', 'Year', 'Value'"
    )
    with pytest.raises(TabularError, match="none of the mapped headers"):
        records_long(t, ColumnMap(area="Zone", indicator="Code", period="When", value="Amount"))


def test_errors_are_capped_but_counted():
    text = "#adm2,#indicator,#date,#value\n" + "".join(f"A{i},x,2024,bad\n" for i in range(30))
    result = records_long(
        csv_table(text),
        ColumnMap(area="#adm2", indicator="#indicator", period="#date", value="#value"),
        max_errors=10,
    )
    assert len(result.errors) == 10 and result.error_count == 30
    assert [e.row for e in result.errors] == list(range(2, 12))
    assert result.notes[-1] == "30 errors in all; only the first 10 are listed"


# --------------------------------------------------------------------------------------------------
# Wide format


WIDE_ROWS = [
    ["Ward", "Year", "Unemployment (%)", "Households", "Trust in police"],
    ["#adm2+code", "#date+year", "#indicator+unemployment", "#population+hh", "#indicator+trust"],
    ["W1", 2024, 12.5, 1200, "40%"],
    ["W2", 2024, None, 900, "n/a"],
    ["W3", "2024", "7,5", "1,234", "-"],
    ["W4", 2024, "x", None, "35"],
    [None, None, None, None, None],
    ["W1", 2024, 13, None, None],
]
WIDE_MAP = ColumnMap(
    area="#adm2+code",
    period="#date",
    wide_indicators={
        "#indicator+unemployment": "unemployment",
        "#population+hh": "households",
        "#indicator+trust": "trust_police",
    },
)


def _check_wide(result) -> None:
    assert summary(result) == [
        (3, "W1", "unemployment", "2024", 12.5),
        (3, "W1", "households", "2024", 1200.0),
        (3, "W1", "trust_police", "2024", 40.0),
        (4, "W2", "households", "2024", 900.0),
        (5, "W3", "unemployment", "2024", 7.5),
        (5, "W3", "households", "2024", 1234.0),
    ]
    assert result.errors == [
        RowError(
            6,
            "C (Unemployment (%))",
            "x",
            "not a number: write a number such as 12, 12.5, 1,234 or 12%, or n/a if not available",
        ),
        RowError(
            8,
            "C (Unemployment (%))",
            "13",
            "duplicate of row 3: both rows give area 'W1', indicator 'unemployment', period '2024'; "
            "keep one of them",
        ),
    ]
    assert result.skipped == 5  # W2 blank unemployment and n/a trust, W3 "-" trust, W1 (row 8) two blanks
    assert result.notes == [
        "2 value(s) marked as not available ('-', 'n/a') were skipped; the first is in row 4, "
        "column E (Trust in police)",
        "3 blank cell(s) were skipped",
    ]


def test_wide_format_xlsx():
    data = xlsx_bytes(WIDE_ROWS)
    _check_wide(read(data, "wards.xlsx", WIDE_MAP))


def test_wide_format_csv_with_the_same_rows():
    def cell(v):
        if v is None:
            return ""
        s = str(v)
        return f'"{s}"' if "," in s else s

    text = "".join(",".join(cell(v) for v in row) + "\n" for row in WIDE_ROWS)
    _check_wide(read(text.encode(), "wards.csv", WIDE_MAP))


def test_wide_format_needs_wide_columns():
    with pytest.raises(TabularError, match="wide format needs wide_indicators"):
        records_wide(csv_table("#adm2,#date\nA,2024\n"), ColumnMap(area="#adm2", period="#date"))


# --------------------------------------------------------------------------------------------------
# Files: XLSX cells and sheets, encodings, delimiters


def test_xlsx_cells_numbers_dates_and_named_sheets():
    rows = [
        ["#adm2+code", "#indicator", "#date", "#value"],
        [1001, "x", dt.datetime(2024, 3, 15), 2.5],
        [1002, "x", dt.date(2024, 3, 1), 3],
        [1003, "x", dt.datetime(2024, 3, 15, 10, 30), True],
    ]
    data = xlsx_bytes([["cover sheet"]], title="About", extra={"Data": rows})
    t = read_table(data, "book.xlsx", sheet="data")  # names match case-insensitively
    assert t.sheet == "Data" and t.sheet_names == ("About", "Data")
    assert t.rows[1] == [1001, "x", "2024-03-15", 2.5]
    assert t.rows[2] == [1002, "x", "2024-03-01", 3]
    assert t.rows[3] == [1003, "x", "2024-03-15T10:30:00", "TRUE"]
    cmap = ColumnMap(area="#adm2", indicator="#indicator", period="#date", value="#value")
    result = records_long(t, cmap)
    assert summary(result) == [(2, "1001", "x", "2024-03-15", 2.5), (3, "1002", "x", "2024-03-01", 3.0)]
    assert [(e.row, e.column) for e in result.errors] == [(4, "C (#date)"), (4, "D (#value)")]
    assert result.errors[0].message.startswith("'2024-03-15T10:30:00' is not a period")
    # The first sheet by default; a missing sheet names those there are.
    assert read_table(data, "book.xlsx").sheet == "About"
    with pytest.raises(TabularError, match=r"no sheet named 'Summary'; the workbook has: About, Data"):
        read_table(data, "book.xlsx", sheet="Summary")


def test_xlsx_recognised_by_content_and_bad_files_rejected():
    data = xlsx_bytes([["#adm2", "#value"], ["A", 1]])
    assert read_table(data, "upload.bin").rows == [["#adm2", "#value"], ["A", 1]]
    with pytest.raises(TabularError, match="old Excel .xls workbook"):
        read_table(b"\xd0\xcf\x11\xe0rest", "old.xls")
    with pytest.raises(TabularError, match="cannot read it as an Excel workbook"):
        read_table(b"PK\x03\x04garbage", "broken.xlsx")
    with pytest.raises(TabularError, match="the file is empty"):
        read_table(b"", "empty.csv")


def test_csv_bom_semicolon_and_decimal_comma():
    text = (
        "\ufeffarea;indicator;period;value\n#adm2;#indicator;#date;#value\nA;x;2024;1.234,5\nB;x;2024;7,25\n"
    )
    t = read_table(text.encode("utf-8"), "eu.csv")
    assert (t.encoding, t.delimiter) == ("utf-8-sig", ";")
    assert t.rows[0][0] == "area"  # no BOM left in the first cell
    result = records_long(t, ColumnMap(area="#adm2", indicator="#indicator", period="#date", value="#value"))
    assert [r.value for r in result.records] == [1234.5, 7.25]


def test_csv_tab_delimiter_and_excel_sep_line():
    t = csv_table("#adm2\t#indicator\t#date\t#value\nA\tx\t2024\t1,234\n")
    assert t.delimiter == "\t"
    assert (
        records_long(t, ColumnMap(area="#adm2", indicator="#indicator", period="#date", value="#value"))
        .records[0]
        .value
        == 1234.0
    )
    # Excel's "sep=;" line is hidden by Excel, so the rows the user sees start below it.
    t = csv_table("sep=;\n#adm2;#indicator;#date;#value\nA;x;2024;1,5\n")
    assert t.delimiter == ";" and t.rows[0] == ["#adm2", "#indicator", "#date", "#value"]
    result = records_long(t, ColumnMap(area="#adm2", indicator="#indicator", period="#date", value="#value"))
    assert summary(result) == [(2, "A", "x", "2024", 1.5)]


def test_csv_windows_1252_fallback_and_utf16():
    text = "#adm2,#indicator,#date,#value\nSaïda,x,2024,1\n"
    t = read_table(text.encode("cp1252"), "cities.csv")
    assert t.encoding == "cp1252"
    assert t.rows[1][0] == "Saïda"
    assert t.notes == [
        "the file is not valid UTF-8 (first in line 2); it was read as Windows-1252: check accented "
        "letters, or save the file as CSV UTF-8"
    ]
    result = records_long(t, ColumnMap(area="#adm2", indicator="#indicator", period="#date", value="#value"))
    assert result.records[0].area == "Saïda" and result.notes == t.notes
    t = read_table(text.replace(",", "\t").encode("utf-16"), "unicode.txt")
    assert (t.encoding, t.delimiter) == ("utf-16", "\t") and t.rows[1][0] == "Saïda"


def test_table_from_rows_in_memory_and_quoted_newlines_count_as_one_row():
    t = Table([["#adm2", "#indicator", "#date", "#value"], ["A", "x", "2024", "1"]])
    assert (
        records_long(t, ColumnMap(area="#adm2", indicator="#indicator", period="#date", value="#value"))
        .records[0]
        .row
        == 2
    )
    t = csv_table('#adm2,#indicator,#date,#value\n"Old\nTown",x,2024,1\nB,x,2024,bad\n')
    result = records_long(t, ColumnMap(area="#adm2", indicator="#indicator", period="#date", value="#value"))
    assert result.records[0].area == "Old\nTown"
    assert result.errors[0].row == 3


# --------------------------------------------------------------------------------------------------
# Numbers and periods


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("12", ".", 12.0),
        (" 100", ".", 100.0),
        ("12.5", ".", 12.5),
        ("12,5", ".", 12.5),
        ("0,125", ".", 0.125),
        ("1,234", ".", 1234.0),
        ("1,234,567", ".", 1234567.0),
        ("1,234.5", ".", 1234.5),
        ("1.234,5", ".", 1234.5),
        ("1.234", ".", 1.234),
        ("1.234.567", ".", 1234567.0),
        ("1 234,5", ".", 1234.5),
        ("1\u00a0234\u00a0567", ".", 1234567.0),
        ("12%", ".", 12.0),
        ("12,5 %", ".", 12.5),
        ("-3", ".", -3.0),
        ("\u22123,5", ".", -3.5),
        ("1e3", ".", 1000.0),
        ("1,234", ",", 1.234),
        ("1.234", ",", 1234.0),
        ("1.234,5", ",", 1234.5),
        ("1.5", ",", 1.5),
        ("7", ",", 7.0),
        (3, ".", 3.0),
        (2.5, ",", 2.5),
    ],
)
def test_parse_number(text, decimal, expected):
    assert parse_number(text, decimal) == expected


@pytest.mark.parametrize("text", ["", "  ", None])
def test_parse_number_blank(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(
    "text", ["n/a", "N/A", "-", "–", "—", "..", "…", "#N/A", "nan", "NaN", "s/d", "n.a."]
)
def test_parse_number_not_available(text):
    assert parse_number(text) is NOT_AVAILABLE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lots", "not a number"),
        ("1,23,456", "',' occurs 2 times but does not group thousands (1,234,567)"),
        ("1.2.3", "'.' occurs 2 times but does not group thousands (1.234.567)"),
        ("1,2.3,4", "a number has one decimal separator"),
        ("12,34.5", "',' must group thousands (1,234.5)"),
        ("12 5", "spaces inside a number must group thousands (1 234 567)"),
        ("inf", "not a number"),
        ("1_000", "not a number"),
        ("#DIV/0!", "the cell holds a spreadsheet error, not a number"),
        ("USD 5", "not a number"),
        (True, "a TRUE/FALSE cell is not a number"),
    ],
)
def test_parse_number_invalid(text, message):
    with pytest.raises(ValueError) as exc:
        parse_number(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024", Period("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31))),
        (2024, Period("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31))),
        (2024.0, Period("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31))),
        ("2024-Q3", Period("2024-Q3", dt.date(2024, 7, 1), dt.date(2024, 9, 30))),
        ("2024Q4", Period("2024-Q4", dt.date(2024, 10, 1), dt.date(2024, 12, 31))),
        ("2024 q1", Period("2024-Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31))),
        ("2024-03", Period("2024-03", dt.date(2024, 3, 1), dt.date(2024, 3, 31))),
        ("2024-2", Period("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
        ("2024-12", Period("2024-12", dt.date(2024, 12, 1), dt.date(2024, 12, 31))),
        ("2024-03-15", Period("2024-03-15", dt.date(2024, 3, 15), dt.date(2024, 3, 15))),
        ("2024-03-15T00:00:00", Period("2024-03-15", dt.date(2024, 3, 15), dt.date(2024, 3, 15))),
        ("2024-01-01/2024-06-30", Period("2024-01-01/2024-06-30", dt.date(2024, 1, 1), dt.date(2024, 6, 30))),
        ("2024-01 / 2024-Q2", Period("2024-01/2024-Q2", dt.date(2024, 1, 1), dt.date(2024, 6, 30))),
        (" 2023/2024 ", Period("2023/2024", dt.date(2023, 1, 1), dt.date(2024, 12, 31))),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-13", "'2024-13': there is no month 13"),
        ("2024-02-30", "'2024-02-30' is not a valid date (day is out of range for month)"),
        (
            "2024-Q5",
            "'2024-Q5' is not a period: use a year (2024), quarter (2024-Q3), month (2024-03), "
            "date (2024-03-15) or range (2024-01-01/2024-06-30)",
        ),
        ("2024-06-30/2024-01-01", "'2024-06-30/2024-01-01': the range ends before it starts"),
        ("2024/2025/2026", "'2024/2025/2026' is not a period: a range has one '/'"),
        ("", "the period is empty"),
        (None, "the period is empty"),
        (
            20.5,
            "20.5 is not a period: use a year (2024), quarter (2024-Q3), month (2024-03), "
            "date (2024-03-15) or range (2024-01-01/2024-06-30)",
        ),
    ],
)
def test_parse_period_invalid(text, message):
    with pytest.raises(ValueError) as exc:
        parse_period(text)
    assert str(exc.value) == message


# --------------------------------------------------------------------------------------------------
# HXL patterns, layout helpers, the template


def test_tag_patterns_match_like_libhxl():
    col = Column(0, "adm2", ("code", "v_pcode"))
    assert TagPattern.parse("#adm2+code").matches(col)
    assert TagPattern.parse("#ADM2 +Code").matches(col)
    assert TagPattern.parse("#adm2").matches(col)
    assert not TagPattern.parse("#adm2+name").matches(col)
    assert not TagPattern.parse("#adm2-v_pcode").matches(col)
    assert not TagPattern.parse("#adm1+code").matches(col)
    assert str(TagPattern.parse("#affected+f+children-m")) == "#affected+children+f-m"
    with pytest.raises(ValueError, match="not an HXL tag pattern"):
        TagPattern.parse("#adm 2")


def test_hashtag_row_needs_half_of_the_non_empty_cells():
    assert find_hashtag_row([["a", "b", "c"], ["#adm1", "#org", "junk", ""], ["x", "y", "z"]]) == 2
    assert find_hashtag_row([["a", "b", "c"], ["#adm1", "junk", "junk"]]) is None
    assert find_hashtag_row([["#affected+f+children", "#date+year", 2024]]) == 1
    # A row of hashtags further down than 25 rows is not looked for.
    assert find_hashtag_row([["x"]] * 25 + [["#adm1"]]) is None
    # Plain lower-case headers are not mistaken for hashtags that lost their "#".
    with pytest.raises(TabularError) as exc:
        layout(csv_table("area,indicator,period,value\nA,x,2024,1\n"))
    assert str(exc.value) == UNTAGGED_MESSAGE


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_template_round_trip():
    cmap = ColumnMap(
        area="Ward code",
        indicator="#indicator+code",
        period="Year",
        value="Value",
        sex="#sex",
        wide_indicators={},
        decimal=",",
        sheet="Data",
    )
    d = cmap.to_dict()
    assert d == {
        "version": 1,
        "area": "Ward code",
        "indicator": "#indicator+code",
        "period": "Year",
        "value": "Value",
        "source": None,
        "note": None,
        "sex": "#sex",
        "age": None,
        "group": None,
        "wide_indicators": {},
        "default_period": None,
        "decimal": ",",
        "sheet": "Data",
    }
    assert ColumnMap.from_dict(json.loads(json.dumps(d))) == cmap
    wide = ColumnMap(
        area="#adm2", wide_indicators={"Hombres": "men", "#affected+f": "women"}, default_period="2024"
    )
    restored = ColumnMap.from_dict(wide.to_dict())
    assert restored == wide and restored.wide_indicators is not wide.wide_indicators
    assert ColumnMap.from_dict({"area": "#adm2"}) == ColumnMap(area="#adm2")
    with pytest.raises(ValueError, match=r"unknown field\(s\) colour"):
        ColumnMap.from_dict({"area": "#adm2", "colour": "red"})
    with pytest.raises(ValueError, match="'area' is required"):
        ColumnMap.from_dict({"indicator": "#indicator"})
    with pytest.raises(ValueError, match="unknown version 2"):
        ColumnMap.from_dict({"version": 2, "area": "#adm2"})
    with pytest.raises(ValueError, match="not an HXL tag pattern"):
        ColumnMap(area="#adm2 code")
    with pytest.raises(ValueError, match="decimal must be"):
        ColumnMap(area="#adm2", decimal=";")
