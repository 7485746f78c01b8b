"""3W/4W sheets (interop.threew): the HXL reference file, row errors in CSV and XLSX, round trips."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from tamasuk.interop import threew
from tamasuk.interop.decoding import TabularError, read_table
from tamasuk.interop.hxl import find_hashtag_row
from tamasuk.interop.tabular import RowError
from tamasuk.interop.threew import ActivityRecord, read, write, write_xlsx

HXL = Path(__file__).resolve().parents[2] / "shared" / "reference" / "hxl"
needs_hxl = pytest.mark.skipif(not HXL.is_dir(), reason="HXL reference files not present")

HEADERS = [
    "Organisation",
    "Type",
    "Sector",
    "Ward",
    "Women",
    "Men",
    "Total",
    "Capacity",
    "Start",
    "End",
    "Status",
]
TAGS = [
    "#org",
    "#org+type",
    "#sector",
    "#adm2+code",
    "#reached+f",
    "#reached+m",
    "#reached+total",
    "#capacity",
    "#date+start",
    "#date+end",
    "#status",
]
ROWS = [
    [
        "Red Crescent",
        "civil society",
        "Health",
        "LB6101",
        "120",
        "80",
        "200",
        "500",
        "2024-01-01",
        "2024-06-30",
        "ongoing",
    ],
    ["Youth Club", "youth", "Education", "LB6102", "ten", "5", "", "", "2024-03", "2024-02", "planned"],
    ["", "faith", "Protection", "LB6103", "-3", "4.5", "1", "", "", "", ""],
    ["Clinic", "health", "Health", "", "10", "10", "15", "n/a", "2024-13-01", "", ""],
    ["", "", "", "", "", "", "", "", "", "", ""],
    [
        "Shelter",
        "civil society",
        "Protection",
        "LB6104",
        "1,200",
        "n/a",
        "",
        "#DIV/0!",
        "2024-Q1",
        "1 Feb 2023",
        "",
    ],
]
EXPECTED_ERRORS = [
    RowError(
        4, "E (Women)", "ten", "not a number: write a whole number such as 120, or n/a if it is not known"
    ),
    RowError(4, "J (End)", "2024-02", "the activity ends (2024-02-29) before it starts (2024-03-01)"),
    RowError(
        5,
        "A (Organisation)",
        "",
        "the organisation is empty: every activity needs an organisation, a sector and an area",
    ),
    RowError(5, "E (Women)", "-3", "a count cannot be negative"),
    RowError(5, "F (Men)", "4.5", "a count of people or places must be a whole number"),
    RowError(
        6, "D (Ward)", "", "the area is empty: every activity needs an organisation, a sector and an area"
    ),
    RowError(6, "I (Start)", "2024-13-01", "'2024-13-01' is not a valid date (month must be in 1..12)"),
    RowError(6, "G (Total)", "15", "the total 15 is less than women and men (10 + 10 = 20)"),
    RowError(
        8,
        "H (Capacity)",
        "#DIV/0!",
        "the cell holds a spreadsheet error, not a number: write a whole number "
        "such as 120, or n/a if it is not known",
    ),
    RowError(8, "J (End)", "1 Feb 2023", "the activity ends (2023-02-01) before it starts (2024-01-01)"),
]
GOOD_ROW = ActivityRecord(
    row=3,
    organisation="Red Crescent",
    organisation_type="civil society",
    sector="Health",
    area="LB6101",
    reached_f=120,
    reached_m=80,
    reached_total=200,
    capacity=500,
    start=dt.date(2024, 1, 1),
    end=dt.date(2024, 6, 30),
    status="ongoing",
)


def csv_bytes(rows: list[list[str]]) -> bytes:
    import csv

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def records_sample() -> list[ActivityRecord]:
    return [
        GOOD_ROW,
        ActivityRecord(
            row=0,
            organisation="Saida Youth Forum",
            organisation_type="youth",
            sector="Protection",
            area="LB6102",
            reached_f=15,
            reached_m=None,
            reached_total=40,
            capacity=None,
            start=dt.date(2024, 2, 1),
            end=None,
            status="planned",
        ),
        ActivityRecord(
            row=0, organisation='=HYPERLINK("http://evil")', sector="-Health", area="LB6103", status="@done"
        ),
        ActivityRecord(
            row=0,
            organisation="Université Saint-Joseph",
            organisation_type="school",
            sector="Éducation",
            area="LB6101",
            reached_f=0,
            reached_m=0,
            reached_total=0,
            capacity=30,
            start=dt.date(2024, 9, 1),
            end=dt.date(2025, 6, 30),
            status="ongoing",
            subsector="Formation",
            targeted_f=20,
            targeted_m=10,
            targeted_total=30,
            reported=dt.date(2024, 10, 1),
        ),
    ]


def without_rows(records: list[ActivityRecord]) -> list[ActivityRecord]:
    return [dataclasses.replace(r, row=0) for r in records]


# --------------------------------------------------------------------------------------------------
# The reference file


@needs_hxl
@pytest.mark.parametrize("name", ["input-valid.csv", "input-valid.xlsx"])
def test_reference_3w_reads_with_a_column_map(name):
    data = (HXL / name).read_bytes()
    # Its areas are departments (#adm1), not the default #adm2: without a map the error says so.
    with pytest.raises(TabularError, match=r"no column for area .*the hashtags are: #sector\+es, .*#adm1"):
        read(data, name)

    result = read(data, name, {"area": "#adm1"})
    assert result.errors == []
    assert result.columns["organisation"] == "D (Organización)"
    assert result.columns["area"] == "H (Departamento/Provincia/Estado)"
    # The file tags "Hombres" (men) #targeted+f and "Mujeres" (women) #targeted+m: the hashtags are what
    # count, as in HXL, so column E is read as women.
    assert result.columns["targeted_f"] == "E (Hombres)" and result.columns["targeted_m"] == "F (Mujeres)"
    got = [
        (r.row, r.organisation, r.sector, r.subsector, r.area, r.targeted_f, r.targeted_m, r.reported)
        for r in result.records
    ]
    assert got == [
        (4, "ACNUR", "WASH", "Higiene", "Los Santos", 100, 100, dt.date(2015, 3, 1)),
        (5, "OMS", "Salud", "Vacunación", "Cauca", None, None, None),
        (6, "UNICEF", "Educación", "Formación de enseñadores", "Chocó", 250, 300, None),
        (7, "OMS", "WASH", "Urbano", "Amazonas", 80, 95, None),
    ]


@needs_hxl
def test_reference_3w_by_header_names():
    data = (HXL / "input-valid.csv").read_bytes()
    cmap = {
        "organisation": "Organización",
        "sector": "Sector/Cluster",
        "area": "Departamento/Provincia/Estado",
        "targeted_f": "Mujeres",
        "targeted_m": "Hombres",
    }
    result = read(data, "input-valid.csv", cmap)
    assert result.errors == []
    assert [(r.organisation, r.area, r.targeted_f, r.targeted_m) for r in result.records][2] == (
        "UNICEF",
        "Chocó",
        300,
        250,
    )


@needs_hxl
def test_reference_untagged_file_needs_header_names():
    data = (HXL / "input-untagged.csv").read_bytes()
    with pytest.raises(TabularError, match="no HXL hashtag row found"):
        read(data, "input-untagged.csv")


# --------------------------------------------------------------------------------------------------
# Row errors


def test_csv_errors_name_row_column_and_value():
    result = read(csv_bytes([HEADERS, TAGS, *ROWS]), "3w.csv")
    assert result.errors == EXPECTED_ERRORS
    assert result.records == [GOOD_ROW]
    assert result.error_count == len(EXPECTED_ERRORS) and not result.ok
    capped = read(csv_bytes([HEADERS, TAGS, *ROWS]), "3w.csv", max_errors=3)
    assert capped.errors == EXPECTED_ERRORS[:3] and capped.error_count == 10
    assert capped.notes == ["10 errors in all; only the first 3 are listed"]
    assert str(result.errors[0]) == (
        "row 4, column E (Women): not a number: write a whole number such as 120, or n/a if it is not known "
        "(value: 'ten')"
    )


def test_xlsx_errors_name_row_column_and_value():
    # The same sheet as typed cells: numbers as numbers, dates as dates.
    typed = [list(r) for r in ROWS]
    typed[0][4:8] = [120, 80, 200, 500]
    typed[0][8:10] = [dt.datetime(2024, 1, 1), dt.datetime(2024, 6, 30)]
    typed[2][4:7] = [-3, 4.5, 1]
    typed[3][4:7] = [10, 10, 15]
    typed[4] = [None] * 11
    typed[5][4] = 1200
    result = read(xlsx_bytes([HEADERS, TAGS, *typed]), "3w.xlsx")
    assert result.errors == EXPECTED_ERRORS
    assert result.records == [GOOD_ROW]


def test_semicolon_csv_uses_decimal_comma():
    text = "Org;Sector;Ward;Capacity\n#org;#sector;#adm2+code;#capacity\nA;Health;LB61;1,5\nB;Health;LB62;1.500\n"
    result = read(text.encode(), "3w.csv")
    assert result.errors == [
        RowError(3, "D (Capacity)", "1,5", "a count of people or places must be a whole number")
    ]
    assert [(r.organisation, r.capacity) for r in result.records] == [("B", 1500)]
    assert result.notes == ["semicolon-separated file: ',' read as the decimal separator (1,5 is 1.5)"]


def test_ambiguous_or_missing_columns_are_file_errors():
    four_w = csv_bytes(
        [
            ["Implementing", "Funding", "Sector", "Ward"],
            ["#org+impl", "#org+funder", "#sector", "#adm2+code"],
            ["A", "B", "Health", "LB61"],
        ]
    )
    with pytest.raises(
        TabularError,
        match=r"organisation '#org-type-code-id-acronym' matches 2 columns \(A "
        r"#org\+impl, B #org\+funder\)",
    ):
        read(four_w, "4w.csv")
    result = read(four_w, "4w.csv", {"organisation": "#org+impl"})
    assert [(r.organisation, r.sector, r.area) for r in result.records] == [("A", "Health", "LB61")]
    with pytest.raises(TabularError, match="no column for capacity"):
        read(four_w, "4w.csv", {"organisation": "#org+impl", "capacity": "#capacity"})
    with pytest.raises(ValueError, match="unknown role 'people'"):
        read(four_w, "4w.csv", {"people": "#reached"})
    with pytest.raises(ValueError, match="area is required"):
        read(four_w, "4w.csv", {"area": None})


def test_area_by_name_and_an_exact_tag_wins():
    data = csv_bytes(
        [
            ["Org", "Org type", "Sector", "Ward"],
            ["#org", "#org+type", "#sector", "#adm2+name"],
            ["A", "school", "Education", "Old City"],
        ]
    )
    [rec] = read(data, "3w.csv").records
    assert (rec.organisation, rec.organisation_type, rec.area) == ("A", "school", "Old City")


# --------------------------------------------------------------------------------------------------
# Writing


def test_csv_round_trip():
    records = records_sample()
    data = write(records)
    assert data.startswith(b"\xef\xbb\xbf")
    table = read_table(data, "out.csv")
    assert find_hashtag_row(table) == 2
    head = table.head(3)
    assert head[0][:3] == ["Organisation", "Organisation type", "Sector"]
    assert head[1][:5] == ["#org", "#org+type", "#sector", "#subsector", "#adm2+code"]
    # A cell a spreadsheet would run as a formula is guarded with a quote.
    assert "'=HYPERLINK" in data.decode("utf-8-sig") and "'-Health" in data.decode("utf-8-sig")

    result = read(data, "out.csv")
    assert result.errors == []
    assert [r.row for r in result.records] == [3, 4, 5, 6]
    assert without_rows(result.records) == without_rows(records)


def test_xlsx_round_trip():
    records = records_sample()
    data = write_xlsx(records)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.title == "3W"
    assert ws["A5"].value == '=HYPERLINK("http://evil")' and ws["A5"].data_type == "s"  # text, not a formula
    result = read(data, "out.xlsx")
    assert result.errors == []
    assert without_rows(result.records) == without_rows(records)


def test_write_with_area_names_and_only_the_columns_used():
    rec = ActivityRecord(row=0, organisation="A", sector="Health", area="Old City")
    text = write([rec], area_tag="#adm2+name").decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[1] == (
        "#org,#org+type,#sector,#adm2+name,#reached+f,#reached+m,#reached+total,#capacity,"
        "#date+start,#date+end,#status"
    )
    assert lines[2] == "A,,Health,Old City,,,,,,,"
    assert without_rows(read(text.encode(), "x.csv").records) == [rec]
    with pytest.raises(ValueError, match="not an HXL tag pattern"):
        write([rec], area_tag="adm2")
    assert threew.ROLES[0] == "organisation"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_small_cell_markers_are_written_as_text_with_a_note_and_read_back_as_not_given(fmt):
    """A published export shows a hidden count as "<5" or "x" (and says why in a note); importing it back
    leaves the recorded numbers as they are, so the cells read as not given, never as an error."""
    rec = ActivityRecord(row=0, organisation="A", sector="Health", area="W1", reached_f="<5", reached_m="x",
                         reached_total=12, note="“<5” is fewer than 5")
    data = write([rec]) if fmt == "csv" else write_xlsx([rec])
    if fmt == "csv":
        lines = data.decode("utf-8-sig").splitlines()
        assert lines[1].endswith("#status,#meta+note") and lines[2].startswith("A,,Health,W1,<5,x,12,")
    else:
        ws = openpyxl.load_workbook(io.BytesIO(data)).active
        assert [c.value for c in ws[3]][4:7] == ["<5", "x", 12]
    result = read(data, f"x.{fmt}")
    assert result.errors == []
    (back,) = result.records
    assert (back.reached_f, back.reached_m, back.reached_total, back.note) == (None, None, 12, rec.note)
    # Anything else that is not a number is still an error.
    bad = read(csv_bytes([["#org", "#sector", "#adm2+code", "#reached+f"], ["A", "Health", "W1", "<five"]]), "b.csv")
    assert [e.value for e in bad.errors] == ["<five"]
