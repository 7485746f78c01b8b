"""Issue 10, item 12: an HSDS file is read as what it holds, by the fields each HSDS object kind must and may
have, never "anything else is an organisation". Every object below is a real one: the official examples'
nested taxonomy, taxonomy term, location, phone, contact, address, schedule, program… written out as files of
their own, as the specification's examples folder has them (taxonomy.json, location.json, …)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.urls import reverse

from tamasuk.interop.hsds.kinds import KIND_PLURALS, OBJECT_KINDS, Recognised, recognise
from tamasuk.interop.hsds.reader import read
from tamasuk.interop.hsds.records import KINDS
from tamasuk.interop.hsds.schemas import load_schemas

HSDS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "hsds-3.0"
pytestmark = pytest.mark.skipif(not HSDS.is_dir(), reason="HSDS 3.0 reference files not present")


def example(kind: str) -> dict:
    return json.loads((HSDS / "examples" / f"{kind}_full.json").read_text())


def at(doc, pointer: str):
    for part in pointer.strip("/").split("/"):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return copy.deepcopy(doc)


def official_taxonomy() -> dict:
    """The specification's examples/taxonomy.json: the service example's taxonomy without its version."""
    taxonomy = at(example("service"), "/attributes/0/taxonomy_term/taxonomy_detail")
    del taxonomy["version"]
    return taxonomy


# kind → where the official examples hold a real object of that kind
OBJECTS = {
    "location": ("organization", "/locations/0"),
    "taxonomy_term": ("service", "/attributes/0/taxonomy_term"),
    "phone": ("organization", "/phones/0"),
    "contact": ("organization", "/contacts/0"),
    "address": ("organization", "/locations/0/addresses/0"),
    "schedule": ("service", "/schedules/0"),
    "program": ("organization", "/programs/0"),
    "funding": ("organization", "/funding/0"),
    "organization_identifier": ("organization", "/organization_identifiers/0"),
    "language": ("service", "/languages/0"),
    "accessibility": ("organization", "/locations/0/accessibility/0"),
    "cost_option": ("service", "/cost_options/0"),
    "required_document": ("service", "/required_documents/0"),
    "service_area": ("service", "/service_areas/0"),
    "metadata": ("service", "/metadata/0"),
}


def real_object(kind: str) -> dict:
    if kind == "taxonomy":
        return official_taxonomy()
    source, pointer = OBJECTS[kind]
    return at(example(source), pointer)


@pytest.fixture(scope="module")
def schemas():
    return load_schemas(HSDS / "schema-compiled")


def test_the_kinds_table_is_the_official_schemas():
    """OBJECT_KINDS says what the compiled schemas say: each kind's required fields and its fields."""
    found: dict[str, tuple[set, set]] = {}
    stack = [json.loads((HSDS / "schema-compiled" / f"{k}.json").read_text()) for k in KINDS]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict) and node.get("name"):
                req, props = found.setdefault(node["name"], (set(), set()))
                req |= set(node.get("required", []))
                props |= set(node["properties"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    assert {k: (set(r), set(p)) for k, (r, p) in OBJECT_KINDS.items()} == found


@pytest.mark.parametrize("kind", ["taxonomy", *OBJECTS])
def test_a_file_of_one_kind_tamasuk_does_not_import_is_refused_saying_what_it_holds(kind, schemas):
    data = json.dumps(real_object(kind)).encode()
    result = read(data, schemas=schemas, file_name=f"{kind}.json")
    assert (result.organisations, result.services, result.service_at_locations) == ([], [], [])
    [error] = result.errors
    assert error.path == "" and error.message.startswith(f"this file holds HSDS {KIND_PLURALS[kind]}")
    assert "upload an HSDS file of organizations" in error.message
    # Whatever the file is called, it never becomes an organisation.
    anyhow = read(data, schemas=schemas, file_name="upload.json")
    assert anyhow.organisations == [] and not anyhow.ok


def test_the_official_taxonomy_and_location_examples_are_not_organisations(schemas):
    """The two cases the issue names: taxonomy.json became an organisation named "name", location.json one
    named "MyCity Civic Center"."""
    taxonomy = read(json.dumps(official_taxonomy()).encode(), schemas=schemas, file_name="taxonomy.json")
    assert taxonomy.organisations == []
    assert taxonomy.errors[0].message.startswith("this file holds HSDS taxonomies; Tamasuk imports organizations")
    # The same object under another name: its fields are also an organization's, so it is refused as ambiguous.
    unnamed = read(json.dumps(official_taxonomy()).encode(), schemas=schemas, file_name="upload.json")
    assert unnamed.organisations == []
    assert unnamed.errors[0].message.startswith("this object could be an organization, a service_area or a taxonomy")
    location = read(json.dumps(real_object("location")).encode(), schemas=schemas)
    assert location.organisations == [] and location.locations == []
    assert location.errors[0].message.startswith("this file holds HSDS locations on their own")
    # An HSDS API page of taxonomies (as /taxonomies answers): the version field says what they are.
    page = {"total_items": 1, "contents": [at(example("service"), "/attributes/0/taxonomy_term/taxonomy_detail")]}
    listed = read(json.dumps(page).encode(), schemas=schemas)
    assert listed.organisations == [] and listed.errors[0].message.startswith("this file holds HSDS taxonomies")


def test_kinds_are_told_apart_by_their_fields(schemas):
    for kind in ["location", "taxonomy_term", "phone", "contact", "address", "schedule", "funding", "language",
                 "accessibility", "cost_option", "required_document", "service_area", "metadata",
                 "organization_identifier"]:
        assert recognise(real_object(kind)).kind == kind, kind
    for kind in KINDS:
        assert recognise(example(kind)).kind == kind
    # A bare link names a service and a location; a stray object names nothing HSDS knows.
    assert recognise({"id": "x", "service_id": "s", "location_id": "l"}).kind == "service_at_location"
    assert recognise({"colour": "red"}) == Recognised(None, ())


def test_kinds_tamasuk_does_not_keep_are_left_out_of_a_file_of_organisations_with_a_warning(schemas):
    org = example("organization")
    org["locations"][0]["latitude"] = 33.56
    org["services"][0]["service_at_locations"][0]["location"]["latitude"] = 33.56
    result = read(json.dumps([org, real_object("taxonomy_term")]).encode(), schemas=schemas)
    assert result.errors == [] and [o.name for o in result.organisations] == ["Example Organization Inc."]
    assert any(w.path == "/1" and w.message.startswith("an HSDS taxonomy term: not imported") for w in result.warnings)


def test_locations_beside_the_links_that_use_them_are_read(schemas):
    service = example("service")
    link = service["service_at_locations"].pop(0)
    location = link.pop("location")
    location["latitude"] = -4.05
    service["organization"]["locations"][0]["latitude"] = -4.05
    link["service_id"], link["location_id"] = service["id"], location["id"]
    result = read(json.dumps([service, link, location]).encode(), schemas=schemas)
    assert result.errors == [], result.errors
    assert [loc.name for loc in result.locations] == ["MyCity Civic Center"]
    assert [(x.service_id, x.location_id) for x in result.service_at_locations] == [(service["id"], location["id"])]


def test_the_directory_import_page_refuses_taxonomy_json_and_creates_no_organisation(live):
    """Through the import pipeline's "hsds" kind, with the real task worker (conftest's worker site)."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tamasuk.imports.models import ImportJob
    from tamasuk.network.models import Organisation

    client = Client()
    client.force_login(get_user_model().objects.get(username="coordinator"))
    before = Organisation.objects.count()
    for name, obj in [("taxonomy.json", official_taxonomy()), ("location.json", real_object("location"))]:
        response = client.post(reverse("imports:upload", args=["mombasa", "hsds"]), {
            "file": SimpleUploadedFile(name, json.dumps(obj).encode(), "application/json"), "sector": "health"})
        assert response.status_code == 302, response.content.decode()[:2000]
        job = ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
        live.run_worker()
        job.refresh_from_db()
        html = client.get(response["Location"]).content.decode()
        assert job.status == "dry-run-ready" and not job.may_confirm and "Confirm import" not in html
        assert "this file holds HSDS" in html and "Tamasuk" in html
        assert not job.summary["new_organisations"]
    assert Organisation.objects.count() == before
