"""Hostile files (issue 17, item 2): a zip bomb posing as a workbook, a file thousands of columns wide and a damaged
workbook are refused at once with a clear reason, by every tabular import, before anything is unpacked or kept."""

from __future__ import annotations

import io
import time
import zipfile

import openpyxl
import pytest

from tamasuk.imports import adapters, services
from tamasuk.imports.adapters import ImportFileError
from tamasuk.interop import decoding


def _bomb() -> bytes:
    """A real workbook whose one sheet holds 250 MB of spaces between its rows: about 250 KB packed, and a
    reader has to wade through all of it."""
    wb = openpyxl.Workbook()
    wb.active.append(["Ward", "Indicator", "Year", "Value"])
    buffer = io.BytesIO()
    wb.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * 250_000_000)
            dst.writestr(item, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _bomb()


def _refusal(user, city, kind: str, name: str, data: bytes) -> str:
    """Why the import refuses the file: at the upload (observations look at the file then) or at the first step
    the worker runs (`read`), as the job's page would show it."""
    with pytest.raises(ImportFileError) as refused:
        job = services.upload(actor=user, city=city, kind=kind, file_name=name, data=data)
        adapters.get(kind).read(job, data, None)
    return str(refused.value)


@pytest.mark.parametrize("kind", ["observations", "reports", "threew"])
def test_a_zip_bomb_is_refused_before_it_is_unpacked(db, city, users, bomb, kind):
    assert len(bomb) < 2_000_000
    started = time.perf_counter()
    assert "unpacks to 250 MB; the limit is 200 MB" in _refusal(users["coordinator"], city, kind, "data.xlsx", bomb)
    # Refused from the zip's directory: nothing near the 43 s it took to open, or the memory it took.
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("kind", ["observations", "reports", "threew"])
def test_a_file_too_wide_is_refused_naming_the_row_and_the_limit(db, city, users, kind):
    n = decoding.MAX_COLUMNS + 1
    data = (",".join(f"c{i}" for i in range(n)) + "\n" + ",".join(f"#indicator+v{i}" for i in range(n)) + "\n").encode()
    message = _refusal(users["coordinator"], city, kind, "wide.csv", data)
    assert f"row 1 has {n:,} columns; the limit is {decoding.MAX_COLUMNS:,}" in message


def test_a_damaged_workbook_is_explained_without_a_python_error(db, city, users):
    with pytest.raises(ImportFileError) as refused:
        services.upload(actor=users["coordinator"], city=city, kind="observations", file_name="x.xlsx",
                        data=b"PK\x03\x04 this is not really a workbook")
    message = str(refused.value)
    assert "cannot read it as an Excel workbook" in message and "save it again" in message
    assert "BadZipFile" not in message and "Error" not in message


def test_a_quote_left_open_is_an_error_at_its_row_not_rows_merged(db, city, users):
    data = b'date,category,area,channel,text\n2025-01-02,tension,KE00100101,sms,"fine\n2025-01-03,tension,KE00100101,sms,never closed\n'
    message = _refusal(users["coordinator"], city, "reports", "reports.csv", data)
    assert "row 2 opens a quote" in message and "never closed" in message


def test_two_columns_of_the_same_name_are_refused_not_one_silently_kept(db, city, users):
    data = b"date,category,area,channel,text,date\n2025-01-02,tension,KE00100101,sms,x,2024-12-31\n"
    assert "names date more than once" in _refusal(users["coordinator"], city, "reports", "reports.csv", data)
