"""Pages and API as their users meet them (without a browser; the browser journeys are in test_browser.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from conftest import ROOT, served


def test_city_map_links_every_ward_to_its_page(client_for):
    response = client_for("coordinator").get(reverse("web:city", args=["mombasa"]))
    html = response.content.decode()
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    links = root.findall(".//s:a", ns)
    assert len(links) == 30
    hrefs = {a.get("href") for a in links}
    assert "/c/mombasa/areas/KE00100301/" in hrefs
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any("Kisauni Ward 1" in (t or "") for t in titles)
    assert "Synthetic demo data" in html


def test_level_and_colour_choice_change_the_map(client_for):
    c = client_for("analyst")
    subcounties = c.get(reverse("web:city", args=["mombasa"]), {"level": 1}).content.decode()
    assert subcounties.count("/c/mombasa/areas/KE00100") == 6 * 2  # map link + list link
    density = c.get(reverse("web:city", args=["mombasa"]), {"level": 2, "colour": "density"}).content.decode()
    assert "People per km²" in density
    fragment = c.get(reverse("web:city", args=["mombasa"]), {"level": 1}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "<svg" in fragment


def test_area_page_shows_parent_children_and_population(client_for):
    html = client_for("member").get(reverse("mapping:area", args=["mombasa", "KE001003"])).content.decode()
    assert "Kisauni" in html and "Kisauni Ward 5" in html and "KE00100305" in html
    ward = client_for("analyst").get(reverse("mapping:area", args=["mombasa", "KE00100305"])).content.decode()
    assert "Population by sex and age band" in ward and "0-14" in ward


def test_unknown_area_is_404(client_for):
    assert client_for("admin").get(reverse("mapping:area", args=["mombasa", "NOPE"])).status_code == 404


def test_admin_adds_a_member_with_a_new_account(client_for, city):
    from tamasuk.cities.models import Membership

    c = client_for("admin")
    response = c.post(reverse("cities:memberships", args=["mombasa"]),
                      {"username": "amina", "email": "amina@example.org", "role": "coordinator"}, follow=True)
    assert "temporary password" in response.content.decode()
    assert Membership.objects.get(city=city, user__username="amina").role == "coordinator"


def test_adding_an_auditor_without_end_date_shows_the_error_on_the_field(client_for):
    response = client_for("admin").post(reverse("cities:memberships", args=["mombasa"]),
                                        {"username": "outsider", "role": "auditor"})
    assert response.status_code == 200
    assert "An auditor&#x27;s membership needs an end date." in response.content.decode()


def test_audit_page_filters_by_object_and_shows_chain_status(client_for, city):
    html = client_for("auditor").get(reverse("audit:audit", args=["mombasa"]),
                                     {"object_type": "cities.city", "object_id": str(city.pk)}).content.decode()
    assert "Chain intact, 0 payloads erased by request" in html
    assert "city.create" in html and "area.create" not in html


def test_login_is_throttled_after_five_failures(db, client):
    url = reverse("web:login")
    for _ in range(5):
        client.post(url, {"username": "coordinator", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    locked = client.post(url, {"username": "coordinator", "password": "coordinator-demo-pass"},
                         REMOTE_ADDR="10.9.9.9")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()


def test_passwords_are_hashed_with_argon2(users):
    assert users["coordinator"].password.startswith("argon2")


def test_api_areas_are_geojson(client_for):
    data = client_for("national").get(reverse("api-1:list_areas", args=["mombasa"]), {"level": 2}).json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 30
    feature = data["features"][0]
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert feature["properties"]["parent_code"].startswith("KE0010")
    assert len(feature["bbox"]) == 4


def test_api_token_flow_through_the_pages(client_for):
    c = client_for("analyst")
    html = c.post(reverse("api:tokens"), {"name": "dashboard"}).content.decode()
    secret = re.search(r'class="secret">([^<]+)<', html).group(1)
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(reverse("api-1:me")).json()["username"] == "analyst"
    from tamasuk.api.models import ApiToken

    token = ApiToken.objects.get(user__username="analyst", name="dashboard")
    c.post(reverse("api:token_revoke", args=[token.pk]))
    assert api.get(reverse("api-1:me")).status_code == 401


def test_openapi_declares_error_responses():
    from tamasuk.api.api import api

    schema = api.get_openapi_schema()
    responses = schema["paths"]["/api/v1/cities/{slug}/areas"]["get"]["responses"]
    assert {"200", "401", "403", "404"} <= set(map(str, responses))
    assert schema["components"]["securitySchemes"]


def test_api_docs_are_served_locally(db, client):
    html = client.get(reverse("api-1:openapi-view")).content.decode()
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html)  # nothing from outside
    assert "/static/ninja/swagger-ui-bundle" in html


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "tamasuk.settings", "TAMASUK_VAR_DIR": str(tmp_path),
           "SECRET_KEY": "x" * 20 + "production-only-key-for-the-check-0123456789abcdefghijklmnop",
           "ALLOWED_HOSTS": "tamasuk.example.org"}
    result = subprocess.run([sys.executable, "-m", "tamasuk", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_make_run_on_an_empty_database_loads_the_demo_and_serves_it(fresh_database):
    """`make run` on a fresh machine: `serve --init` migrates, loads the demo city, collects the static files,
    prints the demo logins and serves the sign-in page with its compressed style sheet. (The browser tests' server
    starts on a copy of the demo, as `make run` does the second time.)"""
    import urllib.request

    with served(fresh_database, "--init") as (url, _proc):
        page = urllib.request.urlopen(url + "/accounts/login/").read().decode()
        css = re.search(r'href="(/static/[^"]+\.css)"', page).group(1)
        request = urllib.request.Request(url + css, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200 and answer.headers["Content-Encoding"] == "gzip"
    log = (fresh_database.tmp / "server.log").read_text()
    assert "Loading the demo city (empty database)" in log, log
    assert "Demo logins" in log and "coordinator-demo-pass" in log, log


def test_import_areas_command_dry_run_then_import(fresh_database, tmp_path):
    fresh_database.tamasuk("createadmin", "--username", "ops", "--city", "blantyre", "--city-name", "Blantyre",
                           "--country", "MWI", "--password", "a-long-password-1", "--no-input")
    features = [{"type": "Feature", "properties": {"pcode": f"MW3150{i}", "label": f"Ward {i}"},
                 "geometry": {"type": "Polygon", "coordinates": [[[35 + i / 100, -15.8], [35.01 + i / 100, -15.8],
                                                                  [35.01 + i / 100, -15.79], [35 + i / 100, -15.8]]]}}
                for i in range(1, 4)]
    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    dry = fresh_database.tamasuk("import-areas", str(path), "--city", "blantyre", "--code-prop", "pcode",
                                 "--name-prop", "label", "--dry-run")
    assert "Would create 3" in dry.stdout and "nothing was written" in dry.stdout
    done = fresh_database.tamasuk("import-areas", str(path), "--city", "blantyre", "--code-prop", "pcode",
                                  "--name-prop", "label")
    assert "Created 3" in done.stdout
    again = fresh_database.tamasuk("import-areas", str(path), "--city", "blantyre", "--code-prop", "pcode",
                                   "--name-prop", "label")
    assert "Created 0, updated 0, unchanged 3" in again.stdout

    features[1]["geometry"]["coordinates"][0][2] = [35.02, 95.0]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(subprocess.CalledProcessError) as failed:
        fresh_database.tamasuk("import-areas", str(path), "--city", "blantyre", "--code-prop", "pcode",
                               "--name-prop", "label")
    assert "feature 1" in failed.value.stderr and "latitude 95" in failed.value.stderr
    assert "Nothing was written" in failed.value.stderr


def test_population_by_sex_and_age_stays_inside_the_city_team(client_for):
    url = reverse("mapping:area", args=["mombasa", "KE00100305"])
    assert "Population by sex and age band" in client_for("analyst").get(url).content.decode()
    for outsider in ["member", "national", "peer"]:
        html = client_for(outsider).get(url).content.decode()
        assert "Population by sex and age band" not in html and "0-14" not in html, outsider


def test_the_add_member_form_does_not_offer_national_liaison(client_for):
    html = client_for("admin").get(reverse("cities:memberships", args=["mombasa"])).content.decode()
    assert 'value="national"' not in html


def test_a_national_liaison_is_shown_not_editable_on_the_members_page(client_for, city):
    from tamasuk.cities.models import Membership

    html = client_for("admin").get(reverse("cities:memberships", args=["mombasa"])).content.decode()
    national = Membership.objects.get(city=city, user__username="national")
    row = html[html.index("<td>national"):]
    row = row[:row.index("</tr>")]
    assert "National liaison" in row and "<select" not in row
    response = client_for("admin").post(reverse("cities:membership_change", args=["mombasa", national.pk]),
                                        {f"m{national.pk}-role": "admin"})
    assert response.status_code == 302
    national.refresh_from_db()
    assert national.role == "national"
