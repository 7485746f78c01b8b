"""CSV (and XLSX) formula injection (issue 17, item 5): a name a user typed never runs as a formula in the
spreadsheet of whoever downloads an export.

Organisations, their services, a profile, a theme and an indicator are named like formulas through the services,
then every CSV and XLSX export of the application is downloaded by a role that may: no cell starts with a
formula character unless it is guarded (a leading ``'`` in CSV; stored as quote-prefixed text in XLSX), numbers
stay numbers, and the 3W exports still import back as unchanged. ``test_every_spreadsheet_export_is_covered``
sweeps every page of the permission matrix so that a new CSV or XLSX export cannot be missed here.
"""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from test_permission_matrix import MATRIX, refs  # noqa: F401 - refs is a fixture used through getfixturevalue

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(1)", "-2+3"]
# What a spreadsheet takes for the start of a formula (OWASP): written here, not imported from the code tested.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")
SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Every CSV or XLSX export: (URL name, kwargs, query, the role that downloads it). The hostile profiles' pks and the
# allocation's pk are filled in by the fixture.
EXPORTS = [
    ("mapping:profile_csv", {"pk": "profile"}, {}, "analyst"),
    ("network:allocation_csv", {"pk": "allocation"}, {}, "coordinator"),
    ("network:threew_export", {}, {}, "member"),
    ("network:threew_export", {}, {"format": "xlsx"}, "coordinator"),
    ("mapping:import_blank_sheet", {"key": "all", "fmt": "csv"}, {}, "analyst"),
    ("mapping:import_blank_sheet", {"key": "all", "fmt": "xlsx"}, {}, "analyst"),
    ("mapping:import_blank_sheet", {"key": "drivers", "fmt": "csv"}, {}, "coordinator"),
    ("mapping:import_blank_sheet", {"key": "drivers", "fmt": "xlsx"}, {}, "coordinator"),
]

# Downloads that are not exports we write: an evidence file is the uploader's own file, served byte for byte (the
# evidence pack lists its SHA-256, so it must stay exactly as uploaded), whatever its type (the demo's is a CSV).
NOT_EXPORTS = {"plans:evidence"}


@pytest.fixture
def hostile(db, city, users):
    """Four organisations (each with a health service in its own share of the wards), four themes and
    indicators, four saved profiles and an allocation among those organisations, all named like formulas."""
    from tamasuk.cities.models import Area
    from tamasuk.mapping import services as mapping_services
    from tamasuk.mapping.models import PriorityProfile
    from tamasuk.network.directory import services as directory_services

    coordinator = users["coordinator"]
    demo = PriorityProfile.objects.filter(city=city).order_by("pk").first()
    assert demo is not None, "the demo provides a saved profile"
    ranked = [r["code"] for r in sorted(demo.results["areas"], key=lambda r: r["rank"])]
    wards = {a.code: a for a in Area.objects.filter(city=city, code__in=ranked)}
    orgs, profiles = [], []
    for i, name in enumerate(HOSTILE):
        org = directory_services.create_organisation(actor=coordinator, city=city, name=name, type="civil_society",
                                                     sectors=["health"])
        directory_services.save_service(actor=coordinator, organisation=org, name=name, sector="health",
                                        capacity=1_000_000, areas=[wards[c] for c in ranked[i::len(HOSTILE)]])
        theme = mapping_services.create_theme(actor=coordinator, city=city, code=f"hostile-{i}", name=name,
                                              group="drivers")
        mapping_services.create_indicator(actor=coordinator, city=city, code=f"hostile-{i}", name=name,
                                          unit="%", direction="worse", theme=theme)
        profiles.append(mapping_services.save_profile(actor=coordinator, city=city, name=name, period="2025",
                                                      spec=demo.spec, results=demo.results,
                                                      save_low_coverage=True))
        orgs.append(org)
    # The allocation as a coordinator draws it: only the hostile organisations take part.
    form = {"profile": demo.pk, "sector": "health", "listed_sector": "health", "run": "1", "total": 10_000_000,
            "rate": "1", "name": "Hostile campaign", "unit": "kits", **{f"take_{o.pk}": "on" for o in orgs}}
    response = _client(users, "coordinator").post(reverse("network:new_allocation", args=[city.slug]), form)
    assert response.status_code == 302, response.content.decode()[-2000:]
    from tamasuk.network.models import Allocation

    allocation = Allocation.objects.get(city=city, name="Hostile campaign")
    assert {g["organisation"] for r in allocation.rows for g in r["given"]} == set(HOSTILE)
    return {"profiles": [p.pk for p in profiles], "allocation": allocation.pk}


def _client(users, role):
    from django.test import Client

    c = Client()
    c.force_login(users[role])
    return c


def _urls(hostile):
    for name, kwargs, query, role in EXPORTS:
        if kwargs.get("pk") == "profile":
            for pk in hostile["profiles"]:
                yield name, reverse(name, kwargs={"slug": "mombasa", "pk": pk}), query, role
        elif kwargs.get("pk") == "allocation":
            yield name, reverse(name, kwargs={"slug": "mombasa", "pk": hostile["allocation"]}), query, role
        else:
            yield name, reverse(name, kwargs={"slug": "mombasa", **kwargs}), query, role


