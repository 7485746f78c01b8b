"""Reporting completeness of one plan version: which activity has reported which quarter (analysis.reporting).

A version covers the quarters from its start (the plan's first quarter for version 1, the quarter it was adopted
in for later ones) to the quarter before the next version was adopted, or, for the version in force, to the last
completed quarter in the city's time zone. Its activities are the ones its snapshot froze, with the dates that
version planned; their reports are the progress updates recorded for them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone, translation

from tamasuk.analysis import reporting

from . import queries
from .dashboard import city_today, city_zone, status_label
from .models import ActivityStatus, Plan, PlanVersion


@dataclass
class ActivityLine:
    code: str
    title: str
    activity: object | None  # the live Activity, for a link, if it still exists
    row: reporting.Row

    @property
    def cells(self) -> list[dict]:
        return [{"quarter": c.quarter, "status": c.status, "expected": c.expected,
                 "label": status_label(c.status) if c.status else ""} for c in self.row.cells]


@dataclass
class Report:
    plan: Plan
    version: PlanVersion | None
    versions: list[PlanVersion]
    today: dt.date
    due: str  # the last completed quarter
    quarters: list[str]
    lines: list[ActivityLine]
    table: reporting.Completeness | None

    @property
    def quarter_totals(self):
        return self.table.quarter_percents() if self.table else []


def _quarter_range(plan: Plan, version: PlanVersion, following: PlanVersion | None, due: str, zone) -> list[str]:
    first = reporting.quarter_of(dt.date(plan.start_year, 1, 1))
    if version.number > 1:
        first = max(first, reporting.quarter_of(timezone.localdate(version.adopted_at, zone)))
    last = min(due, reporting.quarter_of(dt.date(plan.end_year, 12, 31)))
    if following is not None:
        start_of_next, _ = reporting.quarter_bounds(reporting.quarter_of(timezone.localdate(following.adopted_at,
                                                                                            zone)))
        last = min(last, reporting.quarter_of(start_of_next - dt.timedelta(days=1)))
    return reporting.quarters_between(first, last) if first <= last else []


def _snapshot_activities(snapshot: dict):
    for pillar in snapshot.get("structure", {}).get("pillars", []):
        for objective in pillar.get("objectives", []):
            yield from objective.get("activities", [])


def build(user, plan: Plan, *, number: int | None = None, today: dt.date | None = None) -> Report:
    """The completeness table of version `number` (default: the version in force) as this reader may see it.
    The caller has checked that the user may read the plan (queries.plan)."""
    today = today or city_today(plan.city)
    due = reporting.last_completed_quarter(today)
    versions = list(plan.versions.order_by("number"))
    if not versions:
        return Report(plan, None, [], today, due, [], [], None)
    wanted = number or plan.adopted_version or versions[-1].number
    version = next((v for v in versions if v.number == wanted), None)
    if version is None:
        raise Http404
    following = next((v for v in versions if v.number > version.number), None)
    quarters = _quarter_range(plan, version, following, due, city_zone(plan.city))

    frozen = list(_snapshot_activities(version.snapshot))
    ids = [int(a["key"].split(":")[1]) for a in frozen]
    live = {a.pk: a for a in queries.activities(user, plan).filter(pk__in=ids)}
    reports: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    for update in queries.progress(user, plan).filter(activity_id__in=ids).order_by():
        reports[update.activity_id][update.period] = update.status
    spans = [reporting.ActivitySpan(key=pk, start=dt.date.fromisoformat(a["start"]),
                                    end=dt.date.fromisoformat(a["end"]), reports=reports[pk],
                                    cancelled=a.get("status") == ActivityStatus.CANCELLED)
             for pk, a in zip(ids, frozen, strict=True)]
    table = reporting.completeness(spans, quarters)
    language = translation.get_language()
    lines = []
    for a, row in zip(frozen, table.rows, strict=True):
        activity = live.get(row.key)
        title = activity.display_title(language) if activity is not None else a["title"]
        lines.append(ActivityLine(a["code"], title, activity, row))
    return Report(plan, version, versions, today, due, quarters, lines, table)

