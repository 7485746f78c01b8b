"""The coordination forum: meetings with decisions and action items, overdue flags, minutes, who reads notes."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from tamasuk.audit.models import AuditEvent
from tamasuk.network.coordination import queries as forum_queries
from tamasuk.network.coordination import services as forum_services
from tamasuk.network.models import ActionItem, ActionStatus, Forum, Meeting, Organisation

TODAY = dt.date.today()
ARABIC = re.compile(r"[\u0600-\u06FF\uFB50-\uFDFF\uFE70-\uFEFF]")


@pytest.fixture
def forum(city):
    return Forum.objects.get(city=city, name="Health network")


@pytest.fixture
def profile(city, users):
    from tamasuk.mapping.services import save_profile

    return save_profile(actor=users["analyst"], city=city, name="Vaccination priorities", period="2025",
                        spec={"level": 2}, results={"areas": [], "sensitivity": [], "indicators": []})


@pytest.fixture
def member_org(users):
    return users["member"].organisations.get()


@pytest.fixture
def other_org(city, member_org):
    return Organisation.objects.filter(city=city).exclude(pk=member_org.pk).first()


def _meeting(users, forum, member_org, other_org, *, visibility="city", profile=None, decision="Start in ward 3"):
    return forum_services.record_meeting(
        actor=users["coordinator"], forum=forum, date=TODAY, attendees=[member_org, other_org], people_present=9,
        agenda="Secret agenda item", information="Shared information", staff_present="Dr Amina (staff)",
        visibility=visibility,
        decisions=[forum_services.DecisionInput(text=decision, profile=profile)],
        action_items=[
            forum_services.ActionItemInput(text="Youth item, late", owner=member_org,
                                           due=TODAY - dt.timedelta(days=3)),
            forum_services.ActionItemInput(text="Other item, on time", owner=other_org,
                                           due=TODAY + dt.timedelta(days=5))])


def _form_data(forum, city, **overrides):
    orgs = list(forum.members.all()[:3])
    data = {
        "date": TODAY.isoformat(), "attendees": [str(o.pk) for o in orgs], "people_present": "14",
        "staff_present": "", "agenda": "Vaccination round", "information": "Stock arrived", "visibility": "city",
        "decisions-TOTAL_FORMS": "2", "decisions-INITIAL_FORMS": "0", "decisions-MIN_NUM_FORMS": "0",
        "decisions-MAX_NUM_FORMS": "30",
        "decisions-0-text": "Start in the ten wards of highest need", "decisions-0-analysis_ref": "",
        "decisions-1-text": "Ask faith leaders to announce outreach days", "decisions-1-analysis_ref": "gaps: health",
        "items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "50",
        "items-0-text": "Allocate outreach teams", "items-0-owner": str(orgs[0].pk),
        "items-0-due": (TODAY + dt.timedelta(days=7)).isoformat(), "items-0-areas": [],
        "items-1-text": "Tell the faith councils", "items-1-owner": str(orgs[1].pk),
        "items-1-due": (TODAY - dt.timedelta(days=1)).isoformat(),
        "items-2-text": "", "items-2-owner": "", "items-2-due": "",  # an empty row is skipped
    }
    data.update(overrides)
    return data


def test_recording_a_meeting_writes_the_meeting_its_decisions_items_and_exactly_their_audit_events(
        city, forum, profile, client_for, users):
    ward = city.areas.filter(level=2).order_by("code").first()
    data = _form_data(forum, city, **{"decisions-0-profile": str(profile.pk), "items-0-areas": [str(ward.pk)]})
    last = AuditEvent.objects.order_by("-pk").first().pk
    response = client_for("coordinator").post(reverse("network:new_meeting", args=[city.slug, forum.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert meeting.forum == forum and meeting.date == TODAY and meeting.people_present == 14
    assert meeting.recorded_by == users["coordinator"] and meeting.visibility == "city"
    decisions = list(meeting.decisions.all())
    assert [d.text for d in decisions] == ["Start in the ten wards of highest need",
                                           "Ask faith leaders to announce outreach days"]
    assert decisions[0].profile == profile and decisions[1].analysis_ref == "gaps: health"
    items = list(meeting.action_items.order_by("due"))
    assert [i.text for i in items] == ["Tell the faith councils", "Allocate outreach teams"]
    assert list(items[1].areas.all()) == [ward]
    events = list(AuditEvent.objects.filter(pk__gt=last).order_by("pk"))
    assert [e.action for e in events] == ["meeting.create", "decision.create", "decision.create",
                                          "action_item.create", "action_item.create"]
    assert {e.actor_label for e in events} == {"coordinator"} and {e.city_id_ref for e in events} == {city.pk}
    assert {(e.object_type, e.object_id) for e in events[1:3]} == {("network.decision", str(d.pk)) for d in decisions}
    assert f'"profile":{profile.pk}' in events[1].after


def test_a_bad_row_saves_nothing(city, forum, client_for):
    before = (Meeting.objects.count(), ActionItem.objects.count(), AuditEvent.objects.count())
    data = _form_data(forum, city, **{"items-1-due": ""})  # a started row without a due date
    response = client_for("coordinator").post(reverse("network:new_meeting", args=[city.slug, forum.pk]), data)
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert (Meeting.objects.count(), ActionItem.objects.count(), AuditEvent.objects.count()) == before


def test_one_more_row_keeps_what_was_typed_and_saves_nothing(city, forum, client_for):
    data = _form_data(forum, city, more="items")
    response = client_for("coordinator").post(reverse("network:new_meeting", args=[city.slug, forum.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200 and not Meeting.objects.filter(agenda="Vaccination round").exists()
    assert 'name="items-TOTAL_FORMS" value="4"' in html and 'name="items-3-text"' in html
    assert "Allocate outreach teams" in html and "This field is required." not in html


def test_overdue_items_are_flagged_on_the_forum_page_and_in_the_digest(city, forum, users, member_org, other_org,
                                                                      client_for):
    _meeting(users, forum, member_org, other_org)
    html = client_for("coordinator").get(reverse("network:forum", args=[city.slug, forum.pk])).content.decode()
    late = re.search(r'<tr class="overdue">\s*<td><bdi>Youth item, late</bdi></td>', html)
    on_time = re.search(r'<tr class="">\s*<td><bdi>Other item, on time</bdi></td>', html)
    assert late and on_time, html
    items = list(forum_queries.action_items(users["coordinator"], city, forum=forum, status=ActionStatus.OPEN))
    rows = {r.organisation: r for r in forum_queries.digest(items, TODAY)}
    assert rows[member_org].overdue >= 1 and rows[member_org].oldest_overdue <= TODAY - dt.timedelta(days=3)
    assert forum_queries.digest(items, TODAY)[0].overdue >= 1  # most overdue first


def test_overdue_is_open_and_past_due_only(city, forum, users, member_org, other_org):
    meeting = _meeting(users, forum, member_org, other_org)
    late = meeting.action_items.get(text="Youth item, late")
    assert late.is_overdue(TODAY) and not late.is_overdue(TODAY - dt.timedelta(days=3))
    forum_services.set_action_item_status(actor=users["coordinator"], item=late, status=ActionStatus.DONE)
    late.refresh_from_db()
    assert not late.is_overdue(TODAY) and late.closed_at is not None
    assert AuditEvent.objects.order_by("-pk").first().action == "action_item.status"


def test_the_demo_forums_have_past_meetings_a_cited_profile_and_overdue_items(city):
    assert set(Forum.objects.filter(city=city).values_list("name", flat=True)) >= {"Local Prevention Network",
                                                                                   "Health network"}
    for f in Forum.objects.filter(city=city):
        assert f.meetings.filter(date__lt=TODAY).count() >= 6
    items = ActionItem.objects.filter(city=city, status=ActionStatus.OPEN)
    assert any(i.is_overdue() for i in items) and not all(i.is_overdue() for i in items)
    assert Meeting.objects.filter(city=city, decisions__profile__isnull=False).exists()


def _pdftools():
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils is not installed (apt-get install poppler-utils)")


def _check_pdf(data: bytes, tmp_path):
    from PIL import Image

    assert data.startswith(b"%PDF-")
    pdf = tmp_path / "minutes.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True)
    image = Image.open(tmp_path / "page.png").convert("L")
    dark = sum(image.histogram()[:200])
    assert dark > 0.005 * image.width * image.height, "page 1 is blank"
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_minutes_pdf_renders_with_the_decision(city, forum, users, member_org, other_org, profile, client_for,
                                                   tmp_path, lang):
    _pdftools()
    meeting = _meeting(users, forum, member_org, other_org, profile=profile)
    response = client_for("coordinator").get(
        reverse("network:minutes_pdf", args=[city.slug, meeting.pk]) + f"?lang={lang}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = _check_pdf(response.content, tmp_path)
    assert "Start in ward 3" in text and "Vaccination priorities" in text and "Youth item, late" in text
    if lang == "ar":
        assert ARABIC.search(text), text  # shaped Arabic text, extracted as Arabic characters
    else:
        assert not ARABIC.search(text)


def test_an_arabic_decision_comes_out_of_the_pdf_as_arabic(city, forum, users, member_org, other_org, tmp_path):
    _pdftools()
    from django.utils import translation

    from tamasuk.network.coordination import minutes as forum_minutes

    decision = "البدء بالأحياء العشرة الأكثر حاجة"
    meeting = _meeting(users, forum, member_org, other_org, decision=decision)
    with translation.override("ar"):
        text = _check_pdf(forum_minutes.pdf(meeting), tmp_path)
    # pdftotext may give a right-to-left line in either order; the words themselves must be there.
    for word in decision.split():
        assert word in text or word[::-1] in text, (word, text)


def test_the_markdown_minutes_contain_the_decisions_and_items(city, forum, users, member_org, other_org, profile,
                                                             client_for):
    meeting = _meeting(users, forum, member_org, other_org, profile=profile,
                       decision="# Not a heading | and *not bold*")
    response = client_for("coordinator").get(reverse("network:minutes_md", args=[city.slug, meeting.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    md = response.content.decode()
    assert md.startswith("# Minutes: Health network")
    assert "1. \\# Not a heading | and \\*not bold\\*" in md
    assert "Vaccination priorities" in md and "## Action items" in md
    assert re.search(r"^\| Youth item, late \| .+ \| .+ \| .+ \| Open — \*\*overdue\*\* \|$", md, re.M), md
    assert re.search(r"^\| Other item, on time \| .+ \| Open \|$", md, re.M), md
    assert "Dr Amina (staff)" in md and "9 people present." in md


@pytest.mark.parametrize("role", ["member", "analyst", "auditor"])
def test_only_coordinators_and_admins_record_meetings(city, forum, client_for, role):
    url = reverse("network:new_meeting", args=[city.slug, forum.pk])
    assert client_for(role).get(url).status_code == 403
    before = Meeting.objects.count()
    assert client_for(role).post(url, _form_data(forum, city)).status_code == 403
    assert Meeting.objects.count() == before


def test_city_only_notes_stay_with_the_city_team(city, forum, users, member_org, other_org, client_for):
    meeting = _meeting(users, forum, member_org, other_org)
    member = client_for("member")
    page = member.get(reverse("network:meeting", args=[city.slug, meeting.pk])).content.decode()
    for secret in ["Secret agenda item", "Shared information", "Start in ward 3", "Dr Amina", "Other item, on time"]:
        assert secret not in page, secret
    assert "Youth item, late" in page  # its own organisation's item
    forum_page = member.get(reverse("network:forum", args=[city.slug, forum.pk])).content.decode()
    assert "Youth item, late" in forum_page and "Other item, on time" not in forum_page
    for name in ["network:minutes_md", "network:minutes_pdf"]:
        assert member.get(reverse(name, args=[city.slug, meeting.pk])).status_code == 403
    team = client_for("analyst").get(reverse("network:meeting", args=[city.slug, meeting.pk])).content.decode()
    assert "Secret agenda item" in team and "Start in ward 3" in team and "Other item, on time" in team


def test_notes_shared_with_the_network_reach_members(city, forum, users, member_org, other_org, client_for):
    meeting = _meeting(users, forum, member_org, other_org, visibility="network")
    member = client_for("member")
    page = member.get(reverse("network:meeting", args=[city.slug, meeting.pk])).content.decode()
    assert "Secret agenda item" in page and "Start in ward 3" in page and "Other item, on time" in page
    assert member.get(reverse("network:minutes_md", args=[city.slug, meeting.pk])).status_code == 200


def test_a_focal_point_closes_its_own_items_only(city, forum, users, member_org, other_org, client_for):
    meeting = _meeting(users, forum, member_org, other_org, visibility="network")
    own = meeting.action_items.get(owner=member_org)
    other = meeting.action_items.get(owner=other_org)
    member = client_for("member")
    assert member.post(reverse("network:action_item_status", args=[city.slug, other.pk])).status_code == 403
    response = member.post(reverse("network:action_item_status", args=[city.slug, own.pk]), {"status": "done"})
    assert response.status_code == 302 and response["Location"] == f"/c/{city.slug}/forums/{forum.pk}/"
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.status == ActionStatus.DONE and other.status == ActionStatus.OPEN
    assert member.post(reverse("network:action_item_status", args=[city.slug, own.pk]),
                       {"status": "nonsense"}).status_code == 400


def test_an_item_in_a_city_only_meeting_of_another_organisation_is_not_found_for_a_member(
        city, forum, users, member_org, other_org, client_for):
    meeting = _meeting(users, forum, member_org, other_org)
    other = meeting.action_items.get(owner=other_org)
    assert client_for("member").post(reverse("network:action_item_status", args=[city.slug, other.pk])).status_code \
        == 404


def test_the_service_refuses_other_cities_and_wider_visibility(city, forum, users, member_org):
    from django.core.exceptions import ValidationError

    from tamasuk.cities.models import City

    saida = City.objects.get(slug="saida")
    foreign = Organisation.objects.create(city=saida, name="Saida Health", type="health")
    with pytest.raises(ValidationError):
        forum_services.record_meeting(actor=users["coordinator"], forum=forum, date=TODAY, attendees=[foreign])
    with pytest.raises(ValidationError):
        forum_services.record_meeting(actor=users["coordinator"], forum=forum, date=TODAY, visibility="public")
    with pytest.raises(ValidationError):
        forum_services.record_meeting(
            actor=users["coordinator"], forum=forum, date=TODAY,
            action_items=[forum_services.ActionItemInput(text="x", owner=foreign, due=TODAY)])
    assert not Meeting.objects.filter(forum=forum, date=TODAY).exists()


def test_forums_link_in_the_navigation(city, client_for):
    html = client_for("member").get(reverse("network:directory", args=[city.slug])).content.decode()
    assert f'href="/c/{city.slug}/forums/"' in html
    html = client_for("coordinator").get(reverse("network:forums", args=[city.slug])).content.decode()
    assert "Local Prevention Network" in html and "Add a forum" in html


def test_notes_shared_with_the_network_are_checked_for_phones_and_emails(city, forum, users, client_for):
    """Shared notes leave the city team: a phone number or an email is refused until the coordinator confirms;
    city-only notes are not checked, and staff names (recorded by design) are never flagged."""
    c = client_for("coordinator")
    url = reverse("network:new_meeting", args=[city.slug, forum.pk])
    before = Meeting.objects.count()
    data = _form_data(forum, city, visibility="network", staff_present="Dr Amina (staff)",
                      information="Call the clinic on 0722 123 456 or write to clinic@example.org")
    refused = c.post(url, data)
    html = refused.content.decode()
    assert refused.status_code == 200 and Meeting.objects.count() == before
    assert "0722 123 456" in html and "clinic@example.org" in html and "Dr Amina" not in html.split("errors")[1][:400]
    assert 'name="confirmed_not_personal"' in html and 'type="checkbox"' in html
    assert c.post(url, {**data, "confirmed_not_personal": "on"}).status_code == 302
    meeting = Meeting.objects.latest("pk")
    assert meeting.visibility == "network"
    from tamasuk.audit.models import AuditEvent

    event = AuditEvent.objects.filter(action="meeting.create", object_id=str(meeting.pk)).get()
    assert event.after_value["personal_data_confirmed"] is True and "0722" not in event.after
    city_only = c.post(url, {**data, "visibility": "city"})
    assert city_only.status_code == 302


def test_action_items_reach_their_owner_so_they_are_checked_even_in_city_only_notes(city, forum, client_for):
    c = client_for("coordinator")
    url = reverse("network:new_meeting", args=[city.slug, forum.pk])
    before = Meeting.objects.count()
    response = c.post(url, _form_data(forum, city, **{"items-0-text": "Ring +254 722 123 456 about the stock"}))
    assert response.status_code == 200 and Meeting.objects.count() == before
    assert "+254 722 123 456" in response.content.decode()


# ---- adding rows without reloading, correcting a recorded meeting and a forum's members (issue 10, item 10) ----

def test_one_more_row_comes_from_htmx_with_the_next_index_and_the_new_row_count(city, forum, client_for):
    c = client_for("coordinator")
    url = reverse("network:meeting_row", args=[city.slug, forum.pk, "items"])
    html = c.get(url, {"items-TOTAL_FORMS": "3"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="items-3-text"' in html and 'name="items-3-owner"' in html and 'name="items-3-areas"' in html
    assert "<html" not in html  # a fragment: the page is not reloaded
    assert re.search(r'<input type="hidden" name="items-TOTAL_FORMS" value="4" id="id_items-TOTAL_FORMS" '
                     r'hx-swap-oob="true">', html)
    html = c.get(reverse("network:meeting_row", args=[city.slug, forum.pk, "decisions"]),
                 {"decisions-TOTAL_FORMS": "2"}).content.decode()
    assert 'name="decisions-2-text"' in html and 'name="decisions-2-profile"' in html
    # The form's buttons ask for it (and still send the form without JavaScript).
    page = c.get(reverse("network:new_meeting", args=[city.slug, forum.pk])).content.decode()
    assert f'hx-get="{url}"' in page and 'name="more" value="items"' in page
    # A row added this way is saved with the meeting.
    data = _form_data(forum, city, **{"items-TOTAL_FORMS": "4", "items-3-text": "Fourth row, added in place",
                                      "items-3-owner": str(forum.members.first().pk),
                                      "items-3-due": TODAY.isoformat()})
    assert c.post(reverse("network:new_meeting", args=[city.slug, forum.pk]), data).status_code == 302
    assert ActionItem.objects.filter(text="Fourth row, added in place").exists()


def _events_since(pk):
    return list(AuditEvent.objects.filter(pk__gt=pk).order_by("pk"))


def test_a_recorded_meeting_is_corrected_and_each_change_audited_with_before_and_after(
        city, forum, users, member_org, other_org, profile, client_for):
    import json

    meeting = _meeting(users, forum, member_org, other_org, profile=profile)
    decision = meeting.decisions.get()
    late, on_time = meeting.action_items.order_by("due")
    c = client_for("coordinator")
    url = reverse("network:edit_meeting", args=[city.slug, meeting.pk])
    page = c.get(url).content.decode()
    assert "Start in ward 3" in page and "Youth item, late" in page and 'name="items-0-remove"' in page
    last = AuditEvent.objects.order_by("-pk").first().pk
    data = {
        "date": (TODAY - dt.timedelta(days=1)).isoformat(), "attendees": [str(member_org.pk)], "people_present": "11",
        "staff_present": "", "agenda": "Secret agenda item", "information": "Shared information",
        "visibility": "city",
        "decisions-TOTAL_FORMS": "2", "decisions-INITIAL_FORMS": "1", "decisions-MIN_NUM_FORMS": "0",
        "decisions-MAX_NUM_FORMS": "30",
        "decisions-0-id": str(decision.pk), "decisions-0-text": "Start in ward 4", "decisions-0-profile": str(profile.pk),
        "decisions-0-analysis_ref": "", "decisions-1-text": "", "decisions-1-analysis_ref": "",
        "items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "2", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "50",
        "items-0-id": str(late.pk), "items-0-text": late.text, "items-0-owner": str(member_org.pk),
        "items-0-due": late.due.isoformat(), "items-0-remove": "on",
        "items-1-id": str(on_time.pk), "items-1-text": on_time.text, "items-1-owner": str(member_org.pk),
        "items-1-due": on_time.due.isoformat(),
        "items-2-text": "A new item at correction", "items-2-owner": str(other_org.pk),
        "items-2-due": TODAY.isoformat(), "opened": forum_services.meeting_token(meeting),
    }
    response = c.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    meeting.refresh_from_db()
    assert meeting.date == TODAY - dt.timedelta(days=1) and meeting.people_present == 11
    assert list(meeting.attendees.all()) == [member_org]
    assert meeting.decisions.get().text == "Start in ward 4" and meeting.decisions.get().pk == decision.pk
    assert not ActionItem.objects.filter(pk=late.pk).exists()
    on_time.refresh_from_db()
    assert on_time.owner == member_org
    assert meeting.action_items.filter(text="A new item at correction", owner=other_org).exists()
    events = {e.action: e for e in _events_since(last)}
    assert set(events) == {"meeting.update", "decision.update", "action_item.delete", "action_item.update",
                           "action_item.create"}
    m = events["meeting.update"]
    assert json.loads(m.before)["people_present"] == 9 and json.loads(m.after)["people_present"] == 11
    assert json.loads(events["decision.update"].before)["text"] == "Start in ward 3"
    assert json.loads(events["decision.update"].after)["text"] == "Start in ward 4"
    assert json.loads(events["action_item.update"].before)["owner"] == other_org.name
    assert json.loads(events["action_item.delete"].before)["text"] == "Youth item, late"
    # Nothing changed → nothing written (the page opened again, on what is saved now).
    last = AuditEvent.objects.order_by("-pk").first().pk
    assert c.post(url, {**data, "opened": forum_services.meeting_token(meeting), "items-TOTAL_FORMS": "2", "items-INITIAL_FORMS": "1",
                        **{k.replace("items-1-", "items-0-"): v for k, v in data.items() if k.startswith("items-1-")},
                        "items-0-remove": ""}).status_code == 302
    assert [e.action for e in _events_since(last)] == []


def test_only_coordinators_and_admins_correct_a_meeting_or_a_forum(city, forum, users, member_org, other_org,
                                                                  client_for):
    meeting = _meeting(users, forum, member_org, other_org)
    for role in ["member", "analyst", "auditor"]:
        c = client_for(role)
        assert c.post(reverse("network:edit_meeting", args=[city.slug, meeting.pk]), {}).status_code == 403
        assert c.post(reverse("network:edit_forum", args=[city.slug, forum.pk]), {}).status_code == 403
    page = client_for("coordinator").get(reverse("network:meeting", args=[city.slug, meeting.pk])).content.decode()
    assert reverse("network:edit_meeting", args=[city.slug, meeting.pk]) in page
    page = client_for("member").get(reverse("network:meeting", args=[city.slug, meeting.pk])).content.decode()
    assert reverse("network:edit_meeting", args=[city.slug, meeting.pk]) not in page


def test_a_forums_member_organisations_are_corrected_and_audited(city, forum, client_for):
    import json

    c = client_for("coordinator")
    url = reverse("network:edit_forum", args=[city.slug, forum.pk])
    page = c.get(url).content.decode()
    assert 'class="checklist' in page and 'data-checklist-filter' in page  # the checkable list, with its filter
    before = sorted(forum.members.values_list("name", flat=True))
    newcomer = Organisation.objects.filter(city=city, is_member=True).exclude(forums=forum).first()
    keep = list(forum.members.all()[1:])
    last = AuditEvent.objects.order_by("-pk").first().pk
    response = c.post(url, {"name": forum.name, "rhythm": "fortnightly on Thursdays", "description": forum.description,
                            "members": [str(o.pk) for o in [*keep, newcomer]]})
    assert response.status_code == 302
    assert set(forum.members.all()) == {*keep, newcomer}
    (event,) = _events_since(last)
    assert event.action == "forum.update"
    assert json.loads(event.before)["members"] == before
    assert newcomer.name in json.loads(event.after)["members"]
    assert json.loads(event.after)["rhythm"] == "fortnightly on Thursdays"
