"""A plan's monitoring dashboard: where its activities stand, its indicators against their targets, and its
budget planned against spent, by pillar and by area. Shared by the dashboard page, the plan page, the API and the
PDF review report, so that they all say the same.

An activity's status follows one rule (analysis.reporting.activity_status): cancelled, completed, late past its
end date, *not reported* when its latest report is older than the last completed quarter (in the city's time
zone) whatever that report said, not started until its first report, else its latest report's status. Cancelled
activities are left out of the status counts (they are neither on track nor late) but their money stays in the
budget: what was planned and spent on them is part of the plan's record.

An indicator's progress is measured from its baseline toward its target in its own direction
(analysis.progress): "lower is better" indicators that rise read as moving away, never as a percentage.

Readers outside the city team see counts of people below the city's threshold k as "<k", the same rule as
every other number that leaves the city team (cities/publication.py); no progress is shown for them, since a
share of the way would give the hidden count away.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tamasuk.analysis import charts as drawing
from tamasuk.analysis import reporting
from tamasuk.analysis.progress import Progress, State
from tamasuk.analysis.progress import progress as progress_rule
from tamasuk.cities import publication
from tamasuk.cities.models import Area

from . import queries
from .models import ActivityStatus, Plan, PlanIndicator, ProgressStatus

NOT_REPORTED = reporting.NOT_REPORTED
STATUS_ORDER = [ProgressStatus.NOT_STARTED.value, ProgressStatus.ON_TRACK.value, ProgressStatus.AT_RISK.value,
                NOT_REPORTED, ProgressStatus.LATE.value, ProgressStatus.COMPLETED.value]
STATUS_LABELS = {**{s.value: s.label for s in ProgressStatus}, NOT_REPORTED: gettext_lazy("Not reported"),
                 ActivityStatus.CANCELLED.value: ActivityStatus.CANCELLED.label}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def city_zone(city):
    try:
        return ZoneInfo(city.time_zone) if city.time_zone else timezone.get_current_timezone()
    except (ValueError, KeyError):
        return timezone.get_current_timezone()


def city_today(city) -> dt.date:
    """Today where the city is: the quarter that has just ended depends on it."""
    return timezone.localdate(timezone=city_zone(city))


def _num(value, decimals: int | None = None) -> str:
    """A number as people read it in the page's language: grouped, no trailing zeros."""
    if value is None:
        return "–"
    if isinstance(value, str):  # already a marker such as "<5"
        return value
    value = Decimal(value)
    if decimals is None:
        decimals = 0 if value == value.to_integral_value() else min(-value.normalize().as_tuple().exponent, 4)
    return number_format(value, decimal_pos=decimals, force_grouping=True)


@dataclass
class StatusRow:
    """Activities of one pillar or one area, counted by status (keys of ProgressStatus)."""

    label: str
    counts: dict[str, int]
    code: str = ""

    @property
    def values(self) -> list[int]:
        return [self.counts[s] for s in STATUS_ORDER]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[tuple[str, int]]:
        """(status label, count) in drawing order: a table row that names each number."""
        return [(status_label(s), self.counts[s]) for s in STATUS_ORDER]


@dataclass
class ActivityState:
    activity: object  # plans.models.Activity
    status: str  # a ProgressStatus value, "not_reported" or "cancelled"
    last_period: str | None
    spent: Decimal
    due_period: str = ""  # the last completed quarter, which a running activity owes a report for

    @property
    def label(self) -> str:
        return status_label(self.status)


@dataclass
class IndicatorRow:
    """An indicator's latest year with a recorded total, against that year's target and the baseline.

    ``actual`` and ``baseline`` are what this reader may see: a number, or the "<k" marker when the indicator
    counts people and the reader is outside the city team. ``progress`` (from the baseline toward the target)
    is None when the value or the baseline is hidden (a share of the way would give the hidden count away).
    """

    indicator: PlanIndicator
    label: str
    unit: str
    year: int | None
    actual: Decimal | str | None
    target: Decimal | None
    target_year: int | None
    baseline: Decimal | str | None
    baseline_date: dt.date | None
    progress: Progress | None
    suppressed: bool
    higher_is_better: bool

    @property
    def actual_text(self) -> str:
        return _num(self.actual)

    @property
    def target_text(self) -> str:
        return _num(self.target)

    @property
    def baseline_text(self) -> str:
        return _num(self.baseline)

    @property
    def progress_text(self) -> str:
        return progress_text(self.progress)

    @property
    def progress_state(self) -> str:
        return self.progress.state.value if self.progress is not None else "withheld"