def _csv_cells(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _unsafe_csv(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run: starting with a formula character, unguarded, and not a plain number."""
    return [cell for row in rows for cell in row if cell[:1] in FORMULA_STARTS and not NUMBER.fullmatch(cell)]


def _unsafe_xlsx(content: bytes) -> tuple[list[str], list[str]]:
    """(the cells a spreadsheet would run, every text cell), over every sheet of the workbook."""
    wb = openpyxl.load_workbook(io.BytesIO(content))
    unsafe, texts = [], []
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    unsafe.append(f"{ws.title}!{cell.coordinate} formula {cell.value}")
                elif isinstance(cell.value, str):
                    texts.append(cell.value)
                    if cell.value[:1] in FORMULA_STARTS and not (cell.data_type == "s" and cell.quotePrefix):
                        unsafe.append(f"{ws.title}!{cell.coordinate} {cell.value!r} not quote-prefixed text")
    return unsafe, texts


def _shown(text: str) -> str:
    """The text a reader sees once our guard comes off (the 3W import does the same)."""
    return text[1:] if text[:1] == "'" and text[1:2] in (*FORMULA_STARTS, "'") else text


def test_no_export_cell_runs_as_a_formula(hostile, users):
    unsafe, missing = {}, {}
    for name, url, query, role in _urls(hostile):
        response = _client(users, role).get(url, query)
        assert response.status_code == 200, (name, url, role)
        where = f"{url}?{query}" if query else url
        if response["Content-Type"].startswith("text/csv"):
            rows = _csv_cells(response.content)
            bad, texts = _unsafe_csv(rows), [c for row in rows for c in row]
        else:
            assert response["Content-Type"] == SPREADSHEET, (name, response["Content-Type"])
            bad, texts = _unsafe_xlsx(response.content)
        if bad:
            unsafe[where] = bad
        # Each export does carry the hostile names (guarded, not dropped), or this test would prove nothing.
        shown = " | ".join(_shown(t) for t in texts)
        if not any(h in shown for h in HOSTILE):
            missing[where] = shown[:300]
    assert unsafe == {}
    assert missing == {}


def test_each_hostile_name_reaches_the_exports_it_belongs_in_guarded(hostile, users):
    """The allocation names every organisation and the profile CSV its profile, each behind a quote."""
    allocation = _csv_cells(_client(users, "coordinator").get(
        reverse("network:allocation_csv", args=["mombasa", hostile["allocation"]])).content)
    given = {cell for row in allocation[2:] for cell in row[7:8] if cell}
    assert all(cell.startswith("'") for cell in given)
    assert {_shown(cell).rsplit(": ", 1)[0] for cell in given} == set(HOSTILE)
    for pk, name in zip(hostile["profiles"], HOSTILE, strict=True):
        rows = _csv_cells(_client(users, "analyst").get(reverse("mapping:profile_csv", args=["mombasa", pk])).content)
        assert {row[7] for row in rows[2:]} == {"'" + name}
        # A need score is a number, negative or not: never quoted.
        assert all(not row[2].startswith("'") and (row[2] == "" or NUMBER.fullmatch(row[2])) for row in rows[2:])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_guarded_3w_export_imports_back_as_unchanged(hostile, users, city, fmt):
    from tamasuk.network.directory import import_services

    data = _client(users, "coordinator").get(reverse("network:threew_export", args=[city.slug]),
                                             {"format": fmt}).content
    plan = import_services.import_threew(actor=users["coordinator"], city=city, dry_run=True,
                                         sheet=import_services.read_threew(data, f"export.{fmt}"))
    assert plan.ok, plan.errors[:5]
    assert plan.new_organisations == [] and plan.changed_organisations == []
    assert plan.new_services == [] and plan.changed_services == []
    assert set(HOSTILE) <= {p.name for p in plan.unchanged_organisations}
    assert set(HOSTILE) <= {p.name for p in plan.unchanged_services}


def test_the_one_writer_guards_text_and_leaves_numbers_and_round_trips():
    from tamasuk.interop import tabular, threew

    assert _csv_cells(tabular.write_csv([[-3.5, "-3.5", 0, None, "=1+1", "'=x", "plain", "'quoted"]])) == [
        ["-3.5", "'-3.5", "0", "", "'=1+1", "''=x", "plain", "'quoted"]]
    for text in [*HOSTILE, "\tx", "\rx", "'=x", "''", "'", "'a", "", "ok"]:
        assert tabular.unguard_formula(tabular.guard_formula(text)) == text
    # A 3W name that starts with a quote followed by a formula character comes back as it was written.
    rec = threew.ActivityRecord(row=0, organisation="'=kept", sector="health", area="W1", subsector="+1")
    for data, name in [(threew.write([rec]), "x.csv"), (threew.write_xlsx([rec]), "x.xlsx")]:
        (back,) = threew.read(data, name).records
        assert (back.organisation, back.subsector) == ("'=kept", "+1")


def test_every_spreadsheet_export_is_covered(request, users):
    """Every page of the permission matrix, downloaded by a role that may: each one answering CSV or a
    spreadsheet is in EXPORTS (a new export must be added there)."""
    ids = request.getfixturevalue("refs")
    order = ["admin", "coordinator", "analyst", "auditor", "member", "national", "peer", "national_other"]
    found = set()
    for name, (method, kwargs, expected) in MATRIX.items():
        role = next((r for r in order if expected.get(r) == 200), None)
        if method != "get" or role is None or name in NOT_EXPORTS:
            continue
        response = _client(users, role).get(reverse(name, kwargs={k: ids.get(v, v) for k, v in kwargs.items()}))
        kind = response.get("Content-Type", "")
        if "csv" in kind or "spreadsheet" in kind or "excel" in kind:
            found.add(name)
    assert found == {name for name, *_ in EXPORTS}
