"""The directory's imports and exports: 3W/4W sheets and Open Referral HSDS 3.0.

Both imports are kinds of the import pipeline ("threew", "hsds"): upload on the pipeline's page, the dry run and
the import run by the REAL task worker (`tamasuk db_worker --batch`, conftest's `worker_site`: a fresh database
with the demo city, shared by this process's test client and the worker's process). Tests therefore share the
module's database (nothing is rolled back): each one uses names of its own. The exports are plain downloads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import client_of, job_of
from tamasuk.interop import threew
from tamasuk.interop.hsds.kinds import validate
from tamasuk.interop.hsds.records import stable_id
from tamasuk.interop.hsds.schemas import SCHEMA_ENV, load_schemas
from tamasuk.network.directory import import_services

CITY = "mombasa"
SECRET = "Synthetic confidential address 7"
SECRET_PHONE = "+254 799 000 111"
HSDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "hsds-3.0"
needs_hsds = pytest.mark.skipif(not (HSDS_DIR / "schema-compiled").is_dir(),
                                reason=f"the HSDS 3.0 reference folder {HSDS_DIR} is absent (official schemas "
                                       "and examples)")
READERS = ["admin", "coordinator", "member", "analyst", "auditor"]
PIPELINE = {"import.upload", "import.dry_run", "import.confirm", "import.done", "import.failed"}

HEAD = ("Organisation,Type,Sector,Activity,Ward,Women,Men,Total,Capacity,Start,End\r\n"
        "#org,#org+type,#sector,#subsector,#adm2+code,#reached+f,#reached+m,#reached+total,#capacity,"
        "#date+start,#date+end\r\n")


def _csv(*rows: str) -> bytes:
    return (HEAD + "".join(r + "\r\n" for r in rows)).encode()


def _upload(name: str, data: bytes, content_type: str = "text/csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _events(action: str, since: int) -> list:
    from tamasuk.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(action=action, pk__gt=since).order_by("pk"))


def _actions_since(since: int) -> set[str]:
    from tamasuk.audit.models import AuditEvent

    return set(AuditEvent.objects.filter(pk__gt=since).values_list("action", flat=True))


def _head() -> int:
    from tamasuk.audit.models import AuditEvent

    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


def _orgs() -> int:
    from tamasuk.network.models import Organisation

    return Organisation.objects.count()


def _org_exists(name: str) -> bool:
    from tamasuk.network.models import Organisation

    return Organisation.objects.filter(city__slug=CITY, name=name).exists()


# ---- the worker site: the demo city in a fresh database, and the pipeline's pages --------------------------


@pytest.fixture(scope="module")
def others(worker_site, django_db_blocker):
    """Roles the demo does not have: a signed-in user of no city, and the administrator of another city."""
    with django_db_blocker.unblock():
        from tamasuk.cities import services
        from tamasuk.cities.models import Role

        saida = services.create_city(actor="test", name="Saida", slug="saida", country="LBN", languages=["ar", "en"])
        peer, _ = services.create_user(actor="test", username="peer", password="test-pass-123", city=saida)
        services.grant_membership(actor="test", city=saida, user=peer, role=Role.ADMIN)
        services.create_user(actor="test", username="outsider", password="test-pass-123")


@pytest.fixture
def city(live, others):
    from tamasuk.cities.models import City

    return City.objects.get(slug=CITY)


@pytest.fixture
def users(live, others):
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def client_for(live, others):
    from django.test import Client

    return lambda role: Client() if role == "anonymous" else client_of(role)


@pytest.fixture
def wards(city):
    from tamasuk.cities.models import Area

    level = max(Area.objects.filter(city=city).values_list("level", flat=True))
    return list(Area.objects.filter(city=city, level=level).order_by("code"))


def upload(client, kind: str, file: SimpleUploadedFile, **extra):
    return client.post(reverse("imports:upload", args=[CITY, kind]), {"file": file, **extra})


def dry_run(site, client, kind: str, file: SimpleUploadedFile, **extra):
    """Upload on the pipeline's page; the real worker runs the dry run. The job, as the worker left it."""
    job = job_of(upload(client, kind, file, **extra))
    assert job.status == "queued" and job.dry_run
    site.run_worker()
    job.refresh_from_db()
    return job


