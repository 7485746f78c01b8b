"""Services: every write leaves exactly one audit event; a failed import writes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError

from tamasuk.api.services import create_token, revoke_token
from tamasuk.audit.models import AuditEvent
from tamasuk.cities import services
from tamasuk.cities.models import Area, City, Membership, Role
from tamasuk.interop.geojson import read_areas


@pytest.fixture
def count_events(db):
    start = AuditEvent.objects.count()
    return lambda: AuditEvent.objects.count() - start


def square(x, y, size=0.01):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": geom, "properties": props} for props, geom in features]}).encode()


def new_city(actor):
    return services.create_city(actor=actor, name="Blantyre", slug="blantyre", country="MWI", languages=["en"])


def test_create_city_writes_one_event(users, count_events):
    city = new_city("createadmin")  # an operator's command; no page creates a city
    assert count_events() == 1
    event = AuditEvent.objects.order_by("-pk").first()
    assert (event.action, event.object_id, event.actor_label) == ("city.create", str(city.pk), "createadmin")
    assert event.after_value["country"] == "MWI"


def test_city_country_must_be_iso_alpha3(users, count_events):
    with pytest.raises(ValidationError) as err:
        services.create_city(actor="createadmin", name="X", slug="x", country="KENYA", languages=["en"])
    assert "country" in err.value.message_dict
    assert count_events() == 0 and not City.objects.filter(slug="x").exists()


def test_membership_grant_change_revoke_each_write_one_event(users, city, count_events):
    m = services.grant_membership(actor=users["admin"], city=city, user=users["outsider"], role=Role.ANALYST)
    assert count_events() == 1
    services.change_membership(actor=users["admin"], membership=m, role=Role.COORDINATOR, ends_on=None)
    assert count_events() == 2
    services.revoke_membership(actor=users["admin"], membership=m)
    assert count_events() == 3
    actions = list(AuditEvent.objects.order_by("-pk").values_list("action", flat=True)[:3])
    assert actions == ["membership.revoke", "membership.change", "membership.grant"]


def test_auditor_needs_an_end_date_and_stops_after_it(users, city, count_events):
    from tamasuk.cities.permissions import Action, can

    with pytest.raises(ValidationError):
        services.grant_membership(actor=users["admin"], city=city, user=users["outsider"], role=Role.AUDITOR)
    assert count_events() == 0
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    today = timezone.localdate(timezone=ZoneInfo(city.time_zone))  # the city's day, not the server's
    m = services.grant_membership(actor=users["admin"], city=city, user=users["outsider"], role=Role.AUDITOR,
                                  ends_on=today)
    assert can(users["outsider"], Action.VIEW_AUDIT, city)
    m.ends_on = today - dt.timedelta(days=1)
    m.save()
    fresh = type(users["outsider"]).objects.get(pk=users["outsider"].pk)
    assert not can(fresh, Action.VIEW_AUDIT, city)


def test_last_admin_cannot_be_removed(users, city, count_events):
    admin = Membership.objects.get(city=city, role=Role.ADMIN)
    with pytest.raises(ValidationError, match="last administrator"):
        services.revoke_membership(actor=users["admin"], membership=admin)
    with pytest.raises(ValidationError, match="last administrator"):
        services.change_membership(actor=users["admin"], membership=admin, role=Role.ANALYST, ends_on=None)
    assert count_events() == 0 and Membership.objects.filter(pk=admin.pk, role=Role.ADMIN).exists()


def test_population_parts_must_add_up(users, city, count_events):
    ward = Area.objects.filter(city=city, level=2).first()
    with pytest.raises(ValidationError, match="add up to 30, not 31"):
        services.set_population(actor=users["admin"], area=ward, total=31, detail={"f": {"0-14": 10}, "m": {"0-14": 20}})
    assert count_events() == 0
    services.set_population(actor=users["admin"], area=ward, total=30, detail={"f": {"0-14": 10}, "m": {"0-14": 20}})
    assert count_events() == 1


def test_tokens_are_stored_hashed_and_revocable(users, count_events):
    from tamasuk.api.models import ApiToken
    from tamasuk.api.services import user_for_token

    token, secret = create_token(actor=users["analyst"], name="dashboard")
    assert count_events() == 1
    assert secret not in {token.token_hash, token.prefix} and not ApiToken.objects.filter(token_hash=secret).exists()
    assert user_for_token(secret) == users["analyst"]
    revoke_token(actor=users["analyst"], token=token)
    assert count_events() == 2
    assert user_for_token(secret) is None


def test_area_import_creates_updates_and_is_idempotent(users, count_events):
    city = new_city("createadmin")
    data = collection(({"code": "MW315", "name": "Blantyre City"}, square(35.0, -15.8, 0.1)),
                      ({"code": "MW31501", "name": "Ward 1", "parent": "MW315"}, square(35.0, -15.8)),
                      ({"code": "MW31502", "name": "Ward 2", "parent": "MW315"}, square(35.01, -15.8)))
    read = lambda d: read_areas(d, code_property="code", name_property="name", parent_property="parent")  # noqa: E731
    report = services.import_areas(actor="cli", city=city, result=read(data))
    assert report.ok and sorted(report.created) == ["MW315", "MW31501", "MW31502"]
    assert count_events() == 1 + 3
    ward = Area.objects.get(city=city, code="MW31502")
    assert (ward.level, ward.parent.code) == (2, "MW315")
    assert ward.bbox == pytest.approx((35.01, -15.8, 35.02, -15.79))

    again = services.import_areas(actor="cli", city=city, result=read(data))
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 3
    assert count_events() == 4  # nothing changed, nothing written

    renamed = data.replace(b'"Ward 2"', b'"Ward Two"')
    dry = services.import_areas(actor="cli", city=city, result=read(renamed), dry_run=True)
    assert dry.updated == ["MW31502"] and count_events() == 4
    assert Area.objects.get(city=city, code="MW31502").name == "Ward 2"
    real = services.import_areas(actor="cli", city=city, result=read(renamed))
    assert real.updated == ["MW31502"] and count_events() == 5
    assert Area.objects.get(city=city, code="MW31502").name == "Ward Two"


def test_a_failed_import_writes_nothing(users, count_events):
    city = new_city("createadmin")
    count_events_before = count_events()
    data = collection(({"code": "A", "name": "Good"}, square(35.0, -15.8)),
                      ({"code": "B", "name": "Bad latitude"}, square(35.0, -95.0)),
                      ({"code": "C", "name": "Orphan", "parent": "ZZ"}, square(35.1, -15.8)))
    result = read_areas(data, code_property="code", name_property="name", parent_property="parent")
    report = services.import_areas(actor="cli", city=city, result=result)
    assert not report.ok
    messages = [(e.index, e.field) for e in report.errors]
    assert any(i == 1 for i, _ in messages) and any(i == 2 and "parent" in f for i, f in messages)
    assert Area.objects.filter(city=city).count() == 0
    assert count_events() == count_events_before


def test_reimport_cannot_put_an_area_inside_itself(users, city, count_events):
    """Moving a sub-county under one of its own wards would loop the hierarchy: refused, nothing written."""
    ward = Area.objects.get(city=city, code="KE00100301")
    data = collection(({"code": "KE001003", "name": "Kisauni", "parent": "KE00100301"}, ward.geometry))
    result = read_areas(data, code_property="code", name_property="name", parent_property="parent",
                        known_parent_codes={"KE00100301"})
    report = services.import_areas(actor="cli", city=city, result=result)
    assert not report.ok and "inside itself" in report.errors[0].message
    assert Area.objects.get(city=city, code="KE001003").parent_id is None
    assert count_events() == 0


def test_users_in_the_audit_log_can_still_be_deleted(users, count_events):
    create_token(actor=users["outsider"], name="x")
    users["outsider"].delete()  # the audit row keeps its actor's name; nothing tries to rewrite it
    event = AuditEvent.objects.order_by("-pk").first()
    assert event.actor_label == "outsider"
    from tamasuk.audit.queries import verify_chain

    assert verify_chain().ok


def test_a_city_admin_cannot_appoint_a_national_liaison(users, city, count_events):
    with pytest.raises(ValidationError, match="national liaison"):
        services.add_member(actor=users["admin"], city=city, username="newbie", email="", role=Role.NATIONAL,
                            ends_on=None)
    assert count_events() == 0


def test_demo_refuses_to_load_beside_real_cities(users):
    from tamasuk.cities import demo

    with pytest.raises(demo.DemoRefused, match="real cities"):
        demo.load(reset=True)
    assert City.objects.filter(slug="mombasa").exists()


def test_the_services_refuse_people_without_the_right(users, city):
    """Defence in depth (issue 11): the pages check first, and the services check again."""
    from django.core.exceptions import PermissionDenied

    member = Membership.objects.get(city=city, user=users["member"])
    ward = Area.objects.filter(city=city, level=2).first()
    refused = [
        lambda: new_city(users["admin"]),  # a city's administrator does not create cities
        lambda: services.grant_membership(actor=users["coordinator"], city=city, user=users["outsider"],
                                          role=Role.MEMBER),
        lambda: services.change_membership(actor=users["member"], membership=member, role=Role.ANALYST,
                                           ends_on=None),
        lambda: services.revoke_membership(actor=users["peer"], membership=member),
        lambda: services.add_member(actor=users["analyst"], city=city, username="new-one", email="", role=Role.MEMBER,
                                    ends_on=None),
        lambda: services.create_user(actor=users["coordinator"], username="new-two", city=city),
        lambda: services.create_user(actor=users["admin"], username="new-three"),
        lambda: services.set_population(actor=users["member"], area=ward, total=10),
        lambda: services.update_city_settings(actor=users["analyst"], city=city, languages=city.languages,
                                              arabic_digits="latn", coverage_threshold=70, small_count_threshold=5),
        lambda: services.import_areas(actor=users["analyst"], city=city, result=read_areas(collection(),
                                                                                            code_property="code",
                                                                                            name_property="name")),
    ]
    for call in refused:
        with pytest.raises(PermissionDenied):
            call()
    assert Membership.objects.filter(city=city, user=users["member"], role=Role.MEMBER).exists()
