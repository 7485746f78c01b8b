"""Issue 17, items 8 and 9: what a bot or an unlucky user sends is answered with a clear 4xx, never a 500, and the
API's OpenAPI document says what it answers. Run on PostgreSQL too (DATABASE_URL), where NUL bytes break queries."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_a_new_activity_in_a_plan_without_a_national_framework(client_for, city, users):
    from tamasuk.plans import services

    plan = services.create_plan(actor=users["coordinator"], city=city, title="Local only", start_year=2025,
                                end_year=2027)
    r = client_for("coordinator").get(f"/c/{city.slug}/plans/{plan.pk}/activity/new/")
    assert r.status_code == 200
    assert not list(r.context["form"].fields["national_pillars"].queryset)


@pytest.mark.parametrize("url", [
    "/c/mombasa/%00/", "/c/mom%00basa/", "/c/mombasa/services/?q=a%00b", "/c/mombasa/services/?a%00=1",
])
def test_a_nul_byte_in_a_page_address_is_a_400(client_for, url):
    r = client_for("coordinator").get(url)
    assert r.status_code == 400
    assert "could not be read" in r.content.decode()


@pytest.mark.parametrize("url", [
    f"{API}/cities/mom%00basa", f"{API}/cities/mombasa/areas/a%00b",
    f"{API}/cities/mombasa/observations?indicator=a%00b", f"{API}/cities/mombasa/observations?period=%00",
])
def test_a_nul_byte_in_an_api_address_is_a_400_saying_so(client_for, url):
    r = client_for("coordinator").get(url)
    assert r.status_code == 400
    assert "NUL" in r.json()["detail"]


@pytest.mark.parametrize(("query", "where"), [
    ("offset=-1", "offset"), ("offset=9223372036854775808", "offset"), ("offset=99999999999999999999", "offset"),
])
def test_an_observation_page_out_of_range_is_a_422_naming_the_parameter(client_for, query, where):
    r = client_for("coordinator").get(f"{API}/cities/mombasa/observations?{query}")
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["loc"][-1] == where and problem["msg"]


@pytest.mark.parametrize(("query", "where"), [
    ("until=0", "until"), ("year=0", "year"), ("year=99999999999", "year"),
])
def test_report_counts_refuse_what_is_not_a_date_or_a_year(client_for, query, where):
    r = client_for("coordinator").get(f"{API}/cities/mombasa/reports/counts?{query}")
    assert r.status_code == 422, r.content
    assert r.json()["detail"][0]["loc"][-1] == where


def test_the_openapi_document_names_each_schema_once_and_declares_what_can_be_answered(client_for):
    doc = client_for("coordinator").get(f"{API}/openapi.json").json()
    schemas = doc["components"]["schemas"]

    def ref(name):
        return {"$ref": f"#/components/schemas/{name}"}

    # The indicators endpoint is documented with the city's indicators, the plan with its own.
    listed = doc["paths"][f"{API}/cities/{{slug}}/indicators"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"]["items"] == ref("CityIndicatorOut")
    assert set(schemas["CityIndicatorOut"]["properties"]) >= {"direction", "theme", "hxl_tag"}
    assert schemas["PlanDetailOut"]["properties"]["indicators"]["items"] == ref("PlanIndicatorOut")
    assert "IndicatorOut" not in schemas
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            answers = operation["responses"]
            typed = [p for p in operation.get("parameters", []) if p["schema"].get("type") != "string"
                     or p["schema"].get("format")]
            if typed or any("anyOf" in p["schema"] for p in operation.get("parameters", [])):
                assert "422" in answers, path
            if operation.get("parameters"):
                assert "400" in answers, path  # a NUL in the address


# ---- every GET parameter of the API, fuzzed: never a 500 ----

_NASTY_TEXT = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=string.printable + "\x00\u202e٣", min_size=1, max_size=12),
    st.integers().map(str),
    st.sampled_from(["-1", "0", "9223372036854775808", "1e309", "NaN", "0000-00-00", "9999-12-31", "0001-01-01",
                     "2024-02-30", "1970-01-01T00:00:00", "x" * 5000, "\x00", "%00", "../..", "null"]),
)


def _operations():
    from tamasuk.api.api import api

    doc = api.get_openapi_schema(path_prefix=API + "/")
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if method == "get":
                yield path, [(p["name"], p["in"]) for p in operation.get("parameters", [])]


@pytest.fixture(scope="module")
def operations(django_db_blocker):
    with django_db_blocker.unblock():
        return list(_operations())


def test_every_api_get_parameter_answers_without_a_500(client_for, operations):
    from urllib.parse import quote

    client = client_for("coordinator")
    client.raise_request_exception = False  # a 500 is what is counted, not a traceback

    @settings(max_examples=100, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def probe(data):
        path, params = data.draw(st.sampled_from(operations))
        query = {}
        for name, where in params:
            value = "mombasa" if name == "slug" and data.draw(st.booleans()) else data.draw(_NASTY_TEXT)
            if where == "path":
                path = path.replace(f"{{{name}}}", quote(value, safe="") or "x")
            elif data.draw(st.booleans()):
                query[name] = value
        r = client.get(path, query)
        assert r.status_code < 500, (path, query, r.content[:300])

    probe()