def confirm(site, client, job):
    response = client.post(reverse("imports:confirm", args=[CITY, job.pk]))
    assert response.status_code == 302
    site.run_worker()
    job.refresh_from_db()
    return job


def page(client, job) -> str:
    response = client.get(reverse("imports:job", args=[CITY, job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def errors_of(job) -> dict[tuple, str]:
    return {(e["row"], e["column"], e["value"]): e["message"] for e in job.errors}


# ---- 3W import ---------------------------------------------------------------------------------------------


def test_3w_import_lists_every_row_error_with_row_column_and_value_and_writes_nothing(live, city, wards, client_for):
    w1, w2 = wards[0].code, wards[1].code
    data = _csv(
        f"Pwani Reading Club,NGO,Education,Homework club,{w1},40,35,75,100,2025-01,2025-12",
        f"Pwani Reading Club,NGO,Educaton,Homework club,{w2},4,3,,,2025-01,2025-12",
        "Pwani Reading Club,NGO,Education,Homework club,KE999,many,3,,,,",
        f"Bahari Sports,Club,Youth,Football,{wards[2].name.upper()},10,10,15,,2025-03,2025-01",
        f"Bahari Sports,,Health,Football,{w1},,,,,,",
    )
    from tamasuk.network.models import Service

    orgs, services, seq = _orgs(), Service.objects.count(), _head()
    c = client_for("coordinator")
    job = dry_run(live, c, "threew", _upload("3w.csv", data))
    assert job.status == "dry-run-ready"
    found = errors_of(job)
    assert set(found) == {
        (4, "C (Sector)", "Educaton"),
        (5, "E (Ward)", "KE999"),
        (5, "F (Women)", "many"),
        (6, "B (Type)", "Club"),
        (6, "H (Total)", "15"),
        (6, "K (End)", "2025-01"),
        (7, "C (Sector)", "Health"),
    }, found
    assert job.error_count == 7
    assert "unknown sector" in found[(4, "C (Sector)", "Educaton")]
    assert "education (Education)" in found[(4, "C (Sector)", "Educaton")]  # the allowed values are listed
    assert "no area of Mombasa" in found[(5, "E (Ward)", "KE999")]
    assert "civil_society (Civil society)" in found[(6, "B (Type)", "Club")]
    assert "another sector" in found[(7, "C (Sector)", "Health")]
    html = page(c, job)
    assert "Educaton" in html and "KE999" in html and "Confirm import" not in html
    assert "7 errors" in html
    for row, column, value in found:
        assert f"<td>{row}</td><td>{column}</td>" in html and value in html
    # The rest of the file is still listed as what it would import.
    s = job.summary
    assert [o["name"] for o in s["new_organisations"]] == ["Pwani Reading Club"]  # Bahari: every row has errors
    assert [(x["name"], x["areas"]) for x in s["new_services"]] == [("Homework club", wards[0].name)]
    assert "What the rest of the file would import" in html and "Homework club" in html
    assert (_orgs(), Service.objects.count()) == (orgs, services)
    assert _actions_since(seq) == {"import.upload", "import.dry_run"}  # no write, no directory event


def test_a_file_that_is_not_a_3w_sheet_is_refused_as_a_whole(live, city, client_for):
    from tamasuk.imports.models import ImportJob

    c = client_for("coordinator")
    no_tags = dry_run(live, c, "threew", _upload("x.csv", b"Organisation,Sector\nA,Health\n"))
    assert (no_tags.status, no_tags.summary["failure"]) == ("failed", "unreadable")
    assert no_tags.summary["message"] and "new" not in no_tags.summary
    html = page(c, no_tags)
    assert "The file cannot be read:" in html and "Confirm import" not in html
    jobs = ImportJob.objects.count()
    wrong = upload(c, "threew", _upload("x.txt", b"hello"))
    assert wrong.status_code == 200
    assert "Upload a CSV file or an Excel workbook (.xlsx); x.txt is not one." in wrong.content.decode()
    big = upload(c, "threew", _upload("x.csv", HEAD.encode() + b"," * (5 * 1024 * 1024 + 1)))
    assert big.status_code == 200 and "the limit is 5 MB" in big.content.decode()
    assert ImportJob.objects.count() == jobs, "a refused file makes no job"


def test_the_file_is_kept_in_storage_never_in_the_session(live, city, client_for):
    """The old pages kept the file (compressed) in the user's session; the pipeline keeps it with the job."""
    from django.contrib.sessions.models import Session

    c = client_for("coordinator")
    # 300 kB that do not compress away: the old session held about 150 kB of it.
    data = HEAD.encode() + b"".join(b"Org,NGO,Health,%s,KE000,,,,,,\r\n" % os.urandom(24).hex().encode()
                                    for _ in range(4000))
    job = job_of(upload(c, "threew", _upload("big.csv", data)))
    assert job.size == len(data) and job.sha256 == hashlib.sha256(data).hexdigest()
    with job.file.open("rb") as f:
        assert f.read() == data
    assert not any(k.startswith("tamasuk.network.import") for k in c.session.keys())
    assert max(len(s.session_data) for s in Session.objects.all()) < 4000
    live.run_worker()
    job.refresh_from_db()
    assert job.status == "dry-run-ready" and job.error_count > 0
    assert max(len(s.session_data) for s in Session.objects.all()) < 4000


def test_a_valid_3w_sheet_imports_after_a_dry_run_and_a_reimport_changes_nothing(live, city, wards, client_for, users):
    from tamasuk.network.models import Organisation, Service

    w1, w2, w3 = (w.code for w in wards[:3])
    existing = Service.objects.filter(city=city, confidential=False).select_related("organisation").order_by("pk") \
        .first()
    data = _csv(
        f"Pwani Reading Club,NGO,Education,Homework club,{w1},40,35,75,100,2025-01,2025-06",
        f"Pwani Reading Club,NGO,education,Homework club,{wards[1].name},10,5,15,20,2025-03,2025-12",
        f"Pwani Reading Club,NGO,WASH,,{w3},,,,,2025,",
        f"{existing.organisation.name.upper()},,{existing.sector},{existing.name},{w1},,,,4321,,",
    )
    c = client_for("coordinator")
    orgs, seq = _orgs(), _head()

    dry = dry_run(live, c, "threew", _upload("partners.csv", data))
    assert dry.status == "dry-run-ready" and dry.error_count == 0, dry.errors
    s = dry.summary
    assert [o["name"] for o in s["new_organisations"]] == ["Pwani Reading Club"]
    assert sorted(x["name"] for x in s["new_services"]) == ["Homework club", "Water and sanitation"]
    [changed] = s["changed_services"]
    assert (changed["organisation"], changed["name"]) == (existing.organisation.name, existing.name)
    assert {ch["field"] for ch in changed["changes"]} == {"capacity", "areas"}
    # New: an organisation and two services; changed: a service; unchanged: that service's organisation.
    assert (s["new"], s["changed"], s["unchanged"]) == (3, 1, 1)
    assert _orgs() == orgs and _actions_since(seq) == {"import.upload", "import.dry_run"}  # a dry run writes nothing
    html = page(c, dry)
    assert "Confirm import" in html and "What the import will do" in html and "4321" in html

    done = confirm(live, c, dry)
    assert done.status == "done"
    html = page(c, done)
    assert "Imported partners.csv: 1 new organisations, 2 new services, 1 services changed." in html
    assert f'href="{reverse("network:directory", args=[CITY])}"' in html
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

    # Audit: one event per write (as on the pages), one summary event for the import, and the pipeline's own.
    assert [e.object_id for e in _events("organisation.create", seq)] == [str(org.pk)]
    assert len(_events("service.create", seq)) == 2
    [update] = _events("service.update", seq)
    assert update.object_id == str(existing.pk)
    [summary] = _events("directory.import", seq)
    after = json.loads(summary.after) if isinstance(summary.after, str) else summary.after
    assert after["format"] == "3w" and after["file"] == "partners.csv"
    assert after["sha256"] == hashlib.sha256(data).hexdigest() == done.sha256
    assert (after["new_organisations"], after["new_services"], after["changed_services"]) == (1, 2, 1)
    assert summary.actor_id == users["coordinator"].pk
    assert len(_events("import.done", seq)) == 1 and len(_events("import.confirm", seq)) == 1

    # The same file again: nothing to do, nothing to confirm, nothing written, no directory event.
    seq2, services = _head(), Service.objects.count()
    again = dry_run(live, c, "threew", _upload("partners.csv", data))
    s = again.summary
    assert again.error_count == 0 and (s["new"], s["changed"]) == (0, 0) and s["counts"]["unchanged_services"] == 3
    html = page(c, again)
    assert "Confirm import" not in html and "Nothing to import" in html
    refused = c.post(reverse("imports:confirm", args=[CITY, again.pk]), follow=True)
    assert "Only a dry run without errors can be imported." in refused.content.decode()
    again.refresh_from_db()
    assert again.status == "dry-run-ready"
    plan = import_services.import_threew(actor=users["coordinator"], city=city, dry_run=False,
                                         sheet=import_services.read_threew(data, "partners.csv"))
    assert plan.ok and not plan.written
    assert _actions_since(seq2) == {"import.upload", "import.dry_run"} and Service.objects.count() == services


def test_confirming_writes_the_file_that_was_checked_and_only_a_clean_one(live, city, wards, client_for):
    """What is imported is the job's stored file (its SHA-256 is the upload's); a dry run with errors, a
    discarded job, or someone who may not import cannot confirm."""
    c = client_for("coordinator")
    bad = dry_run(live, c, "threew", _upload("a.csv", _csv(f"Kongowea Readers,NGO,Educaton,Club,{wards[0].code},,,,,,")))
    assert bad.error_count == 1
    c.post(reverse("imports:confirm", args=[CITY, bad.pk]))
    bad.refresh_from_db()
    assert bad.status == "dry-run-ready" and not _org_exists("Kongowea Readers")

    data = _csv(f"Kongowea Readers,NGO,Education,Homework club,{wards[0].code},1,1,2,,,")
    good = dry_run(live, c, "threew", _upload("a.csv", data))
    assert good.may_confirm and good.sha256 == hashlib.sha256(data).hexdigest()
    # A member may not confirm it; discarding deletes its file, and a discarded job cannot be confirmed.
    assert client_for("member").post(reverse("imports:confirm", args=[CITY, good.pk])).status_code == 403
    c.post(reverse("imports:discard", args=[CITY, good.pk]))
    good.refresh_from_db()
    assert good.status == "discarded" and not good.file
    c.post(reverse("imports:confirm", args=[CITY, good.pk]))
    live.run_worker()
    good.refresh_from_db()
    assert good.status == "discarded" and not _org_exists("Kongowea Readers")


def test_only_coordinators_and_admins_import(live, city, wards, client_for):
    from tamasuk.imports.models import ImportJob

    jobs = ImportJob.objects.count()
    data = _csv(f"Mtwapa Readers,NGO,Education,Homework club,{wards[0].code},1,1,2,,,")
    for role in ["member", "analyst", "auditor", "national", "peer", "outsider"]:
        for kind in ["threew", "hsds"]:
            r = upload(client_for(role), kind, _upload("a.csv", data))
            # Someone with no role in the city is told it does not exist.
            assert r.status_code == (404 if role == "outsider" else 403), (role, kind)
    assert ImportJob.objects.count() == jobs and not _org_exists("Mtwapa Readers")


# ---- 3W export ---------------------------------------------------------------------------------------------


def _xlsx_text(content: bytes) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_3w_export_reimports_as_unchanged(live, city, client_for, users, fmt):
    from tamasuk.network.models import Service

    c = client_for("coordinator")
    response = c.get(reverse("network:threew_export", args=[city.slug]), {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    data = response.content
    result = threew.read(data, f"export.{fmt}")
    assert result.ok and result.records
    seq = _head()
    job = dry_run(live, c, "threew", _upload(f"export.{fmt}", data, "application/octet-stream"))
    assert job.status == "dry-run-ready" and job.error_count == 0, job.errors[:5]
    # (a confidential service whose wards and organisation the city keeps is not in an export)
    with_wards = Service.objects.filter(city=city, areas__isnull=False).exclude(
        confidential=True, share_where_and_who=False).distinct().count()
    s = job.summary
    assert (s["new"], s["changed"]) == (0, 0) and s["counts"]["unchanged_services"] == with_wards
    assert not job.may_confirm
    plan = import_services.import_threew(actor=users["coordinator"], city=city, dry_run=False,
                                         sheet=import_services.read_threew(data, f"export.{fmt}"))
    assert plan.ok and not plan.written
    assert _actions_since(seq) == {"import.upload", "import.dry_run"}


@pytest.mark.parametrize("role", READERS)
def test_no_3w_export_holds_a_confidential_location_or_contact(city, client_for, role):
    from tamasuk.network.models import Service

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
    from tamasuk.network.models import Organisation, Service

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
    from tamasuk.network.models import Organisation

    url = reverse("network:hsds_export", args=[city.slug])
    one, two = (client_for("coordinator").get(url).json() for _ in range(2))
    assert one == two
    org = Organisation.objects.filter(city=city).first()
    assert stable_id("organisation", city.pk, org.pk) in {o["id"] for o in one["contents"]}


@needs_hsds
def test_hsds_export_reimports_as_unchanged(live, city, client_for):
    from tamasuk.network.models import Service

    c = client_for("coordinator")
    data = c.get(reverse("network:hsds_export", args=[city.slug])).content
    job = dry_run(live, c, "hsds", _upload("export.json", data, "application/json"), sector="health")
    assert job.status == "dry-run-ready" and job.error_count == 0, job.errors[:5]
    s = job.summary
    assert (s["new"], s["changed"]) == (0, 0), [(x["name"], [ch["field"] for ch in x["changes"]])
                                               for x in s["changed_services"]][:5]
    assert s["counts"]["unchanged_services"] == Service.objects.filter(city=city).exclude(
        confidential=True, share_where_and_who=False).count()
    assert not job.may_confirm


# ---- HSDS import -------------------------------------------------------------------------------------------

LATITUDE_PATHS = ["/locations/0/latitude", "/services/0/service_at_locations/0/location/latitude"]


def _official() -> bytes:
    return (HSDS_DIR / "examples" / "organization_full.json").read_bytes()


def _fixed() -> bytes:
    doc = json.loads(_official())
    doc["locations"][0]["latitude"] = -4.05
    doc["services"][0]["service_at_locations"][0]["location"]["latitude"] = -4.05
    return json.dumps(doc).encode()


def _json(name: str, data: bytes) -> SimpleUploadedFile:
    return _upload(name, data, "application/json")


def test_the_hsds_upload_form_keeps_its_sector_choice(live, city, client_for):
    c = client_for("coordinator")
    form = c.get(reverse("imports:upload", args=[CITY, "hsds"])).context["form"]
    assert list(form.fields) == ["file", "sector"] and "psychosocial" in dict(form.fields["sector"].choices)
    missing = upload(c, "hsds", _json("x.json", b"{}"))
    assert missing.status_code == 200 and missing.context["form"].errors["sector"]
    wrong = upload(c, "hsds", _upload("x.csv", b"a,b\n"), sector="health")
    assert "Upload an HSDS 3.0 JSON file (.json); x.csv is not one." in wrong.content.decode()


@needs_hsds
def test_the_official_hsds_example_lists_its_latitude_errors_by_path_and_writes_nothing(live, city, client_for):
    from tamasuk.network.models import Service

    orgs, services, seq = _orgs(), Service.objects.count(), _head()
    c = client_for("coordinator")
    job = dry_run(live, c, "hsds", _json("organization_full.json", _official()), sector="psychosocial")
    assert job.status == "dry-run-ready" and job.options["sector"] == "psychosocial"
    assert [e["column"] for e in job.errors] == LATITUDE_PATHS
    assert all("latitude 100 is out of range" in e["message"] for e in job.errors)
    assert [(e["row"], e["value"]) for e in job.errors] == [(1, "100"), (1, "100")]  # item 1 of the file
    assert job.summary["schema_checked"]
    html = page(c, job)
    for path in LATITUDE_PATHS:
        assert f"<td>{path}</td>" in html
    assert "2 errors" in html and "Confirm import" not in html
    # The rest of the file is reported as what it would import.
    assert [o["name"] for o in job.summary["new_organisations"]] == ["Example Organization Inc."]
    assert [x["name"] for x in job.summary["new_services"]] == ["Community Counselling"]
    assert "Example Organization Inc." in html and "Community Counselling" in html
    assert (_orgs(), Service.objects.count()) == (orgs, services)
    assert _actions_since(seq) == {"import.upload", "import.dry_run"}


@needs_hsds
def test_a_fixed_copy_of_the_official_example_imports_once(live, city, client_for, users):
    from tamasuk.network.models import Organisation, Service

    c = client_for("coordinator")
    seq = _head()
    dry = dry_run(live, c, "hsds", _json("fixed.json", _fixed()), sector="psychosocial")
    assert dry.error_count == 0 and dry.may_confirm, dry.errors
    assert not _org_exists("Example Organization Inc.")
    done = confirm(live, c, dry)
    assert done.status == "done"
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
    assert len(_events("import.done", seq)) == 1
    # Again: nothing changes.
    seq2 = _head()
    again = dry_run(live, c, "hsds", _json("fixed.json", _fixed()), sector="health")
    assert again.error_count == 0 and (again.summary["new"], again.summary["changed"]) == (0, 0)
    assert not again.may_confirm
    plan = import_services.import_hsds(actor=users["coordinator"], city=city, sector="health", dry_run=False,
                                       document=import_services.read_hsds(_fixed(), "fixed.json"))
    assert plan.ok and not plan.changes_anything and not plan.written
    assert _actions_since(seq2) == {"import.upload", "import.dry_run"}


def test_without_the_schemas_the_import_still_checks_and_says_so(live, city, client_for, monkeypatch, tmp_path):
    # An empty folder: no schema can be loaded, in the worker's process (its environment is the site's).
    monkeypatch.setitem(live.env, SCHEMA_ENV, str(tmp_path))
    doc = {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "name": "Schema-less Org", "description": "x",
           "services": [{"id": "ac148810-d857-441c-9679-408f346de14b", "name": "Counselling", "status": "active",
                         "service_at_locations": [{"id": "e94c9f38-1e8f-4564-91d4-d53501ab1765",
                                                   "location": {"id": "not-a-uuid", "location_type": "physical",
                                                                "latitude": 100, "longitude": 39.6}}]}]}
    c = client_for("coordinator")
    job = dry_run(live, c, "hsds", _json("x.json", json.dumps(doc).encode()), sector="health")
    assert not job.summary["schema_checked"]
    assert "Schema validation was not available" in page(c, job)
    paths = {e["column"]: e["message"] for e in job.errors}
    loc = "/services/0/service_at_locations/0/location"
    assert set(paths) == {f"{loc}/id", f"{loc}/latitude"}
    assert "latitude 100 is out of range" in paths[f"{loc}/latitude"] and "not a UUID" in paths[f"{loc}/id"]
    assert [x["name"] for x in job.summary["new_services"]] == ["Counselling"]
    assert not _org_exists("Schema-less Org")


def test_hsds_import_reports_unreadable_files_and_orphan_services(live, city, client_for, monkeypatch, tmp_path):
    monkeypatch.setitem(live.env, SCHEMA_ENV, str(tmp_path))
    c = client_for("coordinator")
    bad = dry_run(live, c, "hsds", _json("x.json", b"{not json"), sector="health")
    [e] = bad.errors
    assert e["column"] == "/" and "not valid JSON" in e["message"]
    orphan = {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "Lonely", "status": "active",
              "organization_id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"}
    job = dry_run(live, c, "hsds", _json("x.json", json.dumps([orphan]).encode()), sector="health")
    assert any(e["column"] == "/0" and e["row"] == 1 and "belongs to no organisation" in e["message"]
               for e in job.errors)


def test_sector_and_type_names_map_case_insensitively():
    assert import_services.sector_for("HEALTH") == "health"
    assert import_services.sector_for(" water  and sanitation ") == "wash"
    assert import_services.sector_for("WASH") == "wash"
    assert import_services.sector_for("Food Security") == "food"
    assert import_services.sector_for("Football") is None
    assert import_services.organisation_type_for("ngo") == "civil_society"
    assert import_services.organisation_type_for("Women's group") == "women"


def test_a_confirmation_that_no_longer_fits_the_directory_writes_nothing(live, city, wards, client_for, users):
    """Between the dry run and the confirmation someone else changed the directory: checked again, refused."""
    from tamasuk.network.directory import services as directory
    from tamasuk.network.models import Service

    existing = Service.objects.filter(city=city, confidential=False, start__isnull=False).order_by("pk").first()
    c = client_for("coordinator")
    data = _csv(f"Shanzu Study Circle,NGO,Education,Homework club,{wards[0].code},1,1,2,,,",
                f"{existing.organisation.name},,{existing.sector},{existing.name},{wards[0].code},,,,,,2030-12-31")
    seq = _head()
    dry = dry_run(live, c, "threew", _upload("a.csv", data))
    assert dry.error_count == 0 and dry.may_confirm, dry.errors
    directory.save_service(actor=users["admin"], organisation=existing.organisation,
                           service=Service.objects.get(pk=existing.pk), areas=list(existing.areas.all()),
                           start=dt.date(2031, 1, 1), end=None)
    refused = confirm(live, c, dry)
    assert (refused.status, refused.summary["failure"]) == ("failed", "stale")
    [e] = refused.errors
    assert (e["row"], e["column"], e["value"]) == (4, "K (End)", "2030-12-31") and "before it starts" in e["message"]
    html = page(c, refused)
    assert "Confirm import" not in html and "no longer passes the checks" in html
    assert not _org_exists("Shanzu Study Circle") and not _events("directory.import", seq)


def test_an_xlsx_sheet_imports_through_the_page(live, city, wards, client_for):
    from tamasuk.network.models import Service

    records = [threew.ActivityRecord(row=0, organisation="Likoni Study Circle", organisation_type="civil_society",
                                     sector="education", subsector="Homework club", area=wards[0].code,
                                     reached_f=3, reached_m=4, reached_total=7)]
    c = client_for("admin")
    dry = dry_run(live, c, "threew", _upload("sheet.xlsx", threew.write_xlsx(records), "application/octet-stream"))
    assert dry.error_count == 0 and dry.may_confirm
    assert confirm(live, c, dry).status == "done"
    assert Service.objects.get(name="Homework club", organisation__name="Likoni Study Circle").reached_total == 7


def test_the_directory_links_to_imports_for_editors_and_to_exports_for_readers(live, city, client_for):
    url = reverse("network:directory", args=[city.slug])
    coordinator = client_for("coordinator").get(url).content.decode()
    member = client_for("member").get(url).content.decode()
    for kind in ["threew", "hsds"]:
        target = reverse("imports:upload", args=[city.slug, kind])
        assert f'href="{target}"' in coordinator and target not in member
    for name in ["threew_export", "hsds_export"]:
        target = reverse(f"network:{name}", args=[city.slug])
        assert target in coordinator and target in member
    # The pipeline's list of imports offers both kinds to those who may import them.
    imports = client_for("coordinator").get(reverse("imports:jobs", args=[city.slug])).content.decode()
    assert reverse("imports:upload", args=[city.slug, "threew"]) in imports
    assert reverse("imports:upload", args=[city.slug, "hsds"]) in imports
