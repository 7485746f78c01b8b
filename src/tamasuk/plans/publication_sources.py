"""The rows plans hands the publication layer (cities.publication.provide, from PlansConfig.ready()): a plan's
indicators and their recorded values, which the layer publishes as counts of people where they are."""

from .models import Actual, PlanIndicator


def plan_indicators(plan):
    return PlanIndicator.objects.filter(plan=plan).values_list("pk", "counts_people", "baseline_value")


def plan_actuals(plan):
    return Actual.objects.filter(indicator__plan=plan).order_by("year", "sex", "age_band", "group", "pk")


READERS = {"plan_indicators": plan_indicators, "plan_actuals": plan_actuals}
