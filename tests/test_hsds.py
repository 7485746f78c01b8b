"""Open Referral HSDS 3.0 (interop.hsds): the official examples, strict checks, round trip, confidentiality."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from tamasuk.interop.hsds.kinds import validate
from tamasuk.interop.hsds.reader import read
from tamasuk.interop.hsds.records import (
    KINDS,
    UUID_RE,
    ContactRecord,
    HsdsError,
    LocationRecord,
    OrganisationRecord,
    ServiceAtLocationRecord,
    ServiceRecord,
    stable_id,
)
from tamasuk.interop.hsds.redaction import redact_confidential
from tamasuk.interop.hsds.schemas import SCHEMA_ENV, HsdsSchemaNotFound, load_schemas
from tamasuk.interop.hsds.writer import ConfidentialLeak, write

HSDS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "hsds-3.0"
pytestmark = pytest.mark.skipif(not HSDS.is_dir(), reason="HSDS 3.0 reference files not present")

ORG_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
LOCATION_ID = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"
SAL_ID = "e94c9f38-1e8f-4564-91d4-d53501ab1765"
# Where the official examples put their location (latitude 100, longitude 101), per example.
LATITUDE_PATHS = {
    "organization": ["/locations/0/latitude", "/services/0/service_at_locations/0/location/latitude"],
    "service": ["/service_at_locations/0/location/latitude", "/organization/locations/0/latitude"],
    "service_at_location": ["/location/latitude", "/service/organization/locations/0/latitude"],
}


@pytest.fixture(scope="module")
def schemas():
    return load_schemas(HSDS / "schema-compiled")


@pytest.fixture(scope="module")
def official():
    """Plain Draft 2020-12 validators on the official schemas, untouched (no strict additions)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry

    out = {}
    for kind in KINDS:
        schema = json.loads((HSDS / "schema-compiled" / f"{kind}.json").read_text())
        out[kind] = Draft202012Validator(schema, registry=Registry())
    return out


def example(kind: str) -> dict:
    return json.loads((HSDS / "examples" / f"{kind}_full.json").read_text())


def fix_coordinates(doc, lat: float = 33.5631, lon: float = 35.3689):
    """A copy with every location placed in Saida."""
    doc = copy.deepcopy(doc)
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "latitude" in node:
                node["latitude"], node["longitude"] = lat, lon
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return doc


def as_bytes(doc) -> bytes:
    return json.dumps(doc).encode("utf-8")


def by_id(records):
    return {r.id: r for r in records}


# --------------------------------------------------------------------------------------------------
# The official examples


@pytest.mark.parametrize("kind", KINDS)
def test_official_examples_validate_against_the_plain_schemas(kind, official):
    # The schema alone accepts latitude 100: the range check is ours.
    assert list(official[kind].iter_errors(example(kind))) == []


@pytest.mark.parametrize("kind", KINDS)
def test_official_example_latitude_rejected_with_its_path_while_the_rest_is_read(kind, schemas):
    result = read(as_bytes(example(kind)), schemas=schemas)

    assert [e.path for e in result.errors] == LATITUDE_PATHS[kind]
    for e in result.errors:
        assert "latitude 100 is out of range" in e.message and "-90 and 90" in e.message
    assert not result.ok
    # The rest of the file is still reported.
    [org] = result.organisations
    assert (org.id, org.name, org.email, org.website) == (
        ORG_ID,
        "Example Organization Inc.",
        "email@example.com",
        "http://example.com",
    )
    [service] = result.services
    assert (service.id, service.organisation_id, service.name, service.status) == (
        SERVICE_ID,
        ORG_ID,
        "Community Counselling",
        "active",
    )
    assert service.languages == ["ur"]
    assert service.eligibility.startswith("This service is intended for all people aged 12 and over")
    assert (service.minimum_age, service.maximum_age) == (12, 100)
    assert [c.name for c in service.contacts] == ["Ann Persona"]
    [location] = result.locations
    assert (location.id, location.organisation_id, location.name) == (
        LOCATION_ID,
        ORG_ID,
        "MyCity Civic Center",
    )
    assert (location.latitude, location.longitude) == (100, 101)  # kept for the report, flagged as an error
    assert (location.address_1, location.city, location.postal_code, location.country) == (
        "1-30 Main Street",
        "MyCity",
        "ABC 1234",
        "US",
    )
    assert [(x.id, x.service_id, x.location_id) for x in result.service_at_locations] == [
        (SAL_ID, SERVICE_ID, LOCATION_ID)
    ]


