"""Reads of plans, filtered by the permission layer.

The city team reads every plan; the network's members read plans shared with the network; a national
liaison of the country reads plans shared at the national level (and a peer city those shared with peers).
Narratives of progress are read by the network's members when the plan is shared with the network; evidence
files stay with the city team and the activity's own focal point; counts of people below the city's k stay
with the city team.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from tamasuk.cities import publication
from tamasuk.cities.models import City
from tamasuk.cities.permissions import Action, can, national_countries, require, visible_levels

from .models import Activity, Evidence, NationalFramework, Plan, PlanIndicator, ProgressUpdate, Review


def plans(user, city: City):
    require(user, Action.VIEW_CITY, city)
    return (Plan.objects.filter(city=city, visibility__in=visible_levels(user, city))
            .select_related("city", "framework"))


def plan(user, city: City, pk: int) -> Plan:
    found = plans(user, city).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def reads_details(user, plan: Plan) -> bool:
    """Narratives of progress, evidence lists and counts below k: the city team (and the network's members
    for narratives of plans shared with the network)."""
    return can(user, Action.READ_CITY_DATA, plan.city)


def values(user, plan: Plan) -> dict[int, publication.IndicatorValues]:
    """Every indicator's baseline and yearly values as this reader may see them (cities/publication.py: counts of
    people are published through small-cell suppression outside the city team, the same on every surface)."""
    return publication.plan_values(plan, publication.audience_of(user, plan.city))


def readable_snapshot(user, plan: Plan, snapshot: dict) -> dict:
    """A version's snapshot as this reader may see it: the baselines of counts of people below k withheld
    outside the city team (targets are plans, not counts of people, and stay)."""
    return publication.snapshot_baselines(plan, publication.audience_of(user, plan.city), snapshot)


def may_read_evidence(user, activity: Activity) -> bool:
    return can(user, Action.VIEW_SMALL_CELLS, activity.plan.city) or can(user, Action.EDIT_ACTIVITY, activity)


def activities(user, plan: Plan):
    return (Activity.objects.filter(plan=plan).select_related("lead", "objective__pillar")
            .prefetch_related("partners", "areas", "national_pillars").order_by("objective__pillar__order",
                                                                                "objective__order", "order", "code"))


def activity(user, plan: Plan, pk: int) -> Activity:
    found = activities(user, plan).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def indicators(user, plan: Plan):
    return (PlanIndicator.objects.filter(plan=plan).select_related("objective", "activity", "mapping_indicator")
            .prefetch_related("targets", "actuals").order_by("order", "code"))


def progress(user, plan: Plan, *, activity: Activity | None = None):
    qs = ProgressUpdate.objects.filter(activity__plan=plan).select_related("activity", "author") \
        .prefetch_related("evidence")
    if activity is not None:
        qs = qs.filter(activity=activity)
    return qs.order_by("activity__code", "-period")


def evidence(user, city: City, pk: int) -> Evidence:
    found = Evidence.objects.filter(pk=pk, update__activity__plan__city=city) \
        .select_related("update__activity__plan__city", "update__activity__lead").first()
    if found is None or found.update.activity.plan not in plans(user, city):
        raise Http404
    if not may_read_evidence(user, found.update.activity):
        raise PermissionDenied
    return found


def reviews(user, plan: Plan):
    return Review.objects.filter(plan=plan).order_by("-opened_at")


def review(user, plan: Plan, pk: int) -> Review:
    found = reviews(user, plan).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def frameworks(user, country: str):
    return NationalFramework.objects.filter(country=country).prefetch_related("pillars")


def national_plans(user, country: str):
    """Plans of the country's cities shared at the national level or wider, for a national liaison."""
    if country not in national_countries(user):
        raise PermissionDenied
    return (Plan.objects.filter(city__country=country, visibility__in=["national", "peers", "public"])
            .select_related("city", "framework").order_by("city__name", "-start_year"))
