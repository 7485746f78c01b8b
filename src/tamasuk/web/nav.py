"""The city navigation: which links this user may see (every city page puts it in its context)."""

from tamasuk.cities.models import Role
from tamasuk.cities.permissions import Action, actions_in, membership_in, role_in


def city_nav(request, city) -> dict:
    """What the city's navigation may show to this user."""
    membership = membership_in(request.user, city)
    may = actions_in(request.user, city)  # one question for every link below
    return {
        # An auditor's access is time-boxed: the last day (in the city's time zone) is shown on every page.
        "access_ends": membership.ends_on if membership and membership.role == Role.AUDITOR else None,
        "city": city,
        "role": role_in(request.user, city),
        "may_manage": Action.MANAGE_MEMBERSHIPS in may,
        "may_audit": Action.VIEW_AUDIT in may,
        "may_analyse": Action.RUN_ANALYSIS in may,
        "may_see_profiles": Action.VIEW_PROFILES in may,
        "may_read_data": Action.READ_CITY_DATA in may,
        "may_read_reports": Action.VIEW_SMALL_CELLS in may,
        "may_record_report": Action.RECORD_REPORT in may,
        "may_import": Action.IMPORT_DATA in may,
        "may_edit_data": Action.EDIT_CITY_DATA in may,
        "may_edit_settings": Action.EDIT_CITY_SETTINGS in may,
    }
