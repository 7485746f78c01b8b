"""Journey 2, step 1 through the pages: upload, map, dry run, fix, confirm — with the real task worker.

The jobs run in `tamasuk db_worker --batch` (django-tasks-db's worker, in its own process: it runs every
queued task and exits). A worker in another process only sees committed rows, so these tests cannot live in
pytest-django's rolled-back test transaction: they run on a fresh, migrated database with the demo city
(conftest's FreshDatabase), and Django's test client in this process is pointed at that same database for
the module. Nothing is mocked; the worker, the queue and the database are the ones `tamasuk serve` uses.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import REFERENCE, FreshDatabase, client_of, job_of, refreshed

CITY = "mombasa"
WARDS = ["KE00100101", "KE00100102", "KE00100103", "KE00100104"]


@pytest.fixture
def coordinator(live):
    return client_of("coordinator")


def xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Wards"
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = [["Ward code", "Indicator", "Year", "Value"], ["#adm2+code", "#indicator+code", "#date+year", "#indicator+value"]]


def ward_rows(year: int, values: list, areas=WARDS, indicator="youth-unemployment") -> list[list]:
    return [[a, indicator, year, v] for a, v in zip(areas, values, strict=True)]


def upload(client, name: str, data: bytes, **extra):
    return client.post(f"/c/{CITY}/imports/observations/", {"file": SimpleUploadedFile(name, data), **extra})


def mapping_post(client, job, **fields):
    """Submit the mapping form as the page pre-filled it, with some fields changed."""
    page = client.get(f"/c/{CITY}/imports/{job.pk}/")
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(fields)
    return client.post(f"/c/{CITY}/imports/{job.pk}/", data)


def observation_count(period: str) -> int:
    from tamasuk.mapping.models import Observation

    return Observation.objects.filter(city__slug=CITY, period=period).count()


def import_events() -> int:
    from tamasuk.audit.models import AuditEvent

    return AuditEvent.objects.filter(action="observation.import").count()


def start_hxl_dry_run(client, job):
    """An HXL file: the page shows what the hashtags name; one click starts the dry run."""
    page = client.get(f"/c/{CITY}/imports/{job.pk}/")
    html = page.content.decode()
    assert "HXL hashtags found" in html and "#adm2+code" in html
    response = mapping_post(client, job)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert refreshed(job).status == "queued"


def test_errors_are_listed_nothing_written_then_fixed_file_imports_once(live, coordinator):
    before_events = import_events()
    bad = xlsx(HEADER + ward_rows(2021, [31.5, 40, "abc", 12]) + [["KE99999999", "youth-unemployment", 2021, 20]])
    job = job_of(upload(coordinator, "wards-2021.xlsx", bad))
    start_hxl_dry_run(coordinator, job)
    # While queued, the page shows the progress block that htmx polls.
    page = coordinator.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    assert f'hx-get="/c/{CITY}/imports/{job.pk}/progress/"' in page and 'hx-trigger="every 1s"' in page

    live.run_worker()
    job = refreshed(job)
    assert job.status == "dry-run-ready" and job.error_count == 2
    page = coordinator.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    assert "Confirm import" not in page
    rows = {(e["row"], e["column"], e["value"]) for e in job.errors}
    # Spreadsheet rows as Excel shows them (two header rows), columns with their letter and header.
    assert (5, "D (Value)", "abc") in rows
    assert (7, "A (Ward code)", "KE99999999") in rows
    for row, column, value in rows:
        assert f"<td>{row}</td><td>{column}</td>" in page and value in page
    assert observation_count("2021") == 0 and import_events() == before_events

    # The progress fragment of a finished job tells htmx to reload the page (the summary replaces the bar).
    fragment = coordinator.get(f"/c/{CITY}/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true"

    good = xlsx(HEADER + ward_rows(2021, [31.5, 40, 22.25, 12]))
    job = job_of(upload(coordinator, "wards-2021.xlsx", good))
    start_hxl_dry_run(coordinator, job)
    live.run_worker()
    job = refreshed(job)
    assert (job.status, job.summary["new"], job.summary["changed"], job.error_count) == ("dry-run-ready", 4, 0, 0)
    assert observation_count("2021") == 0, "a dry run writes nothing"
    page = coordinator.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    assert "Confirm import" in page

    response = coordinator.post(f"/c/{CITY}/imports/{job.pk}/confirm/")
    assert response.status_code == 302 and refreshed(job).status == "queued" and not job.dry_run
    coordinator.post(f"/c/{CITY}/imports/{job.pk}/confirm/")  # a second click queues nothing more
    live.run_worker()
    job = refreshed(job)
    assert job.status == "done" and job.summary["new"] == 4
    assert observation_count("2021") == 4
    assert import_events() == before_events + 1
    from tamasuk.mapping.models import Observation

    values = dict(Observation.objects.filter(period="2021", indicator__code="youth-unemployment")
                  .values_list("area__code", "value"))
    assert values == dict(zip(WARDS, [31.5, 40, 22.25, 12], strict=True))
    page = coordinator.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    assert "4 values are now in the city" in page

    # The same file again: nothing new, nothing changed, nothing to confirm.
    again = job_of(upload(coordinator, "wards-2021.xlsx", good))
    start_hxl_dry_run(coordinator, again)
    live.run_worker()
    again = refreshed(again)
    assert (again.summary["new"], again.summary["changed"], again.summary["unchanged"]) == (0, 0, 4)
    page = coordinator.get(f"/c/{CITY}/imports/{again.pk}/").content.decode()
    assert "Confirm import" not in page and "Nothing to import" in page
    assert import_events() == before_events + 1


def test_untagged_reference_file_is_rejected_clearly_without_a_mapping(live, coordinator):
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.count()
    data = (REFERENCE / "hxl" / "input-untagged.csv").read_bytes()
    job = job_of(upload(coordinator, "input-untagged.csv", data))
    assert job.status == "uploaded" and DBTaskResult.objects.count() == queued, "no dry run without a mapping"
    page = coordinator.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    assert "No HXL hashtags in this file" in page and "has no row of HXL hashtags" in page
    # The header names offered for mapping are the file's (its second row), not its group row.
    assert "Organización" in page and "Departamento/Provincia/Estado" in page
    response = mapping_post(coordinator, job)
    assert response.status_code == 200
    assert "Choose the column that names the area." in response.content.decode()
    assert refreshed(job).status == "uploaded" and DBTaskResult.objects.count() == queued


def test_a_mapping_saved_as_template_is_reused_for_the_next_file(live, coordinator):
    from tamasuk.audit.models import AuditEvent
    from tamasuk.mapping.models import ImportTemplate

    def csv(values):
        lines = ["Ward,Indicator code,Period,Value,Notes"]
        lines += [f"{a},food-insecurity,2020-Q3,{v},survey" for a, v in zip(WARDS, values, strict=True)]
        return ("\n".join(lines) + "\n").encode()

    job = job_of(upload(coordinator, "food.csv", csv([10, 11, 12, 13])))
    assert job.status == "uploaded"
    page = coordinator.get(f"/c/{CITY}/imports/{job.pk}/")
    form = page.context["form"]
    # Header names were recognised and pre-selected.
    assert {r: form[f"role_{r}"].value() for r in ("area", "indicator", "period", "value")} == {
        "area": "0", "indicator": "1", "period": "2", "value": "3"}
    response = mapping_post(coordinator, job, template_name="Ward food survey",
                               source_text="County food survey (test)")
    assert response.status_code == 302
    template = ImportTemplate.objects.get(city__slug=CITY, name="Ward food survey")
    assert template.column_map["area"] == "Ward" and template.format == "long"
    assert AuditEvent.objects.filter(action="import_template.create", object_id=str(template.pk)).count() == 1
    live.run_worker()
    assert refreshed(job).summary["new"] == 4

    # The next file of the same shape: choose the template, and the dry run starts at once.
    job2 = job_of(upload(coordinator, "food-2.csv", csv([10, 11, 12.5, 13]), template=template.pk))
    assert job2.status == "queued" and job2.options["template"] == template.pk
    live.run_worker()
    job2 = refreshed(job2)
    # The first file was only dry-run: everything is still new.
    assert (job2.status, job2.summary["new"], job2.error_count) == ("dry-run-ready", 4, 0)

    # A template that does not fit the file says why, and the mapping form is offered instead.
    other = b"Area,Year,Amount\nKE00100101,2020,3\n"
    job3 = job_of(upload(coordinator, "other.csv", other, template=template.pk))
    assert job3.status == "uploaded"
    page = coordinator.get(f"/c/{CITY}/imports/{job3.pk}/").content.decode()
    assert "does not fit this file" in page and "Ward" in page


def test_wide_format_one_column_per_indicator(live, coordinator):
    lines = ["Ward,Year,youth-unemployment,Households with insufficient food"]
    lines += [f"{a},2019,{20 + i},{30 + i}" for i, a in enumerate(WARDS)]
    lines += [f"{WARDS[0]},2019-Q5,1,2"]
    job = job_of(upload(coordinator, "wide.csv", ("\n".join(lines) + "\n").encode()))
    page = coordinator.get(f"/c/{CITY}/imports/{job.pk}/")
    form = page.context["form"]
    assert form["format"].value() == "wide"
    assert form["wide_youth-unemployment"].value() == "2" and form["wide_food-insecurity"].value() == "3"
    response = mapping_post(coordinator, job)
    assert response.status_code == 302
    live.run_worker()
    job = refreshed(job)
    assert job.summary["new"] == 8 and job.error_count == 1
    assert job.errors[0]["row"] == 6 and job.errors[0]["column"] == "B (Year)" and job.errors[0]["value"] == "2019-Q5"


def test_upload_limits_are_explained(live, coordinator, monkeypatch):
    from tamasuk.mapping.observation_import import ObservationsImport

    response = coordinator.post(f"/c/{CITY}/imports/observations/", {"file": SimpleUploadedFile("notes.docx", b"x")})
    assert response.status_code == 200 and "CSV file or an Excel workbook" in response.content.decode()
    monkeypatch.setattr(ObservationsImport, "max_bytes", 10)
    response = coordinator.post(f"/c/{CITY}/imports/observations/", {"file": SimpleUploadedFile("big.csv", b"a,b\n1,2\n3,4\n")})
    assert response.status_code == 200 and "the limit is" in response.content.decode()
    response = coordinator.post(f"/c/{CITY}/imports/observations/", {"file": SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0")})
    assert "CSV file or an Excel workbook" in response.content.decode()


def test_only_the_city_team_that_edits_data_sees_the_link(live):
    from django.contrib.auth import get_user_model
    from django.test import Client

    # Journey 2.1: the analyst imports data too (Action.IMPORT_DATA); members and auditors do not.
    for username, shown in [("coordinator", True), ("admin", True), ("analyst", True), ("member", False),
                            ("auditor", False)]:
        c = Client()
        c.force_login(get_user_model().objects.get(username=username))
        page = c.get(f"/c/{CITY}/").content.decode()
        assert (f'href="/c/{CITY}/imports/"' in page) is shown, username
        assert c.get(f"/c/{CITY}/imports/observations/").status_code == (200 if shown else 403)


def finest_wards(n=None):
    from django.db.models import Max

    from tamasuk.cities.models import Area

    areas = Area.objects.filter(city__slug=CITY)
    level = areas.aggregate(m=Max("level"))["m"]
    wards = list(areas.filter(level=level).order_by("code").values_list("code", "name"))
    return wards[:n] if n else wards


def test_the_analyst_imports_a_file_start_to_finish(live):
    """Journey 2.1 says coordinator or analyst: the analyst uploads, runs the dry run and confirms."""
    analyst = client_of("analyst")
    assert f'href="/c/{CITY}/imports/"' in analyst.get(f"/c/{CITY}/").content.decode()
    job = job_of(upload(analyst, "analyst.xlsx", xlsx(HEADER + ward_rows(2016, [30, 31, 32, 33]))))
    start_hxl_dry_run(analyst, job)
    live.run_worker()
    assert refreshed(job).may_confirm
    assert analyst.post(f"/c/{CITY}/imports/{job.pk}/confirm/").status_code == 302
    live.run_worker()
    assert refreshed(job).status == "done" and observation_count("2016") == 4


def test_values_the_unit_rules_out_are_errors_with_row_column_and_value(live, coordinator):
    """A share of 140 %, a negative rate, a fractional or negative count, a count above its denominator."""
    from tamasuk.cities.models import City
    from tamasuk.mapping import services
    from tamasuk.mapping.models import Indicator, Theme

    city = City.objects.get(slug=CITY)
    youth = Theme.objects.get(city=city, code="youth")
    if not Indicator.objects.filter(city=city, code="youth-population").exists():
        total = services.create_indicator(actor="test", city=city, code="youth-population", name="Young people",
                                          unit="people", direction="better", theme=youth)
        services.create_indicator(actor="test", city=city, code="youth-enrolled", name="Young people enrolled",
                                  unit="people", direction="better", theme=youth, denominator=total)
    w = WARDS
    lines = ["Ward code,Year,youth-unemployment,violent-crime,youth-population,youth-enrolled",
             f"{w[0]},2015,140,12,500,200",      # row 2: a share above 100
             f"{w[1]},2015,35,-4,500,2.5",       # row 3: a negative rate; a count that is not whole
             f"{w[2]},2015,35,10001,-1,0",       # row 4: a rate per 10,000 above 10,000; a negative count
             f"{w[3]},2015,100,0,300,301"]       # row 5: 301 enrolled of 300 young people
    job = job_of(upload(coordinator, "ranges.csv", ("\n".join(lines) + "\n").encode()))
    assert mapping_post(coordinator, job).status_code == 302
    live.run_worker()
    job = refreshed(job)
    got = {(e["row"], e["column"], e["value"]) for e in job.errors}
    assert got == {(2, "C (youth-unemployment)", "140"), (3, "D (violent-crime)", "-4"),
                   (3, "F (youth-enrolled)", "2.5"), (4, "D (violent-crime)", "10001"),
                   (4, "E (youth-population)", "-1"), (5, "F (youth-enrolled)", "301")}, job.errors
    messages = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert "between 0 and 100" in messages[(2, "C (youth-unemployment)")]
    assert "whole number" in messages[(3, "F (youth-enrolled)")]
    assert "Young people is 300" in messages[(5, "F (youth-enrolled)")]
    assert not job.may_confirm and observation_count("2015") == 0
    page = coordinator.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    assert "<td>2</td><td>C (youth-unemployment)</td>" in page and "Confirm import" not in page


def test_rows_are_counted_as_the_file_has_them_and_the_imported_values_are_linked(live, coordinator):
    """10 rows × 2 indicators: "10 rows (20 values)", never "20 of 20 rows"; then a link to those values."""
    wards = finest_wards(10)
    lines = ["Ward code,Year,youth-unemployment,food-insecurity"]
    lines += [f"{code},2014,{20 + i},{30 + i}" for i, (code, _name) in enumerate(wards)]
    job = job_of(upload(coordinator, "ten-rows.csv", ("\n".join(lines) + "\n").encode()))
    assert mapping_post(coordinator, job).status_code == 302
    live.run_worker()
    job = refreshed(job)
    assert (job.summary["rows"], job.summary["values"], job.summary["new"]) == (10, 20, 20)
    page = coordinator.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()
    assert "10 rows (20 values)" in page
    coordinator.post(f"/c/{CITY}/imports/{job.pk}/confirm/")
    live.run_worker()
    page = coordinator.get(f"/c/{CITY}/imports/{refreshed(job).pk}/").content.decode()
    assert "10 rows (20 values)" in page and "20 of 20 rows" not in page
    link = f'href="/c/{CITY}/import/{job.pk}/values/"'
    assert link in page and "See the imported values" in page
    values = coordinator.get(f"/c/{CITY}/import/{job.pk}/values/").content.decode()
    import re

    shown = set(re.findall(r'data-area="([^"]+)" data-indicator="([^"]+)" data-period="2014"', values))
    assert shown == {(code, ind) for code, _ in wards for ind in ("youth-unemployment", "food-insecurity")}


def test_a_blank_sheet_per_indicator_set_imports_without_any_mapping(live, coordinator):
    import csv

    from tamasuk.mapping.models import Indicator

    page = coordinator.get(f"/c/{CITY}/imports/observations/").content.decode()
    assert f'href="/c/{CITY}/import/blank/basic_needs.xlsx"' in page
    assert f'href="/c/{CITY}/import/blank/basic_needs.csv"' in page
    basic = list(Indicator.objects.filter(city__slug=CITY, theme__group="basic_needs").order_by("theme__order",
                                                                                                    "code"))
    wards = finest_wards()
    response = coordinator.get(f"/c/{CITY}/import/blank/basic_needs.xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][3:] == [i.name for i in basic]
    assert rows[1][:3] == ["#adm2+code", "#adm2+name", "#date+period"]
    assert all(tag.startswith("#indicator+") for tag in rows[1][3:])
    assert [(r[0], r[1]) for r in rows[2:]] == wards
    text = coordinator.get(f"/c/{CITY}/import/blank/basic_needs.csv").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [[c or "" for c in r] for r in rows]
    assert coordinator.get(f"/c/{CITY}/import/blank/nonsense.csv").status_code == 404

    # Fill in three wards' values and the period; leave the other wards empty.
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = wb.worksheets[0]
    for r in range(3, 6):
        ws.cell(r, 3, "2013")
        for c in range(4, 4 + len(basic)):
            ws.cell(r, c, 10 + r + c)
    buf = io.BytesIO()
    wb.save(buf)
    job = job_of(upload(coordinator, "filled.xlsx", buf.getvalue()))
    assert mapping_post(coordinator, job).status_code == 302  # the page's own suggestion, unchanged
    live.run_worker()
    job = refreshed(job)
    assert (job.error_count, job.summary["new"], job.summary["rows"]) == (0, 3 * len(basic), 3), job.errors


def test_serve_starts_the_worker_and_stops_it(tmp_path):
    """`tamasuk serve` runs the worker beside waitress, and takes it down when it stops."""
    import signal
    import socket
    import subprocess
    import sys
    import time

    from conftest import ROOT, _free_port

    db = FreshDatabase(tmp_path)
    port = _free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tamasuk", "serve", "--port", str(port)], env=db.env,
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    time.sleep(0.2)
            children = _children(proc.pid)
            deadline = time.time() + 20
            while not any("db_worker" in c for c in children.values()) and time.time() < deadline:
                time.sleep(0.2)
                children = _children(proc.pid)
            workers = [pid for pid, cmd in children.items() if "db_worker" in cmd]
            assert workers, log.read_text()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=40)
    deadline = time.time() + 10
    while Path(f"/proc/{workers[0]}").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{workers[0]}").exists() or "Z" in _state(workers[0]), "the worker outlived serve"
    assert "Stopping the task worker" in log.read_text()
    db.drop()


def _children(pid: int) -> dict[int, str]:
    found = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(p.name)] = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    return found


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""