def indicator_progress(indicator, *, value, target, baseline) -> Progress | None:
    """The progress rule (analysis.progress) for one of the plan's indicators, with the numbers this reader may
    see: None when the value or the baseline is a "<k" marker."""
    if isinstance(value, str) or isinstance(baseline, str):
        return None
    return progress_rule(value=value, target=target, baseline=baseline, higher_is_better=indicator.higher_is_better)


def progress_text(p: Progress | None) -> str:
    """Progress in words, the same on every surface (pages, API, PDF, IATI)."""
    if p is None or not p.measured:
        return "–"
    if p.state == State.ACHIEVED:
        return _("target reached")
    if p.state == State.TOWARDS:
        if p.percent == 0:
            return _("under %(percent)s of the way to the target") % {"percent": "1\u00a0%"}
        return _("%(percent)s of the way to the target") % {"percent": f"{_num(p.percent, 0)}\u00a0%"}
    if p.state == State.NO_CHANGE:
        return _("no change from the baseline")
    if p.state == State.MOVING_AWAY:
        return _("moving away from the target")
    if p.state == State.NOT_REACHED:
        return _("target not reached (no baseline to measure from)")
    return _("target not reached (direction unknown)")


@dataclass
class BudgetRow:
    label: str
    planned: Decimal
    spent: Decimal
    code: str = ""

    @property
    def percent(self) -> float | None:
        return float(self.spent / self.planned * 100) if self.planned else None

    @property
    def planned_text(self) -> str:
        return _num(self.planned, 0)

    @property
    def spent_text(self) -> str:
        return _num(self.spent, 0)

    @property
    def percent_text(self) -> str:
        return "–" if self.percent is None else f"{_num(round(self.percent), 0)}\u00a0%"


@dataclass
class Dashboard:
    plan: Plan
    title: str
    today: dt.date
    currency: str
    statuses: list[tuple[str, str]]  # (ProgressStatus value, translated label), in drawing order
    activities: list[ActivityState]
    totals: StatusRow
    by_pillar: list[StatusRow]
    by_area: list[StatusRow]  # level-1 areas (sub-counties), then activities with no area, if any
    indicators: list[IndicatorRow]
    budget: list[BudgetRow]
    budget_total: BudgetRow
    cancelled: int = 0
    published_k: int | None = None  # set when counts of people below k are hidden from this reader
    area_level_name: str = field(default="")
    due_period: str = ""  # the last completed quarter: running activities owe a report for it

    @property
    def summary(self) -> list[tuple[str, str, int]]:
        """(status, label, number of activities) for the headline numbers."""
        return [(key, label, self.totals.counts[key]) for key, label in self.statuses]


def _empty() -> dict[str, int]:
    return {s: 0 for s in STATUS_ORDER}


def status_of(activity, latest_period: str | None, latest_status: str | None, today: dt.date) -> str:
    """The rule of the module docstring, for one activity."""
    return reporting.activity_status(
        cancelled=activity.status == ActivityStatus.CANCELLED, completed=activity.status == ActivityStatus.COMPLETED,
        start=activity.start, end=activity.end, latest_period=latest_period, latest_status=latest_status,
        today=today)


def activity_states(user, plan: Plan, *, today: dt.date | None = None, activities=None) -> list[ActivityState]:
    """Every activity's status by the one rule, its latest reported quarter and what it spent: what the plan
    page, the dashboard, the API and the review report show."""
    today = today or city_today(plan.city)
    due = reporting.last_completed_quarter(today)
    latest: dict[int, tuple[str, str]] = {}
    spent: dict[int, Decimal] = {}
    updates = queries.progress(user, plan).order_by()
    if activities is not None:
        activities = list(activities)
        updates = updates.filter(activity__in=[a.pk for a in activities])
    for update in updates:
        if update.activity_id not in latest or update.period > latest[update.activity_id][0]:
            latest[update.activity_id] = (update.period, update.status)
        spent[update.activity_id] = spent.get(update.activity_id, Decimal(0)) + (update.spent or Decimal(0))
    states = []
    for a in activities if activities is not None else queries.activities(user, plan):
        period, status = latest.get(a.pk, (None, None))
        states.append(ActivityState(a, status_of(a, period, status, today), period, spent.get(a.pk, Decimal(0)),
                                    due))
    return states


