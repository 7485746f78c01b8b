"""Issue 10, item 12, on the import pipeline (issue 11): areas uploaded from the browser, with the dry run of
`tamasuk import-areas`: every error names its feature and field, nothing is written unless the whole file is
valid, and what is written is the file that was checked — kept in storage with its job, never in the session.

As tests/test_import_pages.py: the jobs run in the real task worker (`tamasuk db_worker --batch`) on a fresh
database with the demo city (conftest's `worker_site`); the test client here uses that database and storage.
"""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import SESSION_KEYS, client_of, job_of, refreshed

CITY = "mombasa"
URL = f"/c/{CITY}/imports/areas/"


def square(x, y, size=0.01):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


def geojson(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": geom, "properties": props} for props, geom in features]}).encode()


def post(client, data: bytes, name="wards.geojson", **fields):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, "application/geo+json"), "code_prop": "code",
                             "name_prop": "name", "parent_prop": "parent", "name_langs": "ar=name_ar", **fields})


def page(client, job) -> str:
    return client.get(f"/c/{CITY}/imports/{job.pk}/").content.decode()


def counts():
    from tamasuk.audit.models import AuditEvent
    from tamasuk.cities.models import Area

    return Area.objects.count(), AuditEvent.objects.filter(action__startswith="area.").count()


def assert_nothing_in_the_session(client):
    keys = set(client.session.keys())
    assert keys <= SESSION_KEYS, keys
    assert not any("area_import" in k for k in keys)


def test_errors_name_feature_and_field_and_nothing_is_written(live):
    c = client_of("coordinator")
    before = counts()
    bad = geojson(
        ({"code": "KE00100399", "name": "Good ward", "parent": "KE001003"}, square(39.6, -4.05)),
        ({"name": "No code", "parent": "KE001003"}, square(39.62, -4.05)),
        ({"code": "KE00100398", "name": "Open ring", "parent": "KE001003"},
         {"type": "Polygon", "coordinates": [[[39.6, -4.0], [39.61, -4.0], [39.61, -4.01], [39.6, -4.02]]]}),
        ({"code": "KE00100397", "name": "Lost", "parent": "KE999"}, square(39.64, -4.05)),
    )
    job = job_of(post(c, bad))
    assert job.options == {"code_prop": "code", "name_prop": "name", "parent_prop": "parent", "population_prop": "",
                           "name_langs": {"ar": "name_ar"}}
    live.run_worker()
    job = refreshed(job)
    assert job.status == "dry-run-ready" and not job.may_confirm
    errors = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert set(errors) == {(1, "code"), (2, "geometry"), (3, "parent")}, errors
    assert "ring 0 is not closed" in errors[(2, "geometry")] and "'KE999'" in errors[(3, "parent")]
    html = page(c, job)
    for index, field in errors:
        assert f"<td>{index}</td><td>{field}</td>" in html
    assert "Nothing was written" in html and "Confirm import" not in html
    assert "the row is the feature, counted from 0" in html
    # Confirming a dry run with errors is refused; the worker has nothing to run.
    c.post(f"/c/{CITY}/imports/{job.pk}/confirm/")
    live.run_worker()
    assert refreshed(job).status == "dry-run-ready"
    assert counts() == before
    assert_nothing_in_the_session(c)


