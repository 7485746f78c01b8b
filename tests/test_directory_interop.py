"""The directory's imports and exports: 3W/4W sheets and Open Referral HSDS 3.0 (network.interop_services)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tamasuk.audit.models import AuditEvent
from tamasuk.cities.models import Area
from tamasuk.interop import threew
from tamasuk.interop.hsds.kinds import validate
from tamasuk.interop.hsds.records import stable_id
from tamasuk.interop.hsds.schemas import SCHEMA_ENV, load_schemas
from tamasuk.network import interop_services as interop
from tamasuk.network.models import Organisation, Service

SECRET = "Synthetic confidential address 7"
SECRET_PHONE = "+254 799 000 111"
HSDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "hsds-3.0"
needs_hsds = pytest.mark.skipif(not (HSDS_DIR / "schema-compiled").is_dir(),
                                reason=f"the HSDS 3.0 reference folder {HSDS_DIR} is absent (official schemas "
                                       "and examples)")
READERS = ["admin", "coordinator", "member", "analyst", "auditor"]

HEAD = ("Organisation,Type,Sector,Activity,Ward,Women,Men,Total,Capacity,Start,End\r\n"
        "#org,#org+type,#sector,#subsector,#adm2+code,#reached+f,#reached+m,#reached+total,#capacity,"
        "#date+start,#date+end\r\n")


def _csv(*rows: str) -> bytes:
    return (HEAD + "".join(r + "\r\n" for r in rows)).encode()


def _upload(name: str, data: bytes, content_type: str = "text/csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _token(html: str) -> str:
    m = re.search(r'name="sha256" value="([0-9a-f]{64})"', html)
    assert m, "the dry run offers no confirmation"
    return m.group(1)


def _events(action: str, since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, pk__gt=since).order_by("pk"))


def _head() -> int:
    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


@pytest.fixture
def wards(city):
    level = max(Area.objects.filter(city=city).values_list("level", flat=True))
    return list(Area.objects.filter(city=city, level=level).order_by("code"))


# ---- 3W import ---------------------------------------------------------------------------------------------


def test_3w_import_lists_every_row_error_with_row_column_and_value_and_writes_nothing(city, wards, client_for):
    w1, w2 = wards[0].code, wards[1].code
    data = _csv(
        f"Pwani Reading Club,NGO,Education,Homework club,{w1},40,35,75,100,2025-01,2025-12",
        f"Pwani Reading Club,NGO,Educaton,Homework club,{w2},4,3,,,2025-01,2025-12",
        "Pwani Reading Club,NGO,Education,Homework club,KE999,many,3,,,,",
        f"Bahari Sports,Club,Youth,Football,{wards[2].name.upper()},10,10,15,,2025-03,2025-01",
        f"Bahari Sports,,Health,Football,{w1},,,,,,",
    )
    orgs, services, seq = Organisation.objects.count(), Service.objects.count(), _head()
    url = reverse("network:threew_import", args=[city.slug])
    response = client_for("coordinator").post(url, {"file": _upload("3w.csv", data)})
    assert response.status_code == 200
    plan = response.context["plan"]
    found = {(e.row, e.column, e.value): e.message for e in plan.errors}
    assert set(found) == {
        (4, "C (Sector)", "Educaton"),
        (5, "E (Ward)", "KE999"),
        (5, "F (Women)", "many"),
        (6, "B (Type)", "Club"),
        (6, "H (Total)", "15"),
        (6, "K (End)", "2025-01"),
        (7, "C (Sector)", "Health"),
    }, found
    assert "unknown sector" in found[(4, "C (Sector)", "Educaton")]
    assert "education (Education)" in found[(4, "C (Sector)", "Educaton")]  # the allowed values are listed
    assert "no area of Mombasa" in found[(5, "E (Ward)", "KE999")]
    assert "civil_society (Civil society)" in found[(6, "B (Type)", "Club")]
    assert "another sector" in found[(7, "C (Sector)", "Health")]
    html = response.content.decode()
    assert "Educaton" in html and "KE999" in html and 'name="confirm"' not in html
    assert "7 problems" in html
    # The rest of the file is still listed as what it would import.
    assert [o.name for o in plan.new_organisations] == ["Pwani Reading Club"]  # Bahari: every row has errors
    assert [(s.name, s.area_names) for s in plan.new_services] == [("Homework club", wards[0].name)]
    assert (Organisation.objects.count(), Service.objects.count(), _head()) == (orgs, services, seq)


def test_a_file_that_is_not_a_3w_sheet_is_refused_as_a_whole(city, client_for):
    url = reverse("network:threew_import", args=[city.slug])
    c = client_for("coordinator")
    no_tags = c.post(url, {"file": _upload("x.csv", b"Organisation,Sector\nA,Health\n")})
    assert no_tags.context["plan"] is None and no_tags.context["form"].errors["file"]
    wrong = c.post(url, {"file": _upload("x.txt", b"hello")})
    assert "Upload a .csv / .xlsx file." in wrong.content.decode()
    big = c.post(url, {"file": _upload("x.csv", HEAD.encode() + b"," * (interop.MAX_UPLOAD + 1))})
    assert "at most 5 MB" in big.content.decode()


def test_a_valid_3w_sheet_imports_after_a_dry_run_and_a_reimport_changes_nothing(city, wards, client_for, users):
    w1, w2, w3 = (w.code for w in wards[:3])
    existing = Service.objects.filter(city=city, confidential=False).select_related("organisation").first()
    data = _csv(
        f"Pwani Reading Club,NGO,Education,Homework club,{w1},40,35,75,100,2025-01,2025-06",
        f"Pwani Reading Club,NGO,education,Homework club,{wards[1].name},10,5,15,20,2025-03,2025-12",
        f"Pwani Reading Club,NGO,WASH,,{w3},,,,,2025,",
        f"{existing.organisation.name.upper()},,{existing.sector},{existing.name},{w1},,,,4321,,",
    )
    c = client_for("coordinator")
    url = reverse("network:threew_import", args=[city.slug])
    orgs, seq = Organisation.objects.count(), _head()

    dry = c.post(url, {"file": _upload("partners.csv", data)})
    plan = dry.context["plan"]
    assert plan.ok, plan.errors
    assert [o.name for o in plan.new_organisations] == ["Pwani Reading Club"]
    assert sorted(s.name for s in plan.new_services) == ["Homework club", "Water and sanitation"]
    [changed] = plan.changed_services
    assert changed.service.pk == existing.pk
    assert {ch.field for ch in changed.changes} == {"capacity", "areas"}
    assert Organisation.objects.count() == orgs and _head() == seq  # a dry run writes nothing

    done = c.post(url, {"confirm": "1", "sha256": _token(dry.content.decode())})
    assert done.status_code == 302 and done["Location"].endswith(f"/c/{city.slug}/directory/")
    org = Organisation.objects.get(city=city, name="Pwani Reading Club")
    assert org.type == "civil_society" and org.sectors == ["education", "wash"]
    club = Service.objects.get(organisation=org, name="Homework club")
    assert (club.sector, club.reached_f, club.reached_m, club.reached_total, club.capacity) == (
        "education", 50, 40, 90, 120)
    assert (club.start.isoformat(), club.end.isoformat()) == ("2025-01-01", "2025-12-31")
    assert sorted(club.areas.values_list("code", flat=True)) == [w1, w2]
    assert Service.objects.get(organisation=org, name="Water and sanitation").sector == "wash"
    existing.refresh_from_db()
    assert existing.capacity == 4321 and list(existing.areas.values_list("code", flat=True)) == [w1]

    # Audit: one event per write (as on the pages) and one summary event for the import.
    assert [e.object_id for e in _events("organisation.create", seq)] == [str(org.pk)]
    assert len(_events("service.create", seq)) == 2
    [update] = _events("service.update", seq)
    assert update.object_id == str(existing.pk)
    [summary] = _events("directory.import", seq)
    after = json.loads(summary.after) if isinstance(summary.after, str) else summary.after
    assert after["format"] == "3w" and after["file"] == "partners.csv"
    assert after["sha256"] == interop.sha256(data)
    assert (after["new_organisations"], after["new_services"], after["changed_services"]) == (1, 2, 1)
    assert summary.actor_id == users["coordinator"].pk

    # The same file again: nothing to do, nothing written, no event.
    seq2, services = _head(), Service.objects.count()
    again = c.post(url, {"file": _upload("partners.csv", data)})
    plan = again.context["plan"]
    assert plan.ok and not plan.changes_anything and len(plan.unchanged_services) == 3
    assert 'name="confirm"' not in again.content.decode()
    plan = interop.import_threew(actor=users["coordinator"], city=city, data=data, file_name="partners.csv",
                                 dry_run=False)
    assert not plan.written and _head() == seq2 and Service.objects.count() == services


def test_confirming_needs_the_file_that_was_checked(city, wards, client_for):
    c = client_for("coordinator")
    url = reverse("network:threew_import", args=[city.slug])
    data = _csv(f"Pwani Reading Club,NGO,Education,Homework club,{wards[0].code},1,1,2,,,")
    c.post(url, {"file": _upload("a.csv", data)})
    response = c.post(url, {"confirm": "1", "sha256": "0" * 64}, follow=True)
    assert "upload it again" in response.content.decode()
    assert not Organisation.objects.filter(name="Pwani Reading Club").exists()
    # Another user's session does not hold it either.
    other = client_for("admin").post(url, {"confirm": "1", "sha256": interop.sha256(data)})
    assert other.status_code == 302 and not Organisation.objects.filter(name="Pwani Reading Club").exists()


def test_only_coordinators_and_admins_import(city, wards, client_for):
    data = _csv(f"Pwani Reading Club,NGO,Education,Homework club,{wards[0].code},1,1,2,,,")
    for role in ["member", "analyst", "auditor", "national", "peer", "outsider"]:
        r = client_for(role).post(reverse("network:threew_import", args=[city.slug]), {"file": _upload("a.csv", data)})
        assert r.status_code == 403, role
    assert not Organisation.objects.filter(name="Pwani Reading Club").exists()


# ---- 3W export ---------------------------------------------------------------------------------------------


def _xlsx_text(content: bytes) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_3w_export_reimports_as_unchanged(city, client_for, users, fmt):
    response = client_for("coordinator").get(reverse("network:threew_export", args=[city.slug]), {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    data = response.content
    result = threew.read(data, f"export.{fmt}")
    assert result.ok and result.records
    plan = interop.import_threew(actor=users["coordinator"], city=city, data=data, file_name=f"export.{fmt}")
    assert plan.ok, plan.errors[:5]
    # (a confidential service whose wards and organisation the city keeps is not in an export)
    with_wards = Service.objects.filter(city=city, areas__isnull=False).exclude(
        confidential=True, share_where_and_who=False).distinct().count()
    assert not plan.changes_anything and len(plan.unchanged_services) == with_wards
    seq = _head()
    interop.import_threew(actor=users["coordinator"], city=city, data=data, file_name=f"export.{fmt}", dry_run=False)
    assert _head() == seq


@pytest.mark.parametrize("role", READERS)
def test_no_3w_export_holds_a_confidential_location_or_contact(city, client_for, role):
    url = reverse("network:threew_export", args=[city.slug])
    text = client_for(role).get(url).content.decode("utf-8-sig") + _xlsx_text(
        client_for(role).get(url, {"format": "xlsx"}).content)
    # An export leaves the city: a confidential service whose wards and organisation the city keeps has no row
    # (a 3W row is an organisation in a ward), for every reader, the city team included.
    assert "Safe house" not in text
    assert SECRET not in text and SECRET_PHONE not in text and "-4.03" not in text
    for s in Service.objects.filter(city=city).exclude(address="")[:20]:
        assert s.address not in text and s.contact not in text  # 3W carries no address or contact at all


# ---- HSDS export -------------------------------------------------------------------------------------------


@needs_hsds
@pytest.mark.parametrize("role", READERS)
def test_hsds_export_validates_and_never_holds_the_confidential_location_or_contact(city, client_for, role):
    response = client_for(role).get(reverse("network:hsds_export", args=[city.slug]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    text = response.content.decode()
    assert SECRET not in text and SECRET_PHONE not in text
    doc = json.loads(text)
    assert validate(doc, schemas=load_schemas(HSDS_DIR / "schema-compiled")) == []
    assert doc["total_items"] == Organisation.objects.filter(city=city).count()
    # A confidential service whose wards and organisation the city keeps is not in the file at all (HSDS nests a
    # service in its organisation, and its service areas would place it), for every reader.
    assert "Safe house" not in text
    located = [s for o in doc["contents"] for s in o.get("services", []) if s.get("service_at_locations")]
    assert located  # other services' addresses are exported: only the confidential one is withheld
    shelter_pk = Service.objects.get(city=city, name="Safe house").pk
    assert stable_id("location", city.pk, shelter_pk) not in text


@needs_hsds
def test_hsds_export_ids_are_stable(city, client_for):
    url = reverse("network:hsds_export", args=[city.slug])
    one, two = (client_for("coordinator").get(url).json() for _ in range(2))
    assert one == two
    org = Organisation.objects.filter(city=city).first()
    assert stable_id("organisation", city.pk, org.pk) in {o["id"] for o in one["contents"]}


@needs_hsds
def test_hsds_export_reimports_as_unchanged(city, client_for, users):
    data = client_for("coordinator").get(reverse("network:hsds_export", args=[city.slug])).content
    plan = interop.import_hsds(actor=users["coordinator"], city=city, data=data, file_name="export.json",
                               sector="health")
    assert plan.ok, plan.errors[:5]
    assert not plan.changes_anything, [(s.name, [c.field for c in s.changes]) for s in plan.changed_services][:5]
    assert len(plan.unchanged_services) == Service.objects.filter(city=city).exclude(
        confidential=True, share_where_and_who=False).count()


# ---- HSDS import -------------------------------------------------------------------------------------------

LATITUDE_PATHS = ["/locations/0/latitude", "/services/0/service_at_locations/0/location/latitude"]


def _official() -> bytes:
    return (HSDS_DIR / "examples" / "organization_full.json").read_bytes()


def _fixed() -> bytes:
    doc = json.loads(_official())
    doc["locations"][0]["latitude"] = -4.05
    doc["services"][0]["service_at_locations"][0]["location"]["latitude"] = -4.05
    return json.dumps(doc).encode()


@needs_hsds
def test_the_official_hsds_example_lists_its_latitude_errors_by_path_and_writes_nothing(city, client_for):
    orgs, services, seq = Organisation.objects.count(), Service.objects.count(), _head()
    response = client_for("coordinator").post(reverse("network:hsds_import", args=[city.slug]), {
        "file": _upload("organization_full.json", _official(), "application/json"), "sector": "psychosocial"})
    assert response.status_code == 200
    plan = response.context["plan"]
    assert [e.path for e in plan.errors] == LATITUDE_PATHS
    assert all("latitude 100 is out of range" in e.message for e in plan.errors)
    assert plan.schema_checked
    html = response.content.decode()
    for path in LATITUDE_PATHS:
        assert path in html
    assert "2 problems" in html and 'name="confirm"' not in html
    # The rest of the file is reported as what it would import.
    assert [o.name for o in plan.new_organisations] == ["Example Organization Inc."]
    assert [s.name for s in plan.new_services] == ["Community Counselling"]
    assert "Example Organization Inc." in html and "Community Counselling" in html
    assert (Organisation.objects.count(), Service.objects.count(), _head()) == (orgs, services, seq)


@needs_hsds
def test_a_fixed_copy_of_the_official_example_imports_once(city, client_for, users):
    c = client_for("coordinator")
    url = reverse("network:hsds_import", args=[city.slug])
    seq = _head()
    dry = c.post(url, {"file": _upload("fixed.json", _fixed(), "application/json"), "sector": "psychosocial"})
    plan = dry.context["plan"]
    assert plan.ok, plan.errors
    assert not Organisation.objects.filter(name="Example Organization Inc.").exists()
    done = c.post(url, {"confirm": "1", "sha256": _token(dry.content.decode())})
    assert done.status_code == 302
    org = Organisation.objects.get(city=city, name="Example Organization Inc.")
    assert org.type == "other" and org.sectors == ["psychosocial"] and org.description.startswith("Example Org is")
    s = Service.objects.get(organisation=org)
    assert (s.name, s.sector, s.confidential) == ("Community Counselling", "psychosocial", False)
    assert s.address == "1-30 Main Street, MyVillage, MyCity"
    assert (s.latitude, s.longitude, s.contact) == (-4.05, 101.0, "+44 1234 234567")
    assert s.languages == ["ur"] and list(s.areas.all()) == []
    assert len(_events("organisation.create", seq)) == 1 and len(_events("service.create", seq)) == 1
    [summary] = _events("directory.import", seq)
    assert "hsds" in str(summary.after)
    # Again: nothing changes.
    seq2 = _head()
    plan = interop.import_hsds(actor=users["coordinator"], city=city, data=_fixed(), file_name="fixed.json",
                               sector="health", dry_run=False)
    assert plan.ok and not plan.changes_anything and not plan.written and _head() == seq2


def test_without_the_schemas_the_import_still_checks_and_says_so(city, client_for, monkeypatch, tmp_path):
    monkeypatch.setenv(SCHEMA_ENV, str(tmp_path))  # an empty folder: no schema can be loaded
    doc = {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "name": "Schema-less Org", "description": "x",
           "services": [{"id": "ac148810-d857-441c-9679-408f346de14b", "name": "Counselling", "status": "active",
                         "service_at_locations": [{"id": "e94c9f38-1e8f-4564-91d4-d53501ab1765",
                                                   "location": {"id": "not-a-uuid", "location_type": "physical",
                                                                "latitude": 100, "longitude": 39.6}}]}]}
    response = client_for("coordinator").post(reverse("network:hsds_import", args=[city.slug]), {
        "file": _upload("x.json", json.dumps(doc).encode(), "application/json"), "sector": "health"})
    plan = response.context["plan"]
    assert not plan.schema_checked
    assert "Schema validation was not available" in response.content.decode()
    paths = {e.path: e.message for e in plan.errors}
    loc = "/services/0/service_at_locations/0/location"
    assert set(paths) == {f"{loc}/id", f"{loc}/latitude"}
    assert "latitude 100 is out of range" in paths[f"{loc}/latitude"] and "not a UUID" in paths[f"{loc}/id"]
    assert [s.name for s in plan.new_services] == ["Counselling"]
    assert not Organisation.objects.filter(name="Schema-less Org").exists()


def test_hsds_import_reports_unreadable_files_and_orphan_services(city, client_for, monkeypatch, tmp_path):
    monkeypatch.setenv(SCHEMA_ENV, str(tmp_path))
    url = reverse("network:hsds_import", args=[city.slug])
    bad = client_for("coordinator").post(url, {"file": _upload("x.json", b"{not json", "application/json"),
                                                "sector": "health"})
    [e] = bad.context["plan"].errors
    assert e.path == "" and "not valid JSON" in e.message
    orphan = {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "Lonely", "status": "active",
              "organization_id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"}
    r = client_for("coordinator").post(url, {"file": _upload("x.json", json.dumps([orphan]).encode(),
                                                             "application/json"), "sector": "health"})
    assert any(e.path == "/0" and "belongs to no organisation" in e.message for e in r.context["plan"].errors)


def test_sector_and_type_names_map_case_insensitively():
    assert interop.sector_for("HEALTH") == "health"
    assert interop.sector_for(" water  and sanitation ") == "wash"
    assert interop.sector_for("WASH") == "wash"
    assert interop.sector_for("Food Security") == "food"
    assert interop.sector_for("Football") is None
    assert interop.organisation_type_for("ngo") == "civil_society"
    assert interop.organisation_type_for("Women's group") == "women"


def test_a_confirmation_that_no_longer_fits_the_directory_writes_nothing(city, wards, client_for, users):
    """Between the dry run and the confirmation someone else changed the directory: checked again, refused."""
    from tamasuk.network.directory import services as directory

    existing = Service.objects.filter(city=city, confidential=False, start__isnull=False).first()
    c = client_for("coordinator")
    url = reverse("network:threew_import", args=[city.slug])
    data = _csv(f"Pwani Reading Club,NGO,Education,Homework club,{wards[0].code},1,1,2,,,",
                f"{existing.organisation.name},,{existing.sector},{existing.name},{wards[0].code},,,,,,2030-12-31")
    dry = c.post(url, {"file": _upload("a.csv", data)})
    assert dry.context["plan"].ok
    directory.save_service(actor=users["admin"], organisation=existing.organisation,
                           service=Service.objects.get(pk=existing.pk), areas=list(existing.areas.all()),
                           start=dt.date(2031, 1, 1), end=None)
    refused = c.post(url, {"confirm": "1", "sha256": _token(dry.content.decode())})
    assert refused.status_code == 200
    [e] = refused.context["plan"].errors
    assert (e.row, e.column, e.value) == (4, "K (End)", "2030-12-31") and "before it starts" in e.message
    assert 'name="confirm"' not in refused.content.decode()
    assert not Organisation.objects.filter(name="Pwani Reading Club").exists()


def test_an_xlsx_sheet_imports_through_the_page(city, wards, client_for):
    records = [threew.ActivityRecord(row=0, organisation="Pwani Reading Club", organisation_type="civil_society",
                                     sector="education", subsector="Homework club", area=wards[0].code,
                                     reached_f=3, reached_m=4, reached_total=7)]
    c = client_for("admin")
    url = reverse("network:threew_import", args=[city.slug])
    dry = c.post(url, {"file": _upload("sheet.xlsx", threew.write_xlsx(records), "application/octet-stream")})
    assert dry.context["plan"].ok
    assert c.post(url, {"confirm": "1", "sha256": _token(dry.content.decode())}).status_code == 302
    assert Service.objects.get(name="Homework club", organisation__name="Pwani Reading Club").reached_total == 7


def test_the_directory_links_to_imports_for_editors_and_to_exports_for_readers(city, client_for):
    url = reverse("network:directory", args=[city.slug])
    coordinator = client_for("coordinator").get(url).content.decode()
    member = client_for("member").get(url).content.decode()
    for name in ["threew_import", "hsds_import"]:
        target = reverse(f"network:{name}", args=[city.slug])
        assert target in coordinator and target not in member
    for name in ["threew_export", "hsds_export"]:
        target = reverse(f"network:{name}", args=[city.slug])
        assert target in coordinator and target in member
