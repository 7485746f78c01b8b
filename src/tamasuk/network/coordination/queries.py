"""Reads of the coordination forum, filtered by the permission layer.

Who reads what (the permission matrix declares it route by route):
- the city team (admins, coordinators, analysts, auditors) reads every forum, meeting, note and action item;
- the network's focal points (members) read the forums, the meetings' dates and organisations present, the
  action items their own organisation owns (from every meeting: they must act on them), and the notes,
  decisions and other items only of meetings shared with the network. City-only notes (the default) stay
  with the city team, in the pages and in the minutes (Markdown, PDF) alike;
- nobody outside the city (national liaisons, peer cities, the public) reads the forum.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from tamasuk.cities.models import City
from tamasuk.cities.permissions import Action, can, require, visible_levels

from ..models import ActionItem, ActionStatus, Forum, Meeting, Organisation


def forums(user, city: City):
    require(user, Action.READ_CITY_DATA, city)
    return Forum.objects.filter(city=city).annotate(n_members=Count("members", distinct=True))


def forum(user, city: City, pk: int) -> Forum:
    found = forums(user, city).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def meetings(user, city: City, forum: Forum | None = None):
    """Meetings (their dates and organisations present: what the network may know); notes are separate."""
    require(user, Action.READ_CITY_DATA, city)
    qs = Meeting.objects.filter(city=city).select_related("forum").prefetch_related("attendees")
    if forum is not None:
        qs = qs.filter(forum=forum)
    return qs


def meeting(user, city: City, pk: int) -> Meeting:
    found = meetings(user, city).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def may_read_notes(user, meeting: Meeting) -> bool:
    """Agenda, information shared, staff present, decisions, every action item: by the meeting's visibility."""
    return can(user, Action.READ_CITY_DATA, meeting.city) and meeting.visibility in visible_levels(user, meeting.city)


def require_notes(user, meeting: Meeting) -> None:
    if not may_read_notes(user, meeting):
        raise PermissionDenied


def own_organisations(user, city: City):
    """The organisations this user is focal point of."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(city=city, focal_points=user)


def action_items(user, city: City, *, forum: Forum | None = None, meeting: Meeting | None = None,
                 status: str | None = None):
    """Items the user may see: all of meetings whose notes they may read, and their own organisation's."""
    require(user, Action.READ_CITY_DATA, city)
    qs = ActionItem.objects.filter(city=city).filter(
        Q(meeting__visibility__in=visible_levels(user, city)) | Q(owner__in=own_organisations(user, city)))
    if forum is not None:
        qs = qs.filter(meeting__forum=forum)
    if meeting is not None:
        qs = qs.filter(meeting=meeting)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.select_related("owner", "meeting", "meeting__forum").prefetch_related("areas").distinct()


def action_item(user, city: City, pk: int) -> ActionItem:
    found = action_items(user, city).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def may_set_status(user, item: ActionItem) -> bool:
    """Coordinators and admins close any item; a focal point closes the items its own organisation owns."""
    return can(user, Action.EDIT_CITY_DATA, item.city) or can(user, Action.EDIT_ORGANISATION, item.owner)


@dataclass(frozen=True)
class DigestRow:
    organisation: Organisation
    open: int
    overdue: int
    next_due: dt.date | None
    oldest_overdue: dt.date | None


def digest(items, today: dt.date | None = None) -> list[DigestRow]:
    """Per owner organisation: open items, overdue ones, the next due date. Most overdue first."""
    today = today or timezone.localdate()
    rows: dict[int, dict] = {}
    for item in items:
        if item.status != ActionStatus.OPEN:
            continue
        row = rows.setdefault(item.owner_id, {"organisation": item.owner, "open": 0, "overdue": 0,
                                              "next_due": None, "oldest_overdue": None})
        row["open"] += 1
        if item.due < today:
            row["overdue"] += 1
            if row["oldest_overdue"] is None or item.due < row["oldest_overdue"]:
                row["oldest_overdue"] = item.due
        elif row["next_due"] is None or item.due < row["next_due"]:
            row["next_due"] = item.due
    out = [DigestRow(**r) for r in rows.values()]
    out.sort(key=lambda r: (-r.overdue, r.oldest_overdue or dt.date.max, r.next_due or dt.date.max,
                            r.organisation.name))
    return out


def profiles_to_cite(user, city: City):
    """Saved priority profiles a decision may cite (the ones this user may read)."""
    from tamasuk.mapping import queries as mapping_queries
    from tamasuk.mapping.models import PriorityProfile

    if not can(user, Action.VIEW_PROFILES, city):
        return PriorityProfile.objects.none()
    return mapping_queries.profiles(user, city)
