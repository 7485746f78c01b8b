"""Quarterly reporting of a plan's activities: the one status rule every surface uses, and which activity has
reported which quarter (reporting completeness, as DHIS2 and ActivityInfo show it). No Django.

The status rule (:func:`activity_status`), in order:

1. a cancelled activity is ``cancelled`` (not counted as on track or late);
2. a completed one (its own status, or its latest report says so) is ``completed``;
3. one past its end date is ``late``;
4. one that was running in the last completed quarter (relative to *today*, in the city's time zone) but whose
   latest report is older than that quarter is ``not_reported``, whatever its old report said: an "on track"
   from a year ago is not news that it is on track;
5. one nobody has reported on yet is ``not_started``;
6. otherwise the status of its latest report.

Quarters are written "2025-Q3", which sort as text in time order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "NOT_REPORTED",
    "ActivitySpan",
    "Completeness",
    "activity_status",
    "completeness",
    "last_completed_quarter",
    "quarter_bounds",
    "quarter_of",
    "quarters_between",
]

NOT_REPORTED = "not_reported"
CANCELLED, COMPLETED, LATE, NOT_STARTED = "cancelled", "completed", "late", "not_started"
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a quarter such as "2025-Q3"."""
    m = _QUARTER.match(period)
    if not m:
        raise ValueError(f"not a quarter: {period!r} (write e.g. 2025-Q3)")
    year, q = int(m.group(1)), int(m.group(2))
    first = dt.date(year, 3 * q - 2, 1)
    last = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return first, last - dt.timedelta(days=1)


def last_completed_quarter(today: dt.date) -> str:
    """The latest quarter that has ended before today: on 3 December 2026, 2026-Q3."""
    first, _ = quarter_bounds(quarter_of(today))
    return quarter_of(first - dt.timedelta(days=1))


def quarters_between(first: str, last: str) -> list[str]:
    """Every quarter from first to last, both included (empty when last comes before first)."""
    out = []
    start, _ = quarter_bounds(first)
    end_first, _ = quarter_bounds(last)
    day = start
    while day <= end_first:
        out.append(quarter_of(day))
        day = quarter_bounds(out[-1])[1] + dt.timedelta(days=1)
    return out


def activity_status(*, cancelled: bool, completed: bool, start: dt.date, end: dt.date, latest_period: str | None,
                    latest_status: str | None, today: dt.date) -> str:
    """The rule of the module docstring, for one activity. Report statuses are ProgressStatus values."""
    if cancelled:
        return CANCELLED
    if completed or latest_status == COMPLETED:
        return COMPLETED
    if end < today:
        return LATE
    due = last_completed_quarter(today)
    if start <= quarter_bounds(due)[1] and (latest_period is None or latest_period < due):
        return NOT_REPORTED
    if latest_status is None:
        return NOT_STARTED
    return latest_status


# ---- which activity reported which quarter ----

@dataclass(frozen=True)
class ActivitySpan:
    """What completeness needs to know of an activity: when it runs, and the quarters it reported (quarter →
    the status it reported). A completed activity owes no report after the quarter it reported completion in;
    a cancelled one owes none at all (its reports still show)."""

    key: object
    start: dt.date
    end: dt.date
    reports: dict[str, str]
    cancelled: bool = False


@dataclass
class Cell:
    quarter: str
    expected: bool
    status: str | None  # the status reported that quarter, or None

    @property
    def missing(self) -> bool:
        return self.expected and self.status is None


@dataclass
class Row:
    key: object
    cells: list[Cell]

    @property
    def expected(self) -> int:
        return sum(c.expected for c in self.cells)

    @property
    def reported(self) -> int:
        return sum(c.expected and c.status is not None for c in self.cells)

    @property
    def missing(self) -> int:
        return self.expected - self.reported

    @property
    def percent(self) -> int | None:
        return _percent(self.reported, self.expected)


@dataclass
class Completeness:
    quarters: list[str]
    rows: list[Row]
    by_quarter: list[tuple[str, int, int]] = field(default_factory=list)  # (quarter, reported, expected)

    @property
    def reported(self) -> int:
        return sum(r.reported for r in self.rows)

    @property
    def expected(self) -> int:
        return sum(r.expected for r in self.rows)

    @property
    def percent(self) -> int | None:
        return _percent(self.reported, self.expected)

    def quarter_percents(self) -> list[tuple[str, int, int, int | None]]:
        return [(q, rep, exp, _percent(rep, exp)) for q, rep, exp in self.by_quarter]


def _percent(part: int, whole: int) -> int | None:
    # rounded down: 99.5 % of reports is not "100 %", someone still owes one
    return part * 100 // whole if whole else None


def completeness(activities: Iterable[ActivitySpan], quarters: Sequence[str]) -> Completeness:
    """Activities × quarters: a report is expected for a quarter the activity ran in (it started before the
    quarter ended and ended after it began), unless it was cancelled or had reported completion earlier."""
    quarters = list(quarters)
    bounds = {q: quarter_bounds(q) for q in quarters}
    rows = []
    for a in activities:
        done = min((q for q, s in a.reports.items() if s == COMPLETED), default=None)
        cells = []
        for q in quarters:
            first, last = bounds[q]
            running = a.start <= last and a.end >= first and not a.cancelled
            expected = running and (done is None or q <= done)
            cells.append(Cell(q, expected, a.reports.get(q)))
        rows.append(Row(a.key, cells))
    by_quarter = []
    for i, q in enumerate(quarters):
        expected = sum(r.cells[i].expected for r in rows)
        reported = sum(r.cells[i].expected and r.cells[i].status is not None for r in rows)
        by_quarter.append((q, reported, expected))
    return Completeness(quarters, rows, by_quarter)
