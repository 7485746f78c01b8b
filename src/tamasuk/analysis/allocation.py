"""Campaign allocation (the Saida case): serve the highest need first, within each organisation's areas and
capacity, and say why for every row. No Django.

Areas are taken in order of need (highest first; ties by code). Each area's demand (for example its
population, or the doses it needs) is filled from the organisations that cover it and still have capacity;
among those, the organisation with the FEWEST other uncovered areas goes first, so flexible organisations
stay free for areas only they can reach. The campaign's total capacity caps the sum of all allocations.
Deterministic: the same input gives the same plan.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AreaNeed:
    area: Hashable
    need: float
    demand: float


@dataclass(frozen=True)
class Participant:
    organisation: Hashable
    capacity: float
    areas: frozenset


@dataclass(frozen=True)
class AllocationRow:
    area: Hashable
    need: float
    rank: int
    demand: float
    given: tuple[tuple[Hashable, float], ...]  # (organisation, amount), in the order they were assigned
    unmet: float
    reason: str  # "served", "partly served: capacity ran out", "no participating organisation covers it", …

    @property
    def allocated(self) -> float:
        return sum(amount for _org, amount in self.given)


@dataclass(frozen=True)
class AllocationResult:
    rows: tuple[AllocationRow, ...]
    total_capacity: float
    allocated: float
    left_by_organisation: dict = field(default_factory=dict)


def allocate(areas: Sequence[AreaNeed], participants: Sequence[Participant], total_capacity: float
             ) -> AllocationResult:
    if total_capacity < 0 or any(p.capacity < 0 for p in participants) or any(a.demand < 0 for a in areas):
        raise ValueError("capacities and demands must not be negative")
    left = {p.organisation: float(p.capacity) for p in participants}
    pool = float(total_capacity)
    ordered = sorted(areas, key=lambda a: (-a.need, str(a.area)))
    remaining_areas = {a.area for a in ordered}
    rows = []
    for rank, a in enumerate(ordered, start=1):
        remaining_areas.discard(a.area)
        covering = [p for p in participants if a.area in p.areas]
        need_left = float(a.demand)
        given = []
        # Least flexible first: the organisation that can reach the fewest other areas still waiting.
        for p in sorted(covering, key=lambda p: (len(p.areas & remaining_areas), str(p.organisation))):
            if need_left <= 0 or pool <= 0:
                break
            amount = min(need_left, left[p.organisation], pool)
            if amount <= 0:
                continue
            given.append((p.organisation, amount))
            left[p.organisation] -= amount
            need_left -= amount
            pool -= amount
        if not covering:
            reason = "no participating organisation covers it"
        elif need_left <= 0:
            reason = "served"
        elif pool <= 0:
            reason = "partly served: the campaign's total capacity ran out" if given else \
                "not served: the campaign's total capacity ran out"
        else:
            reason = "partly served: the organisations covering it have no capacity left" if given else \
                "not served: the organisations covering it have no capacity left"
        rows.append(AllocationRow(area=a.area, need=a.need, rank=rank, demand=float(a.demand), given=tuple(given),
                                  unmet=max(need_left, 0.0), reason=reason))
    allocated = sum(r.allocated for r in rows)
    return AllocationResult(rows=tuple(rows), total_capacity=float(total_capacity), allocated=allocated,
                            left_by_organisation=left)
