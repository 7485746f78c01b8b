"""Every page and API route, for every role: the expected outcome is declared here and checked.

Adding a URL without declaring it here fails `test_every_url_is_declared`.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import ROLES, module_transaction

LOGIN = "login"  # a redirect to the sign-in page
CITY_TEAM = {"admin": 200, "coordinator": 200, "member": 200, "analyst": 200, "auditor": 200}
READERS = {**CITY_TEAM, "national": 200, "national_other": 200, "peer": 200}


def everyone(code, **overrides):
    return {role: overrides.get(role, code) for role in ROLES}


def web(readers: dict, default=403):
    """Pages behind sign-in: anonymous is sent to sign in, the rest get `readers` or `default`."""
    return {role: LOGIN if role == "anonymous" else readers.get(role, default) for role in ROLES}


def api(readers: dict, default=403):
    return {role: 401 if role == "anonymous" else readers.get(role, default) for role in ROLES}


ANALYSTS = {"admin": 200, "coordinator": 200, "analyst": 200}
PROFILE_READERS = {**ANALYSTS, "auditor": 200}  # the city team, who may see small cells and saved profiles
ORG_EDITORS = {"admin": 200, "coordinator": 200, "member": 200}  # member: its own organisation only
PLANNERS = {"admin": 200, "coordinator": 200}
# The demo plan is shared at the national level: the country's national liaison reads it, not another country's.
PLAN_READERS = {**CITY_TEAM, "national": 200}


def plan_scoped(expected: dict) -> dict:
    """A plan not shared with them does not exist for other circles (a peer city, another country's liaison):
    404, as for a city nobody shared."""
    return {**expected, **{r: 404 for r in ("peer", "national_other") if expected[r] == 403}}

SIGNED_IN_HOME = {"outsider": 200, "admin": 302, "coordinator": 302, "member": 302, "analyst": 302,
                  "auditor": 302, "auditor_expired": 200, "national": 200, "national_other": 200, "peer": 302}

# name → (method, kwargs builder, expected per role). kwargs builders get the fixtures dict.
MATRIX = {
    "web:home": ("get", {}, {**web(SIGNED_IN_HOME)}),
    "web:healthz": ("get", {}, everyone(200)),
    "web:login": ("get", {}, everyone(302, anonymous=200)),
    "web:logout": ("post", {}, everyone(302)),
    "web:password_change": ("get", {}, web({}, default=200)),
    # A link whose token is not valid shows the page saying so, to anyone.
    "web:password_reset": ("get", {"uidb64": "MQ", "token": "abc-def"}, everyone(200)),
    "set_language": ("post", {}, everyone(302)),
    "api:tokens": ("get", {}, web({}, default=200)),
    "api:token_revoke": ("post", {"pk": "admin_token"}, web({"admin": 302}, default=404)),
    "web:city": ("get", {"slug": "mombasa"}, web(READERS)),
    "mapping:area": ("get", {"slug": "mombasa", "code": "KE001003"}, web(READERS)),
    "cities:memberships": ("get", {"slug": "mombasa"}, web({"admin": 200})),
    "cities:membership_change": ("post", {"slug": "mombasa", "pk": "member_membership"}, web({"admin": 302})),
    "audit:audit": ("get", {"slug": "mombasa"}, web({"admin": 200, "auditor": 200})),
    # The city's settings (languages, digits in Arabic, coverage and small-count thresholds): admin, coordinator.
    "cities:city_settings": ("get", {"slug": "mombasa"}, web(PLANNERS)),
    # Erasing a person's contact details (audit payloads included) is the city administrator's alone.
    "audit:forget_person": ("get", {"slug": "mombasa"}, web({"admin": 200})),
    "mapping:priorities": ("get", {"slug": "mombasa"}, web(ANALYSTS)),
    "mapping:save_profile": ("post", {"slug": "mombasa"}, web({k: 302 for k in ANALYSTS})),
    "mapping:profiles": ("get", {"slug": "mombasa"}, web(PROFILE_READERS)),
    "mapping:profile": ("get", {"slug": "mombasa", "pk": "profile"}, web(PROFILE_READERS)),
    "mapping:profile_csv": ("get", {"slug": "mombasa", "pk": "profile"}, web(PROFILE_READERS)),
    "mapping:profile_geojson": ("get", {"slug": "mombasa", "pk": "profile"}, web(PROFILE_READERS)),
    "mapping:hotspots": ("get", {"slug": "mombasa"}, web(ANALYSTS)),
    # Importing indicator data (journey 2.1): coordinators and analysts (Action.IMPORT_DATA).
    "imports:jobs": ("get", {"slug": "mombasa"}, web(ANALYSTS)),
    "imports:upload": ("get", {"slug": "mombasa", "kind": "observations"}, web(ANALYSTS)),
    "imports:job": ("get", {"slug": "mombasa", "pk": "import_job"}, web(ANALYSTS)),
    "imports:progress": ("get", {"slug": "mombasa", "pk": "import_job"}, web(ANALYSTS)),
    "imports:confirm": ("post", {"slug": "mombasa", "pk": "import_job"}, web({k: 302 for k in ANALYSTS})),
    "imports:retry": ("post", {"slug": "mombasa", "pk": "import_job"}, web({k: 302 for k in ANALYSTS})),
    "imports:discard": ("post", {"slug": "mombasa", "pk": "import_job"}, web({k: 302 for k in ANALYSTS})),
    "mapping:import_values": ("get", {"slug": "mombasa", "pk": "import_job"}, web(ANALYSTS)),
    "mapping:import_blank_sheet": ("get", {"slug": "mombasa", "key": "all", "fmt": "xlsx"}, web(ANALYSTS)),
    "mapping:reports": ("get", {"slug": "mombasa"}, web(PROFILE_READERS)),
    "mapping:new_report": ("get", {"slug": "mombasa"}, web({"admin": 200, "coordinator": 200, "member": 200})),
    "mapping:moderate_report": ("post", {"slug": "mombasa", "pk": "report"},
                                web({"admin": 302, "coordinator": 302})),
    "mapping:indicators": ("get", {"slug": "mombasa"}, web({**PROFILE_READERS, "member": 200})),
    "mapping:edit_indicator": ("get", {"slug": "mombasa", "code": "food-insecurity"},
                               web({"admin": 200, "coordinator": 200})),
    "mapping:rename_theme": ("post", {"slug": "mombasa", "pk": "theme"}, web({"admin": 302, "coordinator": 302})),
    "network:coverage": ("get", {"slug": "mombasa"}, web(ANALYSTS)),
    "network:network": ("get", {"slug": "mombasa"}, web({**PROFILE_READERS, "member": 200})),
    "network:new_allocation": ("get", {"slug": "mombasa"}, web({"admin": 200, "coordinator": 200})),
    "network:allocation": ("get", {"slug": "mombasa", "pk": "allocation"}, web(PROFILE_READERS)),
    "network:allocation_csv": ("get", {"slug": "mombasa", "pk": "allocation"}, web(PROFILE_READERS)),
    "network:directory": ("get", {"slug": "mombasa"}, web({**PROFILE_READERS, "member": 200})),
    "network:organisation": ("get", {"slug": "mombasa", "pk": "member_org"}, web({**PROFILE_READERS, "member": 200})),
    "network:new_organisation": ("get", {"slug": "mombasa"}, web({"admin": 200, "coordinator": 200})),
    "network:edit_organisation": ("get", {"slug": "mombasa", "pk": "member_org"}, web(ORG_EDITORS)),
    "network:add_link": ("post", {"slug": "mombasa", "pk": "member_org"},
                         web({"admin": 302, "coordinator": 302, "member": 302})),
    "network:new_service": ("get", {"slug": "mombasa", "pk": "member_org"}, web(ORG_EDITORS)),
    "network:edit_service": ("get", {"slug": "mombasa", "pk": "member_org", "service_pk": "member_service"},
                             web(ORG_EDITORS)),
    "network:threew_export": ("get", {"slug": "mombasa"}, web({**PROFILE_READERS, "member": 200})),
    "network:hsds_export": ("get", {"slug": "mombasa"}, web({**PROFILE_READERS, "member": 200})),
    # Forums: the city team reads everything; a member reads the forum pages, its organisation's action items
    # and the notes of meetings shared with the network, not city-only notes (the matrix meeting is city-only);
    # coordinators record meetings; an item is closed by coordinators or the owner organisation's focal point.
    "network:forums": ("get", {"slug": "mombasa"}, web({**PROFILE_READERS, "member": 200})),
    "network:forum": ("get", {"slug": "mombasa", "pk": "forum"}, web({**PROFILE_READERS, "member": 200})),
    "network:new_meeting": ("get", {"slug": "mombasa", "pk": "forum"}, web({"admin": 200, "coordinator": 200})),
    # Correcting a forum or a recorded meeting, and the htmx row of the meeting forms: coordinators and admins.
    "network:edit_forum": ("get", {"slug": "mombasa", "pk": "forum"}, web({"admin": 200, "coordinator": 200})),
    "network:edit_meeting": ("get", {"slug": "mombasa", "pk": "meeting"}, web({"admin": 200, "coordinator": 200})),
    "network:meeting_row": ("get", {"slug": "mombasa", "pk": "forum", "kind": "items"},
                            web({"admin": 200, "coordinator": 200})),
    "network:meeting": ("get", {"slug": "mombasa", "pk": "meeting"}, web({**PROFILE_READERS, "member": 200})),
    "network:minutes_md": ("get", {"slug": "mombasa", "pk": "meeting"}, web(PROFILE_READERS)),
    "network:minutes_pdf": ("get", {"slug": "mombasa", "pk": "meeting"}, web(PROFILE_READERS)),
    "network:action_item_status": ("post", {"slug": "mombasa", "pk": "action_item"},
                                   web({"admin": 302, "coordinator": 302, "member": 302})),
    # Plans: the matrix plan is Mombasa's demo plan, shared at the national level (see refs).
    "plans:plans": ("get", {"slug": "mombasa"}, web(READERS)),
    "plans:plan": ("get", {"slug": "mombasa", "pk": "plan"}, plan_scoped(web(PLAN_READERS))),
    "plans:dashboard": ("get", {"slug": "mombasa", "pk": "plan"}, plan_scoped(web(PLAN_READERS))),
    "plans:reporting": ("get", {"slug": "mombasa", "pk": "plan"}, plan_scoped(web(PLAN_READERS))),
    "plans:edit_plan": ("get", {"slug": "mombasa", "pk": "plan"}, web(PLANNERS)),
    # The demo plan is in force: adopting it again or changing its structure is refused with a message.
    "plans:adopt": ("post", {"slug": "mombasa", "pk": "plan"}, web({"admin": 302, "coordinator": 302})),
    "plans:new_item": ("get", {"slug": "mombasa", "pk": "plan", "kind": "pillar"},
                       web({"admin": 302, "coordinator": 302})),
    "plans:remove_item": ("post", {"slug": "mombasa", "pk": "plan", "kind": "activity", "item_pk": "member_activity"},
                          web({"admin": 302, "coordinator": 302})),
    # A focal point edits (how it runs) and reports on the activities its organisation leads, and no other.
    "plans:edit_item": ("get", {"slug": "mombasa", "pk": "plan", "kind": "activity", "item_pk": "member_activity"},
                        plan_scoped(web(ORG_EDITORS))),
    "plans:activity": ("get", {"slug": "mombasa", "pk": "plan", "activity_pk": "member_activity"},
                       plan_scoped(web(PLAN_READERS))),
    "plans:record_progress": ("get", {"slug": "mombasa", "pk": "plan", "activity_pk": "member_activity"},
                              plan_scoped(web(ORG_EDITORS))),
    "plans:actuals": ("get", {"slug": "mombasa", "pk": "plan", "indicator_pk": "plan_indicator"}, plan_scoped(web(PLANNERS))),
    # Evidence: the city team and the activity's own focal point; never a national liaison.
    "plans:evidence": ("get", {"slug": "mombasa", "pk": "member_evidence"}, plan_scoped(web({**PROFILE_READERS, "member": 200}))),
    # The evidence pack holds the city's whole audit trail: those who read the audit log (admin, auditor).
    "plans:evidence_pack": ("get", {"slug": "mombasa", "pk": "plan"}, web({"admin": 200, "auditor": 200})),
    # IATI XML is an export: those with Action.EXPORT (admin, coordinator, analyst, auditor).
    "plans:iati": ("get", {"slug": "mombasa", "pk": "plan"}, web(PROFILE_READERS)),
    # Reviews, versions and diffs are read by whoever reads the plan; coordinators open, write and finish reviews.
    # The matrix review is the demo's adopted one: adopting or closing it again answers with a message, not 4xx/5xx.
    "plans:reviews": ("get", {"slug": "mombasa", "pk": "plan"}, plan_scoped(web(PLAN_READERS))),
    "plans:review": ("get", {"slug": "mombasa", "pk": "review"}, plan_scoped(web(PLAN_READERS))),
    "plans:adopt_review": ("post", {"slug": "mombasa", "pk": "review"}, web({"admin": 302, "coordinator": 302})),
    "plans:close_review": ("post", {"slug": "mombasa", "pk": "review"}, web({"admin": 302, "coordinator": 302})),
    "plans:versions": ("get", {"slug": "mombasa", "pk": "plan"}, plan_scoped(web(PLAN_READERS))),
    "plans:diff": ("get", {"slug": "mombasa", "pk": "plan"}, plan_scoped(web(PLAN_READERS))),
    # The PDF review report shows every count unsuppressed: the city team who may see small cells.
    # The first download of a report's content is drawn by the task worker: the reader is sent to wait for it.
    "plans:review_pdf": ("get", {"slug": "mombasa", "pk": "review"}, web({k: 302 for k in PROFILE_READERS})),
    "plans:review_pdf_wait": ("get", {"slug": "mombasa", "pk": "review"}, web(PROFILE_READERS)),
    # The national level (KEN): the National Action Plan is read by whoever works in a Kenyan city and edited by its
    # liaisons and city admins; the national view across cities is the KEN liaison's alone.
    "plans:frameworks": ("get", {"country": "KEN"}, web({**CITY_TEAM, "national": 200})),
    "plans:framework": ("get", {"country": "KEN", "pk": "framework"}, web({**CITY_TEAM, "national": 200})),
    "plans:national": ("get", {"country": "KEN"}, web({"national": 200})),
    "api-1:me": ("get", {}, api({}, default=200)),
    "api-1:list_cities": ("get", {}, api({}, default=200)),
    "api-1:get_city": ("get", {"slug": "mombasa"}, api(READERS)),
    "api-1:list_areas": ("get", {"slug": "mombasa"}, api(READERS)),
    "api-1:get_area": ("get", {"slug": "mombasa", "code": "KE00100301"}, api(READERS)),
    "api-1:list_indicators": ("get", {"slug": "mombasa"}, api({**PROFILE_READERS, "member": 200})),
    "api-1:list_observations": ("get", {"slug": "mombasa"}, api({**PROFILE_READERS, "member": 200})),
    "api-1:report_counts": ("get", {"slug": "mombasa"}, api(READERS)),
    "api-1:list_profiles": ("get", {"slug": "mombasa"}, api(PROFILE_READERS)),
    "api-1:get_profile": ("get", {"slug": "mombasa", "pk": "profile"}, api(PROFILE_READERS)),
    "api-1:list_plans": ("get", {"slug": "mombasa"}, api(READERS)),
    "api-1:get_plan": ("get", {"slug": "mombasa", "pk": "plan"}, plan_scoped(api(PLAN_READERS))),
    "api-1:list_organisations": ("get", {"slug": "mombasa"}, api({**PROFILE_READERS, "member": 200})),
    # ninja's mount point: it only anchors reverse(); nothing is served there.
    "api-1:api-root": ("get", {}, everyone(404)),
    # The API's description is public, like any published interface.
    "api-1:openapi-json": ("get", {}, everyone(200)),
    "api-1:openapi-view": ("get", {}, everyone(200)),
}

# Someone with no right to open a city (no role in it, or one that ended) is told it does not exist: 404, as for a
# slug nobody uses, never 403, which would confirm that the city uses the installation.
NO_CITY = ("outsider", "auditor_expired")


def _city_hidden(expected: dict) -> dict:
    return {**expected, **{r: 404 for r in NO_CITY if expected[r] == 403}}


MATRIX = {name: (method, kwargs, _city_hidden(expected) if "slug" in kwargs else expected)
          for name, (method, kwargs, expected) in MATRIX.items()}


def _names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _names(pattern, ns)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"URL pattern {pattern.pattern} has no name: name it and declare it"
            names.add(namespace + pattern.name)
    return names


def test_every_url_is_declared():
    declared, actual = set(MATRIX), _names(get_resolver())
    assert actual - declared == set(), f"undeclared URLs: add them to MATRIX: {sorted(actual - declared)}"
    assert declared - actual == set(), f"MATRIX names URLs that no longer exist: {sorted(declared - actual)}"


def _allocation(users, city, profile):
    from tamasuk.network.allocations.services import save_allocation

    row = {"rank": 1, "area": "KE00100101", "name": "x", "need": 1.0, "demand": 10, "allocated": 0, "unmet": 10,
           "given": [], "reason": "no participating organisation covers it"}
    from tamasuk.network.models import Service

    health = Service.objects.filter(city=city, sector="health").values_list("organisation_id", flat=True).first()
    return save_allocation(actor=users["coordinator"], city=city, name="matrix", profile=profile, sector="health",
                           unit="kits", total_capacity=10, participants=[{"id": health, "name": "clinic"}],
                           rows=[row])


@pytest.fixture
def refs(db, users, city):
    """The objects every URL of the matrix points at."""
    return _refs(users, city)


@pytest.fixture(scope="module")
def matrix_refs(django_db_setup, django_db_blocker):
    """`refs` made once for this module's 1,200 tests (~50 ms each time); each test still rolls back its own."""
    from django.contrib.auth import get_user_model

    from tamasuk.cities.models import City

    with module_transaction(django_db_blocker):
        yield _refs({u.username: u for u in get_user_model().objects.all()}, City.objects.get(slug="mombasa"))


def _refs(users, city):
    from tamasuk.api.services import create_token
    from tamasuk.cities.models import Membership
    from tamasuk.imports.services import upload
    from tamasuk.mapping.models import CommunityReport, Theme
    from tamasuk.mapping.services import save_profile

    token, _ = create_token(actor=users["admin"], name="matrix")
    member_org = users["member"].organisations.get()
    import_job = upload(actor=users["coordinator"], city=city, kind="observations", file_name="matrix.csv",
                            data=b"Ward,Indicator,Year,Value\nKE00100301,food-insecurity,2024,3\n")
    profile = save_profile(actor=users["analyst"], city=city, name="matrix", period="2025",
                           spec={"level": 2}, results={"areas": [], "sensitivity": [], "indicators": []})
    forum, meeting, item = _forum_refs(users, city, member_org, profile)
    plan_refs = {**_plan_refs(users, city), **_national_refs(users)}
    return {**plan_refs,"forum": forum.pk, "meeting": meeting.pk, "action_item": item.pk,
            "admin_token": token.pk, "member_membership": Membership.objects.get(city=city, user=users["member"]).pk,
            "theme": Theme.objects.filter(city=city).first().pk,
            "member_org": member_org.pk, "allocation": _allocation(users, city, profile).pk,
            "member_service": member_org.services.first().pk,
            "profile": profile.pk, "import_job": import_job.pk, "report": CommunityReport.objects.filter(city=city).first().pk}


def _national_refs(users):
    """A Kenyan National Action Plan: the demo's, or one the KEN liaison enters."""
    from tamasuk.plans.models import NationalFramework
    from tamasuk.plans.services import create_framework

    framework = NationalFramework.objects.filter(country="KEN").order_by("pk").first() or create_framework(
        actor=users["national"], country="KEN", name="Matrix NAP", start_year=2024, end_year=2028,
        pillars=[("P1", "Prevention")])
    return {"framework": framework.pk}


def _plan_refs(users, city):
    """The demo's adopted plan, shared nationally, with its first activity led by the member's organisation."""
    from tamasuk.plans.models import Evidence, Plan, Review

    plan = Plan.objects.filter(city=city).order_by("pk").first()
    assert plan is not None, "the demo city has a Local Action Plan"
    member_activity = plan.activities.filter(lead__focal_points=users["member"]).order_by("pk").first()
    assert member_activity is not None, "the demo's member leads an activity of the plan"
    evidence = Evidence.objects.filter(update__activity=member_activity).first()
    assert evidence is not None, "the member's activity has evidence in the demo"
    review = Review.objects.filter(plan=plan).order_by("pk").first()
    assert review is not None, "the demo plan has an adopted review"
    return {"plan": plan.pk, "review": review.pk, "member_activity": member_activity.pk,
            "plan_indicator": plan.indicators.filter(activity=None).order_by("pk").first().pk,
            "member_evidence": evidence.pk}


def _forum_refs(users, city, member_org, profile):
    """A city-only meeting with a decision citing the profile and an action item owned by the member's org."""
    import datetime as dt

    from tamasuk.network.coordination import services as forum_services
    from tamasuk.network.models import Forum

    forum = Forum.objects.filter(city=city).first() or forum_services.create_forum(
        actor=users["coordinator"], city=city, name="Matrix forum")
    meeting = forum_services.record_meeting(
        actor=users["coordinator"], forum=forum, date=dt.date.today(), agenda="matrix agenda",
        decisions=[forum_services.DecisionInput(text="matrix decision", profile=profile)],
        action_items=[forum_services.ActionItemInput(text="matrix item", owner=member_org,
                                                     due=dt.date.today() + dt.timedelta(days=7))])
    return forum, meeting, meeting.action_items.get()


# The pipeline's upload page serves every kind of import; each kind has its own permission.
IMPORT_KINDS = {
    "observations": web(ANALYSTS),
    # The directory's 3W/4W sheets and HSDS 3.0 files: those who edit the city's data (Action.EDIT_CITY_DATA).
    "threew": web({"admin": 200, "coordinator": 200}),
    "hsds": web({"admin": 200, "coordinator": 200}),
    # Community reports from a spreadsheet: those who edit the city's data (Action.EDIT_CITY_DATA).
    "reports": web(PLANNERS),
    # Areas from a GeoJSON file: those who edit areas (Action.EDIT_AREAS).
    "areas": web(PLANNERS),
}
IMPORT_KINDS = {kind: _city_hidden(expected) for kind, expected in IMPORT_KINDS.items()}


def test_every_import_kind_is_declared():
    from tamasuk.imports import adapters

    assert {a.kind for a in adapters.kinds()} == set(IMPORT_KINDS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", sorted(IMPORT_KINDS))
def test_import_upload_access(kind, role, client_for):
    from django.urls import reverse

    response = client_for(role).get(reverse("imports:upload", kwargs={"slug": "mombasa", "kind": kind}))
    want = IMPORT_KINDS[kind][role]
    if want == LOGIN:
        assert response.status_code == 302 and "/login/" in response["Location"], (kind, role)
    else:
        assert response.status_code == want, (kind, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access(name, role, matrix_refs, client_for):
    from django.urls import reverse

    method, kwargs, expected = MATRIX[name]
    url = reverse(name, kwargs={k: matrix_refs.get(v, v) for k, v in kwargs.items()})
    response = getattr(client_for(role), method)(url)
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], (
            f"{role} on {name}: expected a redirect to sign in, got {response.status_code}")
    else:
        assert response.status_code == want, f"{role} on {name}: expected {want}, got {response.status_code}"


@pytest.mark.parametrize("name", sorted(n for n in MATRIX if n.startswith("api-1:")))
def test_api_token_gets_the_same_answers_as_a_session(name, matrix_refs, users):
    """A personal token reads exactly what its owner's session may read."""
    from django.test import Client
    from django.urls import reverse

    from tamasuk.api.services import create_token

    method, kwargs, expected = MATRIX[name]
    url = reverse(name, kwargs={k: matrix_refs.get(v, v) for k, v in kwargs.items()})
    for role in ["coordinator", "peer", "outsider", "auditor_expired"]:
        _, secret = create_token(actor=users[role], name="t")
        response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert response.status_code == expected[role], f"{role} with a token on {name}"
    assert Client().get(url, HTTP_AUTHORIZATION="Bearer tmk_not-a-real-token").status_code == expected["anonymous"]
