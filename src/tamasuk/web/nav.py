"""The city navigation: which links this user may see (every city page puts it in its context)."""

from tamasuk.cities.permissions import Action, can, role_in


def city_nav(request, city) -> dict:
    """What the city's navigation may show to this user."""
    return {
        "city": city,
        "role": role_in(request.user, city),
        "may_manage": can(request.user, Action.MANAGE_MEMBERSHIPS, city),
        "may_audit": can(request.user, Action.VIEW_AUDIT, city),
        "may_analyse": can(request.user, Action.RUN_ANALYSIS, city),
        "may_see_profiles": can(request.user, Action.VIEW_PROFILES, city),
        "may_read_data": can(request.user, Action.READ_CITY_DATA, city),
        "may_read_reports": can(request.user, Action.VIEW_SMALL_CELLS, city),
        "may_record_report": can(request.user, Action.RECORD_REPORT, city),
        "may_import": can(request.user, Action.EDIT_CITY_DATA, city),
    }
