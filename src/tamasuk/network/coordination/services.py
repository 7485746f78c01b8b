"""Every write to the coordination forum: validated, atomic, audited. Permission is checked by the caller's layer.

Audit events: `forum.create`, `forum.update`; recording a meeting writes one `meeting.create`, one
`decision.create` per decision and one `action_item.create` per action item, in the same transaction;
correcting it writes `meeting.update`, `decision.create/update/delete` and `action_item.create/update/delete`
(before and after) for what changed; `action_item.status` when an item is done, dropped or reopened.

Correcting a meeting names what its page was opened on (`opened`, from meeting_token): a correction someone saved
since, to the meeting, its decisions or its action items, is refused with StaleEdit (audit.conflicts) instead of
overwritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tamasuk.audit.conflicts import check_opened, fingerprint
from tamasuk.audit.services import record
from tamasuk.cities.models import Area, City
from tamasuk.cities.permissions import Action, require_actor
from tamasuk.cities.personal_data import check_text_to_share

from ..models import NOTE_VISIBILITIES, ActionItem, ActionStatus, Decision, Forum, Meeting, Organisation


@dataclass
class DecisionInput:
    text: str
    profile: object = None  # a mapping.PriorityProfile of the same city, or None
    analysis_ref: str = ""
    id: int | None = None  # when correcting a recorded meeting: the decision it replaces


@dataclass
class ActionItemInput:
    text: str
    owner: Organisation
    due: dt.date
    areas: list[Area] = field(default_factory=list)
    id: int | None = None  # when correcting a recorded meeting: the action item it replaces


def _same_city(city: City, objects, field_name: str, message: str) -> None:
    if any(o is not None and o.city_id != city.pk for o in objects):
        raise ValidationError({field_name: message})


def _forum_snapshot(forum: Forum) -> dict:
    return {"name": forum.name, "names": forum.names, "description": forum.description, "rhythm": forum.rhythm,
            "members": sorted(forum.members.values_list("name", flat=True)) if forum.pk else []}


@transaction.atomic
def create_forum(*, actor, city: City, name: str, rhythm: str = "", description: str = "",
                 members: list[Organisation] | None = None, names: dict | None = None) -> Forum:
    require_actor(actor, Action.EDIT_CITY_DATA, city)
    members = list(members or [])
    _same_city(city, members, "members", _("Every member organisation must belong to the forum's city."))
    forum = Forum(city=city, name=name.strip(), rhythm=rhythm.strip(), description=description, names=names or {})
    forum.full_clean()
    forum.save()
    forum.members.set(members)
    record(actor=actor, action="forum.create", obj=forum, city=city, after=_forum_snapshot(forum))
    return forum


@transaction.atomic
def update_forum(*, actor, forum: Forum, members: list[Organisation] | None = None, **changes) -> Forum:
    require_actor(actor, Action.EDIT_CITY_DATA, forum.city)
    unknown = set(changes) - {"name", "names", "description", "rhythm"}
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    before = _forum_snapshot(forum)
    for key, value in changes.items():
        setattr(forum, key, value)
    forum.full_clean()
    forum.save()
    if members is not None:
        _same_city(forum.city, members, "members", _("Every member organisation must belong to the forum's city."))
        forum.members.set(members)
    record(actor=actor, action="forum.update", obj=forum, city=forum.city, before=before,
           after=_forum_snapshot(forum))
    return forum


def _check_meeting(*, city, attendees, people_present, staff_present, agenda, information, visibility, decisions,
                   action_items, confirmed_not_personal) -> bool:
    """The rules a meeting keeps, when recorded and when corrected. True when the writer confirmed over findings
    of the personal-data check."""
    if visibility not in dict(NOTE_VISIBILITIES):
        raise ValidationError({"visibility": _("Meeting notes are shared with the city team or the network only.")})
    if people_present is not None and people_present < 0:
        raise ValidationError({"people_present": _("The number of people present cannot be negative.")})
    _same_city(city, attendees, "attendees", _("Every organisation present must belong to the forum's city."))
    for n, d in enumerate(decisions, start=1):
        if not d.text.strip():
            raise ValidationError({"decisions": _("Decision %(n)d cites evidence but says nothing: write the "
                                                  "decision.") % {"n": n}})
        _same_city(city, [d.profile], "decisions", _("A decision can only cite a profile of the same city."))
    for n, item in enumerate(action_items, start=1):
        if not item.text.strip():
            raise ValidationError({"action_items": _("Action item %(n)d has no text.") % {"n": n}})
        if item.owner is None or item.due is None:
            raise ValidationError({"action_items": _("Action item %(n)d needs an owner organisation and a due "
                                                     "date.") % {"n": n}})
        _same_city(city, [item.owner], "action_items", _("An action item's owner must belong to the same city."))
        _same_city(city, item.areas, "action_items", _("An action item's areas must belong to the same city."))
    shared = [("agenda", agenda), ("information", information), ("staff_present", staff_present)] + \
        [("decisions", d.text) for d in decisions] if visibility != "city" else []
    shared += [("action_items", item.text) for item in action_items]
    confirmed = False
    for name, text in shared:
        confirmed |= check_text_to_share(city=city, field=name, text=text, confirmed=confirmed_not_personal,
                                          names=False)
    return confirmed


@transaction.atomic
def record_meeting(*, actor, forum: Forum, date: dt.date, attendees: list[Organisation] | None = None,
                   people_present: int | None = None, staff_present: str = "", agenda: str = "",
                   information: str = "", visibility: str = "city", decisions: list[DecisionInput] | None = None,
                   action_items: list[ActionItemInput] | None = None,
                   confirmed_not_personal: bool = False) -> Meeting:
    """One meeting with its decisions and action items, all or nothing.

    Notes shared with the network leave the city team, so their free text is checked for phone numbers and
    emails first (names are not looked for: the notes name the staff present by design); action items always
    reach their owner's focal points and are checked whatever the notes' visibility."""
    city = forum.city
    require_actor(actor, Action.EDIT_CITY_DATA, city)
    attendees = list(attendees or [])
    decisions = [d for d in (decisions or []) if d.text.strip() or d.profile or d.analysis_ref.strip()]
    action_items = list(action_items or [])
    confirmed = _check_meeting(city=city, attendees=attendees, people_present=people_present,
                               staff_present=staff_present, agenda=agenda, information=information,
                               visibility=visibility, decisions=decisions, action_items=action_items,
                               confirmed_not_personal=confirmed_not_personal)
    meeting = Meeting(city=city, forum=forum, date=date, people_present=people_present,
                      staff_present=staff_present.strip(), agenda=agenda.strip(), information=information.strip(),
                      visibility=visibility, recorded_by=actor if getattr(actor, "pk", None) else None)
    meeting.full_clean()
    meeting.save()
    meeting.attendees.set(attendees)
    record(actor=actor, action="meeting.create", obj=meeting, city=city, after={
        "forum": forum.name, "date": date, "attendees": sorted(o.name for o in attendees),
        "people_present": people_present, "visibility": visibility,
        "decisions": len(decisions), "action_items": len(action_items),
        **({"personal_data_confirmed": True} if confirmed else {})})
    for n, d in enumerate(decisions, start=1):
        decision = Decision(city=city, meeting=meeting, number=n, text=d.text.strip(), profile=d.profile,
                            analysis_ref=d.analysis_ref.strip())
        decision.full_clean()
        decision.save()
        record(actor=actor, action="decision.create", obj=decision, city=city, after={
            "meeting": meeting.pk, "number": n, "text": decision.text,
            "profile": d.profile.pk if d.profile else None, "analysis_ref": decision.analysis_ref})
    for item_input in action_items:
        item = ActionItem(city=city, meeting=meeting, text=item_input.text.strip(), owner=item_input.owner,
                          due=item_input.due)
        item.full_clean()
        item.save()
        item.areas.set(item_input.areas)
        record(actor=actor, action="action_item.create", obj=item, city=city, after={
            "meeting": meeting.pk, "text": item.text, "owner": item.owner.name, "due": item.due,
            "areas": sorted(a.code for a in item_input.areas), "status": item.status})
    return meeting


def _meeting_snapshot(meeting: Meeting) -> dict:
    return {"date": meeting.date, "attendees": sorted(meeting.attendees.values_list("name", flat=True)),
            "people_present": meeting.people_present, "staff_present": meeting.staff_present,
            "agenda": meeting.agenda, "information": meeting.information, "visibility": meeting.visibility}


def _decision_snapshot(d: Decision) -> dict:
    return {"meeting": d.meeting_id, "number": d.number, "text": d.text, "profile": d.profile_id,
            "allocation": d.allocation_id, "analysis_ref": d.analysis_ref}


def _item_snapshot(item: ActionItem) -> dict:
    return {"meeting": item.meeting_id, "text": item.text, "owner": item.owner.name, "due": item.due,
            "areas": sorted(item.areas.values_list("code", flat=True)), "status": item.status}


def _meeting_fields(meeting: Meeting) -> dict:
    """The meeting's own fields as its correction form names them."""
    return {"date": meeting.date, "attendees": sorted(meeting.attendees.values_list("pk", flat=True)),
            "people_present": meeting.people_present, "staff_present": meeting.staff_present,
            "agenda": meeting.agenda, "information": meeting.information, "visibility": meeting.visibility}


