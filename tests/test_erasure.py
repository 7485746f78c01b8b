"""Erasure requests: a person's contact details leave every page, export and evidence pack, and the audit chains
still verify — and still catch any change nobody recorded."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from tamasuk.audit.models import ERASE_ACTION, INSTALLATION_CHAIN, AuditEvent
from tamasuk.audit.queries import find_person, verify_chain
from tamasuk.audit.services import forget_person, record
from tamasuk.network.directory import services as network_services
from tamasuk.network.models import Organisation, Service
from test_evidence_pack import chain_problem, manifest_problems
from test_permission_matrix import MATRIX, refs  # noqa: F401 - refs is a fixture used through getfixturevalue
from test_review_report import reviewed  # noqa: F401 - a fixture used through getfixturevalue

PHONE, EMAIL, NAME = "+254 733 555 019", "amina.focal@example.org", "Amina Focal"


@pytest.fixture
def focal_point(db, city, users):
    """A focal point whose details are on an organisation and a service, and in audit payloads written the way
    the log used to write them (before contact details were kept out): in the city's chain and the installation's."""
    org = users["member"].organisations.get()
    Organisation.objects.filter(pk=org.pk).update(focal_point_name=NAME, focal_point_email=EMAIL,
                                                  focal_point_phone=PHONE)
    service = org.services.first()
    Service.objects.filter(pk=service.pk).update(contact=PHONE)
    with transaction.atomic():
        legacy = [
            record(actor="admin", action="organisation.update", obj=org, city=city,
                   after={"focal_point_name": NAME, "focal_point_email": EMAIL, "focal_point_phone": PHONE}),
            record(actor="admin", action="user.create", object_type="auth.user", object_id=users["member"].pk,
                   after={"username": "member", "email": EMAIL}),
        ]
    org.refresh_from_db()
    return {"org": org, "service": service, "legacy": legacy}


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _pack_text(data: bytes) -> str:
    pack = zipfile.ZipFile(io.BytesIO(data))
    return "\n".join(pack.read(n).decode("utf-8", "replace") for n in pack.namelist())


def _everything_shown(client_for, ids: dict, only: set[str] | None = None) -> dict[str, str]:
    """Every page, API answer and export the matrix declares, as each city-team role sees it (or `only` those,
    named "role url-name")."""
    shown = {}
    for role in ("admin", "coordinator", "member", "analyst", "auditor"):
        client = client_for(role)
        for name, (method, kwargs, expected) in MATRIX.items():
            if method != "get" or expected[role] != 200 or (only is not None and f"{role} {name}" not in only):
                continue
            url = reverse(name, kwargs={k: ids.get(v, v) for k, v in kwargs.items()})
            response = client.get(url)
            body = _body(response)
            shown[f"{role} {name}"] = _pack_text(body) if name == "plans:evidence_pack" else \
                body.decode("utf-8", "replace")
    # The audit log filtered to the organisation, where its payloads are listed.
    org_log = reverse("audit:audit", args=["mombasa"]) + f"?object_type=network.organisation&object_id={ids['member_org']}"
    shown["auditor audit log of the organisation"] = client_for("auditor").get(org_log).content.decode()
    return shown


def _holding(shown: dict[str, str], *values: str) -> list[str]:
    return sorted(where for where, text in shown.items()
                  if any(v in text for v in values))


def test_an_erasure_request_removes_a_focal_points_phone_from_every_page_export_and_pack(
        request, focal_point, client_for, city, users):
    ids = request.getfixturevalue("refs")
    # Before: the phone is where a focal point's phone is shown (a page, the API, the pack, the audit log).
    places = {"admin network:organisation", "admin api-1:list_organisations", "auditor plans:evidence_pack",
              "auditor audit log of the organisation"}
    assert set(_holding(_everything_shown(client_for, ids, only=places), PHONE)) == places

    response = client_for("admin").post(reverse("audit:forget_person", args=["mombasa"]),
                                        {"phone": PHONE, "reason": "Her request of 2 June, by email",
                                         "confirm": "1"})
    assert response.status_code == 302

    after = _everything_shown(client_for, ids)
    assert _holding(after, PHONE, EMAIL, NAME) == []
    focal_point["org"].refresh_from_db()
    assert focal_point["org"].focal_point_phone == ""

    # Both chains still verify and say how many payloads were erased by request.
    mine, installation = verify_chain(city=city), verify_chain(chain=INSTALLATION_CHAIN)
    assert (mine.ok, installation.ok) == (True, True), (mine.problem, installation.problem)
    assert (mine.erased, installation.erased) == (1, 1)
    page = client_for("auditor").get(reverse("audit:audit", args=["mombasa"])).content.decode()
    assert "Chain intact, 1 payloads erased by request" in page
    # The pack verifies independently, the README's own script included, and reports the erasure.
    pack_bytes = _body(client_for("auditor").get(reverse("plans:evidence_pack", args=["mombasa", ids["plan"]])))
    pack = zipfile.ZipFile(io.BytesIO(pack_bytes))
    assert manifest_problems(pack) == [] and chain_problem(pack) is None


def test_the_readme_script_accepts_an_erasure_and_catches_a_changed_payload(request, focal_point, users, city,
                                                                            tmp_path):
    ids = request.getfixturevalue("refs")
    from tamasuk.plans import evidence_pack
    from tamasuk.plans.models import Plan

    forget_person(actor=users["admin"], city=city, reason="request", phone=PHONE)
    data = evidence_pack.build(users["auditor"], Plan.objects.get(pk=ids["plan"]))
    pack = zipfile.ZipFile(io.BytesIO(data))
    script = re.search(r"```python\n(.*?)```", pack.read("README.md").decode(), re.S).group(1)
    pack.extractall(tmp_path / "good")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path / "good", capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "audit chain intact, 1 payloads erased by request" in run.stdout

    lines = pack.read("audit/events.jsonl").decode().splitlines()
    seq = AuditEvent.objects.get(chain=city.pk, action="plan.review.adopt").seq  # an intact payload: change it
    event = json.loads(lines[seq - 1])
    event["payload"] = json.dumps({"after": {"forged": True}, "before": None}, separators=(",", ":"))
    lines[seq - 1] = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    (tmp_path / "bad" / "audit").mkdir(parents=True)
    pack.extractall(tmp_path / "bad")
    (tmp_path / "bad" / "audit" / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path / "bad", capture_output=True, text=True)
    assert run.returncode != 0 and f"the payload of event #{seq} was altered" in run.stderr


def test_the_erasure_is_recorded_with_its_reason_and_without_the_values(focal_point, users, city):
    result = forget_person(actor=users["admin"], city=city, reason="  request of 2 June ", email=EMAIL)
    erasures = {e.chain: e for e in result.erasures}
    assert set(erasures) == {city.pk, INSTALLATION_CHAIN}
    mine = AuditEvent.objects.select_related("payload").get(pk=erasures[city.pk].pk)
    assert (mine.action, mine.actor_label) == (ERASE_ACTION, "admin")
    assert mine.after_value["reason"] == "request of 2 June"
    assert mine.after_value["erased"] == [focal_point["legacy"][0].seq]
    assert {r["object_type"] for r in mine.after_value["records"]} == {"network.organisation", "network.service"}
    for erasure in result.erasures:
        body = AuditEvent.objects.select_related("payload").get(pk=erasure.pk).payload.body
        assert PHONE not in body and EMAIL not in body and NAME not in body
    assert AuditEvent.objects.get(pk=focal_point["legacy"][1].pk).is_erased


def test_forget_by_account_blanks_the_account_too(focal_point, users, city):
    from django.contrib.auth import get_user_model

    member = users["member"]
    get_user_model().objects.filter(pk=member.pk).update(email=EMAIL, first_name="Amina", last_name="Focal")
    forget_person(actor=users["admin"], city=city, reason="request", username="member")
    member.refresh_from_db()
    assert (member.email, member.first_name, member.last_name, member.username) == ("", "", "", "member")
    focal_point["org"].refresh_from_db()
    assert (focal_point["org"].focal_point_name, focal_point["org"].focal_point_email,
            focal_point["org"].focal_point_phone) == ("", "", "")
    assert Service.objects.get(pk=focal_point["service"].pk).contact == ""


def test_an_account_of_another_city_is_not_this_citys_to_erase(db, users, city):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="not this city's to erase"):
        find_person(city, username="peer")


def test_a_reason_is_required_and_nothing_changes_without_one(focal_point, users, city):
    from django.core.exceptions import ValidationError

    count = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="Say why"):
        forget_person(actor=users["admin"], city=city, reason=" ", phone=PHONE)
    assert AuditEvent.objects.count() == count
    assert Organisation.objects.get(pk=focal_point["org"].pk).focal_point_phone == PHONE


def test_dry_run_lists_and_changes_nothing(focal_point, city):
    out = io.StringIO()
    count = AuditEvent.objects.count()
    call_command("forget_person", "--city", "mombasa", "--phone", PHONE, "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"organisation #{focal_point['org'].pk}" in text and "focal_point_phone" in text
    assert f"service #{focal_point['service'].pk}" in text
    assert f"mombasa event #{focal_point['legacy'][0].seq}" in text
    assert f"installation event #{focal_point['legacy'][1].seq}" in text
    assert "Dry run" in text and AuditEvent.objects.count() == count
    assert Organisation.objects.get(pk=focal_point["org"].pk).focal_point_phone == PHONE


def test_the_command_needs_a_city_administrator(focal_point, city):
    from django.core.management.base import CommandError

    for actor in ("", "coordinator", "peer"):
        with pytest.raises(CommandError, match="administrator"):
            call_command("forget_person", "--city", "mombasa", "--phone", PHONE, "--reason", "x", "--actor", actor,
                         stdout=io.StringIO())
    out = io.StringIO()
    call_command("forget_person", "--city", "mombasa", "--phone", PHONE, "--reason", "x", "--actor", "admin",
                 stdout=out)
    assert "Erased: 2 audit payloads" in out.getvalue()


def test_the_page_previews_then_erases(focal_point, client_for):
    url = reverse("audit:forget_person", args=["mombasa"])
    admin = client_for("admin")
    page = admin.get(url).content.decode()
    assert "Erase a person" in page and 'name="reason"' in page
    preview = admin.post(url, {"phone": PHONE}).content.decode()
    assert "What would be erased" in preview and focal_point["org"].name in preview
    assert "2 entries of the audit log" in preview
    assert Organisation.objects.get(pk=focal_point["org"].pk).focal_point_phone == PHONE
    refused = admin.post(url, {"phone": PHONE, "confirm": "1"}).content.decode()
    assert "Say why" in refused
    assert Organisation.objects.get(pk=focal_point["org"].pk).focal_point_phone == PHONE
    nothing = admin.post(url, {}).content.decode()
    assert "account, email, phone or name." in nothing
    done = admin.post(url, {"phone": PHONE, "reason": "request", "confirm": "1"}, follow=True).content.decode()
    assert "Erased: 2 audit payloads and 2 records" in done
    assert Organisation.objects.get(pk=focal_point["org"].pk).focal_point_phone == ""
    # Only the city's administrator: a coordinator's POST is refused too.
    assert client_for("coordinator").post(url, {"phone": PHONE, "reason": "x", "confirm": "1"}).status_code == 403


def test_contact_details_never_enter_new_payloads(db, city, users):
    org = users["member"].organisations.get()
    network_services.update_organisation(actor=users["coordinator"], organisation=org, focal_point_phone=PHONE,
                                         focal_point_email=EMAIL, focal_point_name=NAME)
    event = AuditEvent.objects.select_related("payload").order_by("-pk").first()
    assert event.action == "organisation.update"
    assert PHONE not in event.payload.body and EMAIL not in event.payload.body and NAME not in event.payload.body
    assert set(event.after_value["focal_point_changed"]) == {"focal_point_phone", "focal_point_email",
                                                             "focal_point_name"}
    from tamasuk.cities.services import create_user

    create_user(actor=users["admin"], username="newcomer", email=EMAIL, city=city)
    event = AuditEvent.objects.select_related("payload").order_by("-pk").first()
    assert event.action == "user.create" and EMAIL not in event.payload.body
    assert event.after_value == {"username": "newcomer", "email_recorded": True}


def test_a_longer_number_that_starts_the_same_is_not_erased(focal_point, users, city):
    with transaction.atomic():
        neighbour = record(actor="admin", action="organisation.update", obj=focal_point["org"], city=city,
                           after={"focal_point_phone": PHONE + "1"})
    assert neighbour.pk not in {e.pk for e in find_person(city, phone=PHONE).events[city.pk]}
    forget_person(actor=users["admin"], city=city, reason="request", phone=PHONE)
    assert AuditEvent.objects.get(pk=neighbour.pk).after_value == {"focal_point_phone": PHONE + "1"}


def test_after_an_erasure_tampering_is_still_caught(focal_point, users, city):
    with transaction.atomic():
        event = record(actor="admin", action="test.intact", object_type="test", object_id=1, city=city)
    forget_person(actor=users["admin"], city=city, reason="request", phone=PHONE)
    assert verify_chain(city=city).ok
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("SET CONSTRAINTS ALL IMMEDIATE")
            c.execute("ALTER TABLE audit_auditpayload DISABLE TRIGGER USER")
        else:
            c.execute("DROP TRIGGER audit_payload_only_erasure")
        c.execute("UPDATE audit_auditpayload SET body = '\"erased by request\"' WHERE event_id = %s", [event.pk])
    status = verify_chain(city=city)
    assert (status.ok, status.broken_seq) == (False, event.seq)


def test_a_kept_review_report_is_dropped_so_it_cannot_print_erased_details(request, focal_point, users, city):
    """The review report PDF is kept between downloads; after an erasure it is drawn again from what is there."""
    from tamasuk.plans import services as plan_services
    from tamasuk.plans.models import ReportRender

    plan_services.request_review_report(actor=users["coordinator"], review=request.getfixturevalue("reviewed"),
                                        language="en")
    assert ReportRender.objects.filter(city=city).count() == 1
    forget_person(actor=users["admin"], city=city, phone=PHONE, reason="Her request of 2 June")
    assert not ReportRender.objects.filter(city=city).exists()