def _level1(areas: dict[int, Area], area_id: int) -> Area | None:
    """The sub-county (level-1 area) an area lies in, or the area itself if it is one."""
    seen = set()
    area = areas.get(area_id)
    while area is not None and area.level > 1 and area.parent_id and area.parent_id not in seen:
        seen.add(area.pk)
        area = areas.get(area.parent_id)
    return area if area is not None and area.level == 1 else None


def build(user, plan: Plan, *, today: dt.date | None = None) -> Dashboard:
    """Everything the dashboard shows to this user. The caller has already checked that the user may read the
    plan (queries.plan)."""
    language = translation.get_language()
    city = plan.city
    today = today or city_today(city)
    k = None if publication.sees_everything(user, city) else publication.threshold(city)  # the note under the table
    published = queries.values(user, plan)

    states = activity_states(user, plan, today=today)
    counted = [s for s in states if s.status != ActivityStatus.CANCELLED]

    pillars = list(plan.pillars.order_by("order", "code"))
    by_pillar = {p.pk: StatusRow(f"{p.code} {p.display_title(language)}", _empty(), p.code) for p in pillars}
    for s in counted:
        by_pillar[s.activity.objective.pillar_id].counts[s.status] += 1

    areas = {a.pk: a for a in Area.objects.filter(city=city).only("pk", "parent_id", "level", "code", "name",
                                                                  "names")}
    level1 = sorted((a for a in areas.values() if a.level == 1), key=lambda a: a.code)
    by_area = {a.pk: StatusRow(a.display_name(language), _empty(), a.code) for a in level1}
    nowhere = StatusRow(_("No area given (city-wide)"), _empty())
    for s in counted:
        places = {top.pk for area in s.activity.areas.all() if (top := _level1(areas, area.pk)) is not None}
        for pk in places:
            by_area[pk].counts[s.status] += 1
        if not places:
            nowhere.counts[s.status] += 1
    area_rows = list(by_area.values()) + ([nowhere] if nowhere.total else [])

    totals = StatusRow(_("All activities"), _empty())
    for s in counted:
        totals.counts[s.status] += 1

    budget = {p.pk: BudgetRow(f"{p.code} {p.display_title(language)}", Decimal(0), Decimal(0), p.code)
              for p in pillars}
    for s in states:
        row = budget[s.activity.objective.pillar_id]
        row.planned += s.activity.budget or Decimal(0)
        row.spent += s.spent
    budget_total = BudgetRow(_("Whole plan"), sum((r.planned for r in budget.values()), Decimal(0)),
                             sum((r.spent for r in budget.values()), Decimal(0)))

    return Dashboard(
        plan=plan, title=plan.display_title(language), today=today, currency=plan.currency,
        statuses=[(s, status_label(s)) for s in STATUS_ORDER], activities=states, totals=totals,
        by_pillar=list(by_pillar.values()), by_area=area_rows,
        indicators=[indicator_row(i, language, today, published[i.pk]) for i in queries.indicators(user, plan)],
        budget=list(budget.values()), budget_total=budget_total,
        cancelled=len(states) - len(counted), published_k=k, area_level_name=city.level_name(1),
        due_period=reporting.last_completed_quarter(today),
    )


def indicator_row(indicator: PlanIndicator, language: str, today: dt.date,
                  published: publication.IndicatorValues) -> IndicatorRow:
    """An indicator's latest year with a value, against that year's target, and its progress: the dashboard's
    row, which the plan page and the API also show."""
    totals = {a.year: a.value for a in indicator.actuals.all() if a.is_total}
    targets = {t.year: t.value for t in indicator.targets.all()}
    year = max(totals) if totals else None
    if year is not None:
        target_year = year
    else:  # nothing measured yet: the target that is coming next (or the last one)
        ahead = [y for y in targets if y >= today.year]
        target_year = min(ahead) if ahead else max(targets, default=None)
    target = targets.get(target_year) if target_year is not None else None
    actual = published.total(year) if year is not None else None
    baseline = published.baseline
    suppressed = isinstance(actual, str) or isinstance(baseline, str)
    progress = indicator_progress(indicator, value=actual, target=target, baseline=baseline)
    return IndicatorRow(
        indicator=indicator, label=f"{indicator.code} {indicator.display_name(language)}", unit=indicator.unit,
        year=year, actual=actual, target=target, target_year=target_year, baseline=baseline,
        baseline_date=indicator.baseline_date, progress=progress, suppressed=suppressed,
        higher_is_better=indicator.higher_is_better)