def test_official_example_quirks_are_warnings(schemas):
    result = read(as_bytes(example("organization")), schemas=schemas)
    warnings = [str(w) for w in result.warnings]
    # Phone numbers are written with literal quote marks in the examples.
    assert (
        '/phones/0/number: the phone number "+44 1234 234567" is wrapped in quote marks: they were removed'
        in warnings
    )
    assert result.organisations[0].phones == ["+44 1234 234567"]
    assert any(
        w.startswith("/: service fields Tamasuk does not keep were not imported: ") and "schedules" in w
        for w in warnings
    )


@pytest.mark.parametrize("kind", KINDS)
def test_official_examples_with_fixed_coordinates_read_without_error(kind, schemas):
    result = read(as_bytes(fix_coordinates(example(kind))), schemas=schemas)
    assert result.errors == []
    assert result.ok
    [location] = result.locations
    assert (location.latitude, location.longitude) == (33.5631, 35.3689)
    assert len(result.organisations) == len(result.services) == len(result.service_at_locations) == 1


def test_a_list_and_an_api_page_of_examples_read_together(schemas):
    docs = [example(k) for k in KINDS]
    result = read(as_bytes(docs), schemas=schemas)
    assert [e.path for e in result.errors] == [
        "/0/locations/0/latitude",
        "/0/services/0/service_at_locations/0/location/latitude",
        "/1/service_at_locations/0/location/latitude",
        "/1/organization/locations/0/latitude",
        "/2/location/latitude",
        "/2/service/organization/locations/0/latitude",
    ]
    # One record each: the same organisation, service, location and link appear in all three.
    assert [len(result.organisations), len(result.services), len(result.locations)] == [1, 1, 1]
    assert len(result.service_at_locations) == 1

    page = {"total_items": 1, "contents": [fix_coordinates(example("organization"))]}
    result = read(as_bytes(page), schemas=schemas)
    assert result.errors == [] and len(result.services) == 1


# --------------------------------------------------------------------------------------------------
# Strict checks


def test_every_problem_is_reported_with_its_path(schemas):
    doc = fix_coordinates(example("organization"))
    doc["id"] = "org-1"
    del doc["name"]
    doc["email"] = "not an email"
    service = doc["services"][0]
    service["status"] = "open"
    service["assured_date"] = "2024-02-30"
    service["last_modified"] = "2023-03-15T10:30:45"  # no time zone
    service["minimum_age"] = 70
    service["maximum_age"] = 12
    location = doc["locations"][0]
    location["latitude"] = -91.5
    location["longitude"] = 180.5
    nested = service["service_at_locations"][0]["location"]
    del nested["longitude"]
    service["schedules"][0]["valid_from"] = "01/02/2024"
    service["url"] = "example.com/counselling"

    result = read(as_bytes(doc), schemas=schemas)
    got = [str(e) for e in result.errors]
    assert got == [
        "/name: 'name' is required but missing (an organization needs id, name, description)",
        '/id: "org-1" is not a UUID: an HSDS id is written as 8-4-4-4-12 hexadecimal digits, such as '
        "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
        '/email: "not an email" is not an email address (name@example.org)',
        "/locations/0/latitude: latitude -91.5 is out of range: a latitude in decimal degrees (WGS84) lies "
        "between -90 and 90; correct the coordinates or leave both latitude and longitude out",
        "/locations/0/longitude: longitude 180.5 is out of range: a longitude in decimal degrees (WGS84) lies "
        "between -180 and 180; correct the coordinates or leave both latitude and longitude out",
        '/services/0/url: "example.com/counselling" is not an absolute web address: write it with its '
        "scheme, such as https://example.org",
        "/services/0/status: \"open\" is not allowed here: use one of 'active', 'inactive', 'defunct', "
        "'temporarily closed'",
        "/services/0/minimum_age: minimum_age 70 is above maximum_age 12",
        "/services/0/assured_date: '2024-02-30' is not a date: write it as YYYY-MM-DD (such as 2024-03-15)",
        '/services/0/last_modified: "2023-03-15T10:30:45" is not a date and time with its time zone: write it '
        "as 2024-03-15T10:30:45Z",
        "/services/0/schedules/0/valid_from: '01/02/2024' is not a date: write it as YYYY-MM-DD (such as "
        "2024-03-15)",
        "/services/0/service_at_locations/0/location/longitude: the location gives a latitude but no "
        "longitude: give both or neither",
        # The nested copy of the location still has the old latitude: it must say what the first one says.
        "/services/0/service_at_locations/0/location: location 3a19ff88-4620-4d17-9830-ac1d859eb5d5 also "
        "appears at /locations/0 with a different latitude (-91.5 there, 33.5631 here): the same record "
        "must say the same thing everywhere",
    ]
    # Still reported: the records, as far as they go.
    assert result.organisations[0].id == "org-1" and result.organisations[0].name == ""
    assert result.services[0].status == "open"


