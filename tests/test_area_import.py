"""Issue 10, item 12: areas uploaded from the browser, with the dry run of `tamasuk import-areas`: every error
names its feature and field, nothing is written unless the whole file is valid, and what is written is the
file that was checked."""

from __future__ import annotations

import json
import re

from django.core.files.uploadedfile import SimpleUploadedFile

from tamasuk.audit.models import AuditEvent
from tamasuk.cities.models import Area

URL = "/c/mombasa/boundaries/import/"


def square(x, y, size=0.01):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


def geojson(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": geom, "properties": props} for props, geom in features]}).encode()


def post(client, data: bytes, name="wards.geojson", **fields):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, "application/geo+json"), "code_prop": "code",
                             "name_prop": "name", "parent_prop": "parent", "name_langs": "ar=name_ar", **fields})


def token(html: str) -> str:
    m = re.search(r'name="sha256" value="([0-9a-f]{64})"', html)
    assert m, "the dry run offers no confirmation"
    return m.group(1)


def test_errors_name_feature_and_field_and_nothing_is_written(city, client_for):
    c = client_for("coordinator")
    areas, events = Area.objects.count(), AuditEvent.objects.count()
    bad = geojson(
        ({"code": "KE00100399", "name": "Good ward", "parent": "KE001003"}, square(39.6, -4.05)),
        ({"name": "No code", "parent": "KE001003"}, square(39.62, -4.05)),
        ({"code": "KE00100398", "name": "Open ring", "parent": "KE001003"},
         {"type": "Polygon", "coordinates": [[[39.6, -4.0], [39.61, -4.0], [39.61, -4.01], [39.6, -4.02]]]}),
        ({"code": "KE00100397", "name": "Lost", "parent": "KE999"}, square(39.64, -4.05)),
    )
    response = post(c, bad)
    html = response.content.decode()
    assert response.status_code == 200 and 'name="confirm"' not in html
    errors = {(e.index, e.field): e.message for e in response.context["report"].errors}
    assert set(errors) == {(1, "code"), (2, "geometry"), (3, "parent")}, errors
    assert "ring 0 is not closed" in errors[(2, "geometry")] and "'KE999'" in errors[(3, "parent")]
    for index, field in errors:
        assert f'<td>{index}</td><td><span class="code">{field}</span></td>' in html
    assert "Nothing was written" in html
    assert (Area.objects.count(), AuditEvent.objects.count()) == (areas, events)


def test_a_valid_file_is_checked_then_written_on_confirmation_all_or_nothing(city, client_for):
    c = client_for("coordinator")
    good = geojson(
        ({"code": "KE00100399", "name": "New ward", "name_ar": "حي جديد", "parent": "KE001003"}, square(39.6, -4.05)),
        ({"code": "KE00100398", "name": "Another ward", "parent": "KE001003"}, square(39.62, -4.05)),
    )
    dry = post(c, good)
    report = dry.context["report"]
    assert report.ok and report.dry_run and report.created == ["KE00100399", "KE00100398"]
    assert not Area.objects.filter(code="KE00100399").exists(), "a dry run writes nothing"
    # The confirmation must name the file that was checked.
    assert c.post(URL, {"confirm": "1", "sha256": "0" * 64}).status_code == 302
    assert not Area.objects.filter(code="KE00100399").exists()
    dry = post(c, good)
    done = c.post(URL, {"confirm": "1", "sha256": token(dry.content.decode())})
    assert done.status_code == 302 and done["Location"] == "/c/mombasa/"
    ward = Area.objects.get(city=city, code="KE00100399")
    assert (ward.name, ward.names, ward.parent.code, ward.level) == ("New ward", {"ar": "حي جديد"}, "KE001003", 2)
    assert AuditEvent.objects.filter(action="area.create", object_id=str(ward.pk)).count() == 1
    # The same file again: nothing to confirm.
    again = post(c, good).content.decode()
    assert 'name="confirm"' not in again and "Nothing to import" in again


def test_only_those_who_edit_areas_upload_them(city, client_for):
    for role, code in [("admin", 200), ("coordinator", 200), ("analyst", 403), ("member", 403), ("auditor", 403)]:
        assert client_for(role).get(URL).status_code == code, role
    page = client_for("coordinator").get("/c/mombasa/import/").content.decode()
    assert f'href="{URL}"' in page
    assert f'href="{URL}"' not in client_for("analyst").get("/c/mombasa/import/").content.decode()