def _meeting_state(meeting: Meeting) -> dict:
    """What a correction replaces: the meeting, its decisions and its action items (an item's status is not
    corrected here, so an owner marking it done meanwhile is no conflict)."""
    return {**_meeting_fields(meeting),
            "decisions": [[d.pk, d.number, d.text, d.profile_id, d.analysis_ref]
                          for d in meeting.decisions.order_by("pk")],
            "action_items": [[i.pk, i.text, i.owner_id, i.due, sorted(i.areas.values_list("code", flat=True))]
                             for i in meeting.action_items.order_by("pk")]}


def meeting_token(meeting: Meeting) -> str:
    """What a correction page was opened on (update_meeting's `opened`)."""
    return fingerprint(_meeting_state(meeting))


@transaction.atomic
def update_meeting(*, actor, meeting: Meeting, date: dt.date, attendees: list[Organisation] | None = None,
                   people_present: int | None = None, staff_present: str = "", agenda: str = "",
                   information: str = "", visibility: str = "city", decisions: list[DecisionInput] | None = None,
                   action_items: list[ActionItemInput] | None = None, remove_decisions: list[int] | None = None,
                   remove_action_items: list[int] | None = None, confirmed_not_personal: bool = False,
                   opened: str | None = None) -> Meeting:
    """Correct a recorded meeting, all or nothing: its details, its decisions and its action items (changed,
    added or removed). Every change is audited with what it was before and what it is now; what did not
    change writes nothing. A decision keeps the campaign allocation it cites, and an item its status.
    ``opened``: the meeting_token the page was opened on; a correction saved since is refused with StaleEdit
    (the meeting's row is locked first, so two simultaneous corrections queue and the second is told)."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    city = meeting.city
    require_actor(actor, Action.EDIT_CITY_DATA, city)
    check_opened(meeting, _meeting_state(meeting), opened, current=_meeting_fields(meeting),
                 among=[*meeting.decisions.all(), *meeting.action_items.all()])
    attendees = list(attendees or [])
    remove_decisions, remove_action_items = set(remove_decisions or []), set(remove_action_items or [])
    decisions = [d for d in (decisions or []) if d.id not in remove_decisions and
                 (d.text.strip() or d.profile or d.analysis_ref.strip())]
    action_items = [i for i in (action_items or []) if i.id not in remove_action_items]
    existing_decisions = {d.pk: d for d in meeting.decisions.select_related("profile")}
    existing_items = {i.pk: i for i in meeting.action_items.select_related("owner").prefetch_related("areas")}
    for ids, existing, what in [({d.id for d in decisions} | remove_decisions, existing_decisions, "decisions"),
                                ({i.id for i in action_items} | remove_action_items, existing_items,
                                 "action_items")]:
        if ids - {None} - set(existing):
            raise ValidationError({what: _("Only this meeting's own decisions and action items can be corrected "
                                           "here.")})
    confirmed = _check_meeting(city=city, attendees=attendees, people_present=people_present,
                               staff_present=staff_present, agenda=agenda, information=information,
                               visibility=visibility, decisions=decisions, action_items=action_items,
                               confirmed_not_personal=confirmed_not_personal)
    flag = {"personal_data_confirmed": True} if confirmed else {}

    before = _meeting_snapshot(meeting)
    meeting.date, meeting.people_present, meeting.visibility = date, people_present, visibility
    meeting.staff_present, meeting.agenda = staff_present.strip(), agenda.strip()
    meeting.information = information.strip()
    meeting.full_clean()
    meeting.save()
    meeting.attendees.set(attendees)
    after = _meeting_snapshot(meeting)
    if after != before:
        record(actor=actor, action="meeting.update", obj=meeting, city=city, before=before, after={**after, **flag})

    for pk in sorted(remove_decisions):
        d = existing_decisions[pk]
        record(actor=actor, action="decision.delete", obj=d, city=city, before=_decision_snapshot(d))
        d.delete()
    number = max([d.number for pk, d in existing_decisions.items() if pk not in remove_decisions] or [0])
    for d_input in decisions:
        d = existing_decisions.get(d_input.id) if d_input.id else None
        if d is None:
            number += 1
            d = Decision(city=city, meeting=meeting, number=number)
        old = _decision_snapshot(d) if d.pk else None
        d.text, d.profile, d.analysis_ref = d_input.text.strip(), d_input.profile, d_input.analysis_ref.strip()
        d.full_clean()
        d.save()
        new = _decision_snapshot(d)
        if old is None:
            record(actor=actor, action="decision.create", obj=d, city=city, after={**new, **flag})
        elif new != old:
            record(actor=actor, action="decision.update", obj=d, city=city, before=old, after={**new, **flag})

    for pk in sorted(remove_action_items):
        item = existing_items[pk]
        record(actor=actor, action="action_item.delete", obj=item, city=city, before=_item_snapshot(item))
        item.delete()
    for i_input in action_items:
        item = existing_items.get(i_input.id) if i_input.id else None
        if item is None:
            item = ActionItem(city=city, meeting=meeting)
        old = _item_snapshot(item) if item.pk else None
        item.text, item.owner, item.due = i_input.text.strip(), i_input.owner, i_input.due
        item.full_clean()
        item.save()
        item.areas.set(i_input.areas)
        new = _item_snapshot(item)
        if old is None:
            record(actor=actor, action="action_item.create", obj=item, city=city, after={**new, **flag})
        elif new != old:
            record(actor=actor, action="action_item.update", obj=item, city=city, before=old, after={**new, **flag})
    return meeting


@transaction.atomic
def set_action_item_status(*, actor, item: ActionItem, status: str) -> ActionItem:
    if status not in ActionStatus.values:
        raise ValidationError({"status": _("Unknown status: %(s)s") % {"s": status}})
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.status == status:
        return item
    before = {"status": item.status}
    item.status = status
    item.closed_at = None if status == ActionStatus.OPEN else timezone.now()
    item.save(update_fields=["status", "closed_at"])
    record(actor=actor, action="action_item.status", obj=item, city=item.city, before=before,
           after={"status": status})
    return item
