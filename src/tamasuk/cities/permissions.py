"""The one place that answers "may this user do X to this object".

Views, API handlers, exports and queries all ask here; nothing else checks roles.

What "not allowed" means, everywhere (issue 11):

* A city the reader may not open at all (no role in it, or one that ended, and not shared with them) is 404, as a
  slug nobody uses (``cities.queries.city_for``): the answer never confirms which cities use the installation.
* Queries (``queries.py``, ``*_queries.py``) first ask whether the reader may use that kind of data in that city
  at all, with :func:`require`: PermissionDenied, which the views and the API turn into 403. A reader without the
  right gets a refusal, never an empty list that reads as "there is nothing".
* Inside that, a list holds only the rows this reader may see (visibility levels, small-count publication), and
  may be empty. The one exception: a list that is one part of a page open to readers who may not see it (the
  profiles a decision may cite, offered to a member) is empty (``.none()``), so the rest of the page works.
* One object is read from its list: missing, or outside the rows the reader may see, is Http404 (a page never
  confirms that something it will not show exists); PermissionDenied is for a part of an object the reader does
  see but may not open (an activity's evidence files, a meeting's notes).
* Services check the actor's right themselves with :func:`require_actor` (defence in depth: the API, the commands
  and the task worker call them too; a system actor, the name of a command or the demo, passes), besides the
  state rules that are theirs (editable, in force, not stale). The imports', mapping's (but its two imports, which
  the pipeline checks), the directory's, the meetings', the allocations' and the cities' services do (a city is
  created by an operator's command only); the plans services still leave it to their callers (views and API
  handlers that require() first): bringing them in is the rest of issue 11's item 6.
* Pages ask once: the decorator (web.decorators.city_page) for the page's action, :func:`actions_in` for the
  navigation's links, and one query for a page's data (mapping.queries.priorities_page), not one per read.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from .models import Area, City, Membership, Role, Visibility

LEVELS = [v.value for v in Visibility]  # narrowest first

CITY_TEAM = {Role.ADMIN, Role.COORDINATOR, Role.ANALYST, Role.AUDITOR}


class Action(StrEnum):
    VIEW_CITY = "view_city"              # city home, area pages, areas in the API
    MANAGE_MEMBERSHIPS = "manage_memberships"
    VIEW_AUDIT = "view_audit"
    EDIT_AREAS = "edit_areas"            # import areas, edit boundaries
    EDIT_CITY_DATA = "edit_city_data"    # coordinators' everyday writes
    RUN_ANALYSIS = "run_analysis"
    EXPORT = "export"
    VIEW_SMALL_CELLS = "view_small_cells"  # counts below k, unsuppressed: the city team only
    RECORD_REPORT = "record_report"        # enter what residents reported (the network's focal points too)
    VIEW_PROFILES = "view_profiles"        # saved priority profiles (auditors read them too)
    READ_CITY_DATA = "read_city_data"      # indicators and observations: the city team and its network
    EDIT_ORGANISATION = "edit_organisation"  # coordinators: any; a member: the organisation it is focal point of
    EDIT_PLAN = "edit_plan"                # a plan's structure, its adoption and its reviews
    EDIT_ACTIVITY = "edit_activity"        # coordinators: any; a member: the activities its organisation leads
    ERASE_PERSONAL_DATA = "erase_personal_data"  # forget a person's contact details, audit payloads included
    EDIT_CITY_SETTINGS = "edit_city_settings"  # languages, digits in Arabic, coverage and small-count thresholds
    # Upload ward-level indicator data (dry run, confirm): coordinators, and analysts, whose data it often is.
    IMPORT_DATA = "import_data"


# What each role may do in its own city. Auditors read everything and write nothing.
ROLE_ACTIONS: dict[str, set[Action]] = {
    Role.ADMIN: set(Action),
    Role.COORDINATOR: {Action.VIEW_CITY, Action.EDIT_AREAS, Action.EDIT_CITY_DATA, Action.EDIT_PLAN, Action.RUN_ANALYSIS,
                       Action.IMPORT_DATA,
                       Action.EDIT_CITY_SETTINGS,
                       Action.EXPORT, Action.VIEW_SMALL_CELLS, Action.RECORD_REPORT, Action.VIEW_PROFILES, Action.READ_CITY_DATA},
    Role.ANALYST: {Action.VIEW_CITY, Action.RUN_ANALYSIS, Action.EXPORT, Action.VIEW_SMALL_CELLS,
                   Action.VIEW_PROFILES, Action.READ_CITY_DATA, Action.IMPORT_DATA},
    Role.MEMBER: {Action.VIEW_CITY, Action.RECORD_REPORT, Action.READ_CITY_DATA},
    Role.AUDITOR: {Action.VIEW_CITY, Action.VIEW_AUDIT, Action.EXPORT, Action.VIEW_SMALL_CELLS,
                   Action.VIEW_PROFILES, Action.READ_CITY_DATA},
    Role.NATIONAL: {Action.VIEW_CITY},
}
# Reading a city's shared pages as someone from outside it (a national liaison of its country, a peer city).
OUTSIDER_ACTIONS = {Action.VIEW_CITY}


def _memberships(user) -> list[Membership]:
    """Active memberships, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_tamasuk_memberships", None)
    if cached is None:
        cached = [m for m in Membership.objects.filter(user=user).select_related("city") if m.is_active()]
        user._tamasuk_memberships = cached
    return cached