@dataclass
class IndicatorYears:
    """One row of the plan's indicator × year table, as this reader may see it: ``cells`` are (year, target,
    actual shown) for every year of the plan, ``latest`` the dashboard's row (progress), ``may_record`` whether
    this reader may record its values now."""

    indicator: PlanIndicator
    baseline: Decimal | str | None
    cells: list[tuple[int, Decimal | None, Decimal | str | None]]
    latest: IndicatorRow
    may_record: bool = False


def indicator_table(user, plan: Plan, *, today: dt.date, may_record=None) -> list[IndicatorYears]:
    """The plan's indicators by year, as the plan page and the API show them (values published for this reader:
    counts of people below the city's threshold withheld outside the city team). ``may_record(indicator)``: the
    page's own question, left to it."""
    language = translation.get_language()
    years = range(plan.start_year, plan.end_year + 1)
    published = queries.values(user, plan)
    rows = []
    for i in queries.indicators(user, plan):
        shown = published[i.pk]
        targets = {t.year: t.value for t in i.targets.all()}
        rows.append(IndicatorYears(
            indicator=i, baseline=shown.baseline, cells=[(y, targets.get(y), shown.total(y)) for y in years],
            latest=indicator_row(i, language, today, shown), may_record=bool(may_record and may_record(i))))
    return rows


# ---- the drawings ----

def _status_description(rows: list[StatusRow], statuses) -> str:
    return "; ".join(
        f"{r.label}: " + ", ".join(f"{label} {r.counts[key]}" for key, label in statuses if r.counts[key])
        if r.total else f"{r.label}: 0"
        for r in rows)


def _indicator_text(row: IndicatorRow) -> str:
    words = {"year": row.year, "actual": row.actual_text, "target": row.target_text, "unit": row.unit,
             "progress": row.progress_text, "target_year": row.target_year}
    if row.year is None:
        text = (_("No value yet; target %(target)s %(unit)s in %(target_year)s") % words if row.target is not None
                else _("No value and no target yet"))
    elif row.target is None:
        text = _("%(year)s: %(actual)s %(unit)s (no target for that year)") % words
    elif row.progress is None:
        text = _("%(year)s: %(actual)s against a target of %(target)s %(unit)s") % words
    else:
        text = _("%(year)s: %(actual)s against a target of %(target)s %(unit)s · %(progress)s") % words
    if row.baseline is not None:
        text += " · " + _("baseline %(baseline)s") % {"baseline": row.baseline_text}
    if not row.higher_is_better:
        text += " · " + _("lower is better")
    return text


def charts(dashboard: Dashboard, *, rtl: bool = False) -> dict[str, str]:
    """The dashboard's four drawings as SVG strings, labelled in the active language."""
    d = dashboard
    statuses = d.statuses
    status_by_pillar = drawing.status_bars(
        [(r.label, r.values) for r in d.by_pillar], statuses, rtl=rtl, id_prefix="dash-pillar",
        title=_("Activities by status, per pillar"), description=_status_description(d.by_pillar, statuses))
    status_by_area = drawing.status_bars(
        [(r.label, r.values) for r in d.by_area], statuses, rtl=rtl, id_prefix="dash-area",
        title=_("Activities by status, per %(level)s") % {"level": d.area_level_name.lower() or _("area")},
        description=_status_description(d.by_area, statuses))
    indicator_rows = [drawing.TargetRow(label=row.label, value_text=_indicator_text(row), progress=row.progress)
                      for row in d.indicators]
    indicators = drawing.target_bars(
        indicator_rows, rtl=rtl, id_prefix="dash-indicators",
        title=_("Indicators: progress from the baseline (0 %) to the target (100 %)"),
        description="; ".join(f"{r.label}: {r.value_text}" for r in indicator_rows),
        progress_label=_("Progress from the baseline"), target_label=_("Target (100 %)"),
        away_label=_("Moving away"))
    budget = drawing.budget_bars(
        [(r.label, float(r.planned), float(r.spent)) for r in d.budget], d.currency, rtl=rtl,
        id_prefix="dash-budget", title=_("Budget planned and spent, per pillar (%(currency)s)")
        % {"currency": d.currency},
        description="; ".join(_("%(pillar)s: %(spent)s spent of %(planned)s planned") % {
            "pillar": r.label, "spent": r.spent_text, "planned": r.planned_text} for r in d.budget),
        planned_label=_("Planned"), spent_label=_("Spent"), value_format=lambda v: _num(Decimal(str(v)), 0))
    return {"status_by_pillar": status_by_pillar, "status_by_area": status_by_area, "indicators": indicators,
            "budget": budget}
