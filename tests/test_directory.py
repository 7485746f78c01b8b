"""The directory: who does what where; a focal point edits only its own organisation; confidential stays inside."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tamasuk.audit.models import AuditEvent
from tamasuk.network.directory.services import organisation_token
from tamasuk.network.models import Organisation, Service

SECRET = "Synthetic confidential address 7"
SECRET_PHONE = "+254 799 000 111"


@pytest.fixture
def shelter(db):
    return Service.objects.get(name="Safe house", confidential=True)


def _pages(city, shelter):
    org = shelter.organisation
    return [reverse("network:directory", args=[city.slug]),
            reverse("network:directory", args=[city.slug]) + "?sector=protection",
            reverse("network:organisation", args=[city.slug, org.pk])]


@pytest.mark.parametrize("role", ["member"])
def test_a_confidential_location_never_reaches_the_network(city, shelter, client_for, role):
    for url in _pages(city, shelter):
        html = client_for(role).get(url).content.decode()
        # the service is known to exist (in the directory's list), but not under its organisation...
        assert ("Safe house" in html) == url.endswith("?sector=protection") or url.endswith("/directory/")
        assert SECRET not in html and SECRET_PHONE not in html  # ...nor where it is, nor how to call


@pytest.mark.parametrize("role", ["admin", "coordinator", "analyst", "auditor"])
def test_the_city_team_sees_the_confidential_location(city, shelter, client_for, role):
    html = client_for(role).get(reverse("network:organisation", args=[city.slug, shelter.organisation.pk]))
    assert SECRET in html.content.decode()


def test_no_page_or_api_route_leaks_the_confidential_location_to_anyone_outside_the_city_team(
        city, shelter, client_for):
    """Walk every GET URL the permission matrix declares, as each role outside the city team."""
    from django.urls import reverse as rev

    from test_permission_matrix import MATRIX

    org = shelter.organisation
    ids = {"pk": org.pk, "service_pk": shelter.pk, "slug": city.slug, "code": "KE00100301"}
    for role in ["member", "national", "national_other", "peer", "outsider", "anonymous"]:
        client = client_for(role)
        for name, (method, kwargs, _expected) in MATRIX.items():
            if method != "get":
                continue
            try:
                url = rev(name, kwargs={k: ids.get(k, v) for k, v in kwargs.items()})
            except Exception:  # noqa: BLE001 - a route whose arguments we cannot fill here
                continue
            body = client.get(url).content.decode(errors="replace")
            assert SECRET not in body and SECRET_PHONE not in body, f"{name} leaks it to {role}"


def test_a_focal_point_edits_its_own_organisation_and_nothing_else(city, users, client_for):
    own = users["member"].organisations.get()
    other = Organisation.objects.filter(city=city).exclude(pk=own.pk).first()
    c = client_for("member")
    data = {"name": own.name, "type": own.type, "sectors": own.sectors, "description": "We run football leagues.",
            "visibility": own.visibility, "is_member": "on", "opened": organisation_token(own)}
    before = AuditEvent.objects.count()
    assert c.post(reverse("network:edit_organisation", args=[city.slug, own.pk]), data).status_code == 302
    own.refresh_from_db()
    assert own.description == "We run football leagues." and AuditEvent.objects.count() == before + 1
    assert c.get(reverse("network:edit_organisation", args=[city.slug, other.pk])).status_code == 403
    assert c.post(reverse("network:edit_organisation", args=[city.slug, other.pk]),
                  {**data, "name": other.name}).status_code == 403
    assert c.get(reverse("network:new_service", args=[city.slug, other.pk])).status_code == 403


def test_a_focal_point_adds_a_service_with_checked_numbers(city, users, client_for):
    own = users["member"].organisations.get()
    url = reverse("network:new_service", args=[city.slug, own.pk])
    bad = client_for("member").post(url, {"name": "Mentoring", "sector": "youth", "areas": ["KE00100301"],
                                          "reached_f": 50, "reached_m": 60, "reached_total": 100})
    assert "The total is smaller than women plus men." in bad.content.decode()
    assert not Service.objects.filter(organisation=own, name="Mentoring").exists()
    ok = client_for("member").post(url, {"name": "Mentoring", "sector": "youth", "areas": ["KE00100301"],
                                         "reached_f": 50, "reached_m": 60, "reached_total": 110})
    assert ok.status_code == 302
    assert list(Service.objects.get(organisation=own, name="Mentoring").areas.values_list("code", flat=True)) == [
        "KE00100301"]


def test_the_api_withholds_the_confidential_location_from_the_network(city, shelter, client_for):
    url = reverse("api-1:list_organisations", args=[city.slug])
    network = client_for("member").get(url).content.decode()
    # the API nests services in their organisations: one whose organisation is withheld is not listed
    assert "Safe house" not in network and SECRET not in network and SECRET_PHONE not in network
    team = client_for("coordinator").get(url).content.decode()
    assert SECRET in team
    shelter.share_where_and_who = True
    shelter.save()
    network = client_for("member").get(url).content.decode()
    assert "Safe house" in network and SECRET not in network and SECRET_PHONE not in network
    assert '"withheld": true' in network.replace('":true', '": true')


def test_network_page_finds_that_health_and_police_never_work_together(city, client_for):
    html = client_for("member").get(reverse("network:network", args=[city.slug])).content.decode()
    assert "Health provider — Police" in html or "Police — Health provider" in html
    assert html.count("<circle") >= 80


def test_coverage_page_ranks_high_need_low_coverage_wards(city, users, client_for):
    from tamasuk.mapping import services as mapping_services
    from tamasuk.network.models import Service

    ranked = [{"code": f"KE00100{s}0{w}", "score": 100.0 - 3 * (5 * (s - 1) + w), "rank": 5 * (s - 1) + w,
               "drivers": [], "name": "", "names": {}} for s in range(1, 7) for w in range(1, 6)]
    mapping_services.save_profile(actor=users["analyst"], city=city, name="Need", period="2025",
                                  spec={"level": 2}, results={"areas": ranked})
    top = "KE00100101"  # the neediest ward; make sure no health service covers it
    for s in Service.objects.filter(city=city, sector="health", areas__code=top):
        s.areas.remove(*s.areas.filter(code=top))
    html = client_for("analyst").get(reverse("network:coverage", args=[city.slug]), {"sector": "health"}
                                     ).content.decode()
    table = html[html.index("Wards with the largest gap"):]
    assert f"/areas/{top}/" in table[:table.index("</tr>", table.index("<tbody>"))]


def test_a_focal_point_records_a_link_from_its_own_organisation(city, users, client_for):
    from tamasuk.network.models import Link

    own = users["member"].organisations.get()
    police = Organisation.objects.filter(city=city, type="police").first()
    before = AuditEvent.objects.count()
    r = client_for("member").post(reverse("network:add_link", args=[city.slug, own.pk]),
                                  {"target": police.pk, "kind": "coordination", "strength": 4})
    assert r.status_code == 302
    assert Link.objects.filter(source=own, target=police, kind="coordination", strength=4).exists()
    assert AuditEvent.objects.count() == before + 1
    other = Organisation.objects.filter(city=city).exclude(pk=own.pk).first()
    assert client_for("member").post(reverse("network:add_link", args=[city.slug, other.pk]),
                                     {"target": police.pk, "kind": "referral"}).status_code == 403