def test_unreadable_files_are_one_error(schemas):
    assert read(b"{not json", schemas=schemas).errors == [
        HsdsError("", "not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2")
    ]
    assert read(b"\xff\xfe{}", schemas=schemas).errors[0].message.startswith("the file is not UTF-8 text")
    assert read(b"42", schemas=schemas).errors == [
        HsdsError("", "expected an HSDS object or a list of them, not 42")
    ]
    assert read(b"[]", schemas=schemas).errors == [
        HsdsError("", "the file holds no HSDS organization, service or service_at_location")
    ]


def test_a_link_without_its_ends_and_a_conflicting_service(schemas):
    service = fix_coordinates(example("service"))
    other = copy.deepcopy(service)
    other["name"] = "Another name"
    result = read(as_bytes([service, other]), schemas=schemas)
    assert [str(e) for e in result.errors] == [
        f'/1: service {SERVICE_ID} also appears at /0 with a different name ("Community Counselling" there, '
        '"Another name" here): the same record must say the same thing everywhere',
    ]
    # A bare link cannot be told from an organisation by its keys: the caller says what it is.
    link = {"id": stable_id("link"), "description": "Mondays"}
    result = read(as_bytes([link]), kind="service_at_location", schemas=schemas)
    assert [str(e) for e in result.errors] == [
        "/0/service_id: the link names no service: give service_id or nest it in its service",
        "/0/location_id: the link names no location: give location_id or a location object",
    ]


def test_kind_can_be_forced_and_unknown_kind_is_refused(schemas):
    doc = {"id": stable_id("x"), "name": "A service with no status", "description": "d"}
    # Its three fields are ones an organization, a program, a taxonomy and a taxonomy term all have: no kind
    # is assumed (issue 10, item 12). Named after what it holds, it is read as that.
    unnamed = read(as_bytes(doc), schemas=schemas)
    assert unnamed.organisations == [] and len(unnamed.errors) == 1
    assert unnamed.errors[0].message.startswith(
        "this object could be an organization, a program, a service_area, a taxonomy or a taxonomy_term")
    named = read(as_bytes(doc), schemas=schemas, file_name="organizations.json")
    assert named.errors == [] and named.organisations[0].name == "A service with no status"
    forced = read(as_bytes(doc), kind="service", schemas=schemas)
    assert [str(e) for e in forced.errors] == [
        "/status: 'status' is required but missing (a service needs id, name, status)"
    ]
    with pytest.raises(ValueError, match="kind must be one of"):
        read(as_bytes(doc), kind="program", schemas=schemas)


def test_schemas_are_found_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(SCHEMA_ENV, str(tmp_path))
    with pytest.raises(HsdsSchemaNotFound, match="organization.json is missing"):
        load_schemas()
    monkeypatch.setenv(SCHEMA_ENV, str(HSDS / "schema-compiled"))
    assert load_schemas().directory == (HSDS / "schema-compiled").resolve()


# --------------------------------------------------------------------------------------------------
# Writing