def test_a_valid_file_is_checked_then_written_on_confirmation_all_or_nothing(live):
    from tamasuk.audit.models import AuditEvent
    from tamasuk.cities.models import Area

    c = client_of("coordinator")
    before = counts()
    good = geojson(
        ({"code": "KE00100399", "name": "New ward", "name_ar": "حي جديد", "parent": "KE001003"}, square(39.6, -4.05)),
        ({"code": "KE00100398", "name": "Another ward", "parent": "KE001003"}, square(39.62, -4.05)),
    )
    job = job_of(post(c, good))
    live.run_worker()
    job = refreshed(job)
    assert job.status == "dry-run-ready" and job.may_confirm and not job.error_count
    assert (job.summary["new"], job.summary["changed"], job.summary["read"]) == (2, 0, 2)
    assert [a["code"] for a in job.summary["created"]] == ["KE00100399", "KE00100398"]
    html = page(c, job)
    assert '<dd class="count-new">2</dd>' in html and '<dd class="count-read">2</dd>' in html
    assert '<span class="code">KE00100399</span></td><td dir="auto">New ward</td>' in html
    assert "Confirm import" in html
    assert counts() == before, "a dry run writes nothing"
    assert_nothing_in_the_session(c)

    # What is written is the stored file that was checked, checked again by the worker.
    assert c.post(f"/c/{CITY}/imports/{job.pk}/confirm/").status_code == 302
    live.run_worker()
    job = refreshed(job)
    assert job.status == "done" and not job.file, "the file is deleted once imported"
    ward = Area.objects.get(city__slug=CITY, code="KE00100399")
    assert (ward.name, ward.names, ward.parent.code, ward.level) == ("New ward", {"ar": "حي جديد"}, "KE001003", 2)
    assert AuditEvent.objects.filter(action="area.create", object_id=str(ward.pk)).count() == 1
    done = page(c, job)
    assert "Imported wards.geojson: 2 areas created, 0 updated, 0 unchanged." in done
    assert f'href="/c/{CITY}/"' in done

    # The same file again: nothing to confirm.
    again = job_of(post(c, good))
    live.run_worker()
    again = refreshed(again)
    assert not again.may_confirm and again.summary["unchanged"] == 2
    html = page(c, again)
    assert "Confirm import" not in html and "Nothing to import" in html

    # A moved boundary and a new name: the dry run says which areas change and how.
    moved = geojson(
        ({"code": "KE00100399", "name": "New ward", "name_ar": "حي جديد", "parent": "KE001003"},
         square(39.6, -4.05, size=0.02)),
        ({"code": "KE00100398", "name": "Renamed ward", "parent": "KE001003"}, square(39.62, -4.05)),
    )
    job = job_of(post(c, moved))
    live.run_worker()
    job = refreshed(job)
    assert (job.summary["changed"], job.summary["boundaries"]) == (2, 1)
    assert {a["code"]: a["what"] for a in job.summary["updated"]} == {"KE00100399": ["boundary"],
                                                                    "KE00100398": ["name"]}
    html = page(c, job)
    assert '<dd class="count-boundaries">1</dd>' in html and "<strong>boundary</strong>" in html
    assert Area.objects.get(city__slug=CITY, code="KE00100398").name == "Another ward"


def test_the_city_changed_since_the_dry_run_so_nothing_is_written(live):
    """The worker checks the stored file again at import: a parent deleted since the dry run fails it whole."""
    from tamasuk.cities.models import Area

    c = client_of("coordinator")
    parent = Area.objects.create(city=Area.objects.get(city__slug=CITY, code="KE001003").city, code="KE001099",
                                 name="Temporary", level=1)
    job = job_of(post(c, geojson(({"code": "KE00109901", "name": "Child", "parent": "KE001099"},
                                  square(39.7, -4.05)))))
    live.run_worker()
    assert refreshed(job).may_confirm
    parent.delete()
    c.post(f"/c/{CITY}/imports/{job.pk}/confirm/")
    live.run_worker()
    job = refreshed(job)
    assert job.status == "failed" and job.summary["failure"] == "stale"
    assert [(e["row"], e["column"]) for e in job.errors] == [(0, "parent")]
    assert not Area.objects.filter(code="KE00109901").exists()


def test_a_file_that_is_not_geojson_or_not_a_boundary_file(live):
    c = client_of("coordinator")
    response = post(c, b"code,name\n1,a\n", name="wards.csv")
    assert response.status_code == 200 and "GeoJSON file (.geojson or .json)" in response.content.decode()
    response = post(c, b"{}", name_langs="ar")
    assert response.status_code == 200 and "Write each as language=property" in response.content.decode()
    job = job_of(post(c, b'{"type": "FeatureCollection", "features": [}', code_prop=" ", name_prop=""))
    # Property names left blank are the command line's defaults.
    assert (job.options["code_prop"], job.options["name_prop"]) == ("code", "name")
    live.run_worker()
    job = refreshed(job)
    assert job.status == "failed" and job.summary["failure"] == "unreadable"
    assert "invalid JSON at line 1" in job.summary["message"]
    assert "invalid JSON at line 1" in page(c, job)


def test_only_those_who_edit_areas_upload_them(live):
    for role, code in [("admin", 200), ("coordinator", 200), ("analyst", 403), ("member", 403), ("auditor", 403)]:
        assert client_of(role).get(URL).status_code == code, role
    listing = client_of("coordinator").get(f"/c/{CITY}/imports/").content.decode()
    assert f'href="{URL}"' in listing
    assert f'href="{URL}"' not in client_of("analyst").get(f"/c/{CITY}/imports/").content.decode()
    assert client_of("coordinator").get(f"/c/{CITY}/boundaries/import/").status_code == 404