def membership_in(user, city: City) -> Membership | None:
    """The user's active membership in this city, if any."""
    for m in _memberships(user):
        if m.city_id == city.pk:
            return m
    return None


def role_in(user, city: City) -> str | None:
    """The user's own role in this city (None if they have none, or it has ended)."""
    for m in _memberships(user):
        if m.city_id == city.pk:
            return m.role
    return None


def visible_levels(user, city: City) -> list[str]:
    """The visibility levels of this city's records that the user may read."""
    role = role_in(user, city)
    if role in CITY_TEAM:
        return LEVELS
    if role == Role.MEMBER:
        return LEVELS[1:]
    memberships = _memberships(user)
    if any(m.role == Role.NATIONAL and m.city.country == city.country for m in memberships):
        return LEVELS[2:]
    if memberships:
        return LEVELS[3:]
    return LEVELS[4:]


def can(user, action: Action | str, obj) -> bool:
    city = city_of(obj)
    if city is None:
        return False
    role = role_in(user, city)
    if Action(action) in (Action.EDIT_ORGANISATION, Action.EDIT_ACTIVITY):
        if role in {Role.ADMIN, Role.COORDINATOR}:
            return True
        # A focal point edits its own organisation (and its services), and the activities it leads, only.
        organisation = getattr(obj, "lead", None) if Action(action) == Action.EDIT_ACTIVITY else \
            getattr(obj, "organisation", obj)
        return role == Role.MEMBER and hasattr(organisation, "focal_points") and \
            organisation.focal_points.filter(pk=user.pk).exists()
    if role is not None and role != Role.NATIONAL:
        return Action(action) in ROLE_ACTIONS[role]
    # Outsiders (national liaisons of the country, peer cities) read the city's shared pages only.
    if Action(action) in OUTSIDER_ACTIONS and len(visible_levels(user, city)) > 1:
        return True
    return False


def actions_in(user, obj) -> frozenset[Action]:
    """Everything the user may do to the object's city as a whole, asked once: what can(user, action, city)
    answers for each action (a page's navigation shows a dozen links from it without a dozen checks)."""
    city = city_of(obj)
    if city is None:
        return frozenset()
    role = role_in(user, city)
    if role is not None and role != Role.NATIONAL:
        actions = set(ROLE_ACTIONS[role])
        if role in {Role.ADMIN, Role.COORDINATOR}:  # can's rule: they edit any organisation and activity
            actions |= {Action.EDIT_ORGANISATION, Action.EDIT_ACTIVITY}
        return frozenset(actions)
    if len(visible_levels(user, city)) > 1:
        return frozenset(OUTSIDER_ACTIONS)
    return frozenset()


def require(user, action: Action | str, obj) -> None:
    if not can(user, action, obj):
        raise PermissionDenied


def require_actor(actor, action: Action | str, obj) -> None:
    """A service's own check: a person must be allowed (PermissionDenied); a system actor, a string naming the
    command or the demo that acts (as the audit log records it), is the operator's and passes."""
    if not isinstance(actor, str):
        require(actor, action, obj)


def city_of(obj) -> City | None:
    if isinstance(obj, City):
        return obj
    if isinstance(obj, Area | Membership):
        return obj.city
    return getattr(obj, "city", None)


def national_countries(user) -> set[str]:
    """The countries whose cities' nationally shared records this user reads as a national liaison."""
    return {m.city.country for m in _memberships(user) if m.role == Role.NATIONAL}


def may_edit_framework(user, country: str) -> bool:
    """A country's National Action Plan is entered by its national liaisons or an administrator of one of its
    cities."""
    return any(m.city.country == country and m.role in {Role.NATIONAL, Role.ADMIN} for m in _memberships(user))


def may_read_framework(user, country: str) -> bool:
    """Anyone working in a city of the country reads its National Action Plan (they align their plans to it)."""
    return may_edit_framework(user, country) or any(c.country == country for c in cities_for(user))


def cities_for(user) -> list[City]:
    """Cities whose pages the user may open: their own first, then the ones shared with them."""
    own = {m.city_id: m.city for m in _memberships(user) if m.role != Role.NATIONAL}
    result = list(own.values())
    countries = {m.city.country for m in _memberships(user) if m.role == Role.NATIONAL}
    if countries:
        result += [c for c in City.objects.filter(country__in=countries) if c.pk not in own]
    return result