def sample():
    org = OrganisationRecord(
        id=stable_id("org", 1),
        name="Saida Health Network",
        description="Hospitals and clinics of Saida",
        email="network@example.org",
        website="https://saida.example.org",
        alternate_name="SHN",
        phones=["+961 7 123456"],
        contacts=[
            ContactRecord(
                id=stable_id("contact", 1),
                name="Focal Point",
                title="Coordinator",
                email="focal@example.org",
                phones=["+961 3 000000"],
            )
        ],
    )
    other = OrganisationRecord(id=stable_id("org", 2), name="Youth Club", description="")
    clinic = LocationRecord(
        id=stable_id("location", 1),
        organisation_id=org.id,
        name="Old City Clinic",
        latitude=33.5631,
        longitude=35.3689,
        address_1="Rue Riad el Solh",
        city="Saida",
        state_province="South",
        country="LB",
    )
    shelter = LocationRecord(
        id=stable_id("location", 2),
        organisation_id=org.id,
        name="Safe House",
        latitude=33.55,
        longitude=35.37,
        address_1="Secret street 4",
        city="Saida",
        state_province="South",
        postal_code="1600",
        country="LB",
    )
    club = LocationRecord(
        id=stable_id("location", 3), organisation_id=None, name="Community hall", location_type="physical"
    )
    vaccination = ServiceRecord(
        id=stable_id("service", 1),
        organisation_id=org.id,
        name="COVID-19 vaccination",
        description="Walk-in vaccination",
        status="active",
        languages=["ar", "en", "Armenian"],
        eligibility="Everyone over 12",
        url="https://saida.example.org/vaccines",
        email="vax@example.org",
        phones=["+961 7 222222"],
        minimum_age=12,
        maximum_age=None,
        service_areas=["Old City", "Haret Saida"],
        contacts=[ContactRecord(id=stable_id("contact", 2), name="Nurse desk")],
    )
    shelter_service = ServiceRecord(
        id=stable_id("service", 2),
        organisation_id=org.id,
        name="Women's shelter",
        description="Safe housing",
        status="active",
        email="shelter@example.org",
        phones=["+961 3 999999"],
        contacts=[
            ContactRecord(id=stable_id("contact", 3), name="Shelter manager", phones=["+961 3 888888"])
        ],
        confidential=True,
    )
    youth = ServiceRecord(
        id=stable_id("service", 3),
        organisation_id=other.id,
        name="Sports evenings",
        status="temporarily closed",
    )
    links = [
        ServiceAtLocationRecord(id=stable_id("sal", 1), service_id=vaccination.id, location_id=clinic.id),
        ServiceAtLocationRecord(
            id=stable_id("sal", 2), service_id=shelter_service.id, location_id=shelter.id
        ),
        ServiceAtLocationRecord(
            id=stable_id("sal", 3), service_id=youth.id, location_id=club.id, description="Tuesdays"
        ),
    ]
    return [org, other], [vaccination, shelter_service, youth], [clinic, shelter, club], links


def public_sample():
    orgs, services, locations, links = sample()
    return (orgs, *redact_confidential(services, locations, links))


def test_written_document_validates_against_the_official_schemas(schemas, official):
    doc = write(*public_sample())
    assert doc["total_items"] == 2 and doc["first_page"] and not doc["empty"]
    for item in doc["contents"]:
        assert list(official["organization"].iter_errors(item)) == []
    assert validate(doc, schemas=schemas) == []
    # Each nested service and link also validates on its own.
    for item in doc["contents"]:
        for service in item.get("services", []):
            assert list(official["service"].iter_errors(service)) == []
            for link in service.get("service_at_locations", []):
                assert list(official["service_at_location"].iter_errors(link)) == []


def test_round_trip_gives_the_same_records(schemas):
    orgs, services, locations, links = public_sample()
    doc = write(orgs, services, locations, links)
    result = read(json.dumps(doc).encode(), schemas=schemas)
    assert result.errors == []
    assert result.warnings == []
    assert result.organisations == orgs
    # HSDS has no confidential flag: what is read is not confidential until the city says so.
    assert by_id(result.services) == by_id(dataclasses.replace(s, confidential=False) for s in services)
    assert by_id(result.locations) == by_id(locations)
    assert by_id(result.service_at_locations) == by_id(links)
    # Writing again gives the same document: derived ids are stable.
    assert write(result.organisations, result.services, result.locations, result.service_at_locations) == doc


def test_official_example_round_trip(schemas, official):
    first = read(as_bytes(fix_coordinates(example("organization"))), schemas=schemas)
    assert first.ok
    doc = write(first.organisations, first.services, first.locations, first.service_at_locations)
    assert validate(doc, schemas=schemas) == []
    assert list(official["organization"].iter_errors(doc["contents"][0])) == []
    again = read(json.dumps(doc).encode(), schemas=schemas)
    assert again.errors == []
    assert (again.organisations, again.services, again.locations, again.service_at_locations) == (
        first.organisations,
        first.services,
        first.locations,
        first.service_at_locations,
    )


