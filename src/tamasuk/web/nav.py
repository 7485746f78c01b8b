"""The city navigation: which links this user may see (every city page puts it in its context)."""

from tamasuk.cities.models import Role
from tamasuk.cities.permissions import Action, can, membership_in, role_in


def city_nav(request, city) -> dict:
    """What the city's navigation may show to this user."""
    membership = membership_in(request.user, city)
    return {
        # An auditor's access is time-boxed: the last day (in the city's time zone) is shown on every page.
        "access_ends": membership.ends_on if membership and membership.role == Role.AUDITOR else None,
        "city": city,
        "role": role_in(request.user, city),
        "may_manage": can(request.user, Action.MANAGE_MEMBERSHIPS, city),
        "may_audit": can(request.user, Action.VIEW_AUDIT, city),
        "may_analyse": can(request.user, Action.RUN_ANALYSIS, city),
        "may_see_profiles": can(request.user, Action.VIEW_PROFILES, city),
        "may_read_data": can(request.user, Action.READ_CITY_DATA, city),
        "may_read_reports": can(request.user, Action.VIEW_SMALL_CELLS, city),
        "may_record_report": can(request.user, Action.RECORD_REPORT, city),
        "may_import": can(request.user, Action.IMPORT_DATA, city),
        "may_edit_data": can(request.user, Action.EDIT_CITY_DATA, city),
        "may_edit_settings": can(request.user, Action.EDIT_CITY_SETTINGS, city),
    }