def test_redaction_removes_the_confidential_location_and_contact():
    orgs, services, locations, links = sample()
    red = redact_confidential(services, locations, links)
    shelter = by_id(red.services)[stable_id("service", 2)]
    assert (shelter.email, shelter.phones, shelter.contacts) == ("", [], [])
    assert shelter.name == "Women's shelter" and shelter.description == "Safe housing"
    assert stable_id("location", 2) not in by_id(red.locations)
    assert [x.id for x in red.service_at_locations] == [stable_id("sal", 1), stable_id("sal", 3)]
    # The inputs are untouched; other services keep their contacts.
    assert services[1].contacts and len(locations) == 3
    assert by_id(red.services)[stable_id("service", 1)].contacts == services[0].contacts

    text = json.dumps(write(orgs, *red))
    for secret in (
        "Safe House",
        "Secret street",
        "33.55",
        "shelter@example.org",
        "+961 3 999999",
        "Shelter manager",
        "+961 3 888888",
        stable_id("location", 2),
        stable_id("sal", 2),
    ):
        assert secret not in text
    assert "Women's shelter" in text and "Old City Clinic" in text


def test_a_location_shared_with_a_confidential_service_is_removed_for_everyone():
    orgs, services, locations, links = sample()
    shared = [
        *links,
        ServiceAtLocationRecord(
            id=stable_id("sal", 4), service_id=stable_id("service", 1), location_id=stable_id("location", 2)
        ),
    ]
    red = redact_confidential(services, locations, shared)
    assert stable_id("location", 2) not in by_id(red.locations)
    assert stable_id("sal", 4) not in by_id(red.service_at_locations)


def test_write_refuses_an_unredacted_confidential_service():
    orgs, services, locations, links = sample()
    with pytest.raises(ConfidentialLeak) as exc:
        write(orgs, services, locations, links)
    message = str(exc.value)
    assert "is confidential but still has email, phones, contacts" in message
    assert f"linked to location(s) {stable_id('location', 2)}" in message
    assert "redact_confidential()" in message
    # Contacts cleared but the location kept: still refused, unless locations are left out.
    cleared = [
        ServiceRecord(**{**s.__dict__, "email": "", "phones": [], "contacts": []}) if s.confidential else s
        for s in services
    ]
    with pytest.raises(ConfidentialLeak, match="linked to location"):
        write(orgs, cleared, locations, links)
    doc = write(orgs, cleared, locations, links, include_locations=False)
    assert "Safe House" not in json.dumps(doc)


def test_include_locations_flag_and_function(schemas):
    orgs, services, locations, links = public_sample()
    none = write(orgs, services, locations, links, include_locations=False)
    text = json.dumps(none)
    assert '"locations"' not in text and "service_at_locations" not in text and "Old City Clinic" not in text
    assert validate(none, schemas=schemas) == []
    only_clinic = write(
        orgs, services, locations, links, include_locations=lambda loc: loc.name == "Old City Clinic"
    )
    result = read(json.dumps(only_clinic).encode(), schemas=schemas)
    assert [loc.name for loc in result.locations] == ["Old City Clinic"]
    assert [x.id for x in result.service_at_locations] == [stable_id("sal", 1)]


def test_write_refuses_what_hsds_cannot_hold():
    orgs, services, locations, links = public_sample()
    bad_org = OrganisationRecord(id="42", name="Integer key")
    bad_service = ServiceRecord(
        id=stable_id("service", 9), organisation_id=stable_id("org", 99), name="Orphan", status="open"
    )
    bad_location = LocationRecord(
        id=stable_id("location", 9), organisation_id=orgs[0].id, latitude=100, longitude=101
    )
    with pytest.raises(ValueError) as exc:
        write([*orgs, bad_org], [*services, bad_service], [*locations, bad_location], links)
    message = str(exc.value)
    assert "organisation id '42' is not a UUID (use stable_id() to derive one)" in message
    assert f"its organisation {stable_id('org', 99)} is not given" in message
    assert "status 'open' is not one of active, inactive, defunct, temporarily closed" in message
    assert "latitude 100 is out of range [-90, 90]" in message


def test_stable_id_is_a_deterministic_uuid():
    assert stable_id("organisation", 7, 12) == stable_id("organisation", 7, 12)
    assert stable_id("organisation", 7, 12) != stable_id("organisation", 7, 13)
    assert UUID_RE.match(stable_id("x"))
