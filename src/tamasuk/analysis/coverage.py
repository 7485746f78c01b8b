"""Coverage gaps: need against service coverage, per area and sector.

Pure computation (numpy); no Django. The caller turns its querysets into plain values and calls
:func:`coverage`, which returns a frozen :class:`CoverageResult`: one :class:`CoverageRow` per area ×
sector, the same numbers as ``areas × sectors`` arrays, and the ranked "high need, low coverage" list.

Inputs
    ``areas``
        Area keys (codes or ids), in the order the arrays follow.
    ``population``
        Residents per area (a sequence aligned with ``areas`` or a mapping area → residents). ``None``,
        NaN, 0 or a missing key all mean *no population*: the area gets no rate, no gap score, is left out
        of the percentiles and carries the flag ``"no_population"``.
    ``need``
        One score per area (a sequence or a mapping area → score), or an ``areas × sectors`` array when
        the need differs by sector. It is the score of a saved priority profile (0–100), a theme score, or
        one indicator. ``need_scale`` says how to bring it to [0, 1]:

        * ``None`` (default): already normalised by the caller; values outside [0, 1] are an error.
        * ``(low, high)``: fixed goalposts, ``(x - low) / (high - low)`` clipped to [0, 1]; a profile score
          is ``need_scale=(0, 100)``.
        * ``"minmax"``: ``(x - min) / (max - min)`` over the areas (per sector column for a 2-D need). A
          constant need has no spread; every area then gets 1 ("all equally needy"), so the gap ranks
          by coverage alone.

        ``direction=-1`` turns "higher is better" values (e.g. an employment rate) into need:
        ``1 - normalised``. NaN (no value) gives no gap score and the flag ``"no_need"``.
    ``services``
        Records (:class:`Service` or mappings with the same keys): ``organisation``, ``sector``, ``areas``
        covered, ``capacity`` (people per period; ``None`` = unknown) and ``reached`` (people reached;
        ``None`` = unknown). An area not in ``areas`` is an error naming the service. When ``sectors`` is
        given, services of other sectors are skipped (counted in ``CoverageResult.skipped_services``);
        otherwise the sectors are those of the services, sorted.

Coverage
    A service that covers several areas has its capacity (and people reached) **split across the covered
    areas in proportion to their population**: area ``a`` gets ``capacity × pop_a / Σ pop`` over the
    service's areas. (If none of its areas has population, it is split equally; those areas have no rate
    anyway.) Per area and sector:

    * ``capacity_per_1000 = 1000 × Σ allocated capacity / population`` and ``reached_per_1000`` likewise;
    * ``providers``: the number of distinct organisations with a service there, ``services`` the number
      of services;
    * **unknown capacity**: a service with ``capacity=None`` counts for presence (``providers``,
      ``services``) but adds nothing to the capacity; the row counts such services in
      ``capacity_unknown`` and carries the flag ``"capacity_unknown"``: its capacity is a lower bound.
      If capacities are mostly unknown, use ``measure="providers"``.

    ``measure`` chooses the coverage that the gap uses: ``"capacity"`` (capacity per 1,000 residents,
    default), ``"reached"`` (people reached per 1,000) or ``"providers"`` (number of providers).

Gap score
    ``gap = N × (1 − C)``, in [0, 1], where

    * ``N`` is the **need percentile** among the areas with population and a need value (per sector):
      ``N = (#{areas with need ≤ x} − 1) / (m − 1)``: the neediest area has 1, the least needy 0, and
      tied areas share the *highest* percentile of their tie. With ``need_as="value"``, ``N`` is the
      normalised need itself.
    * ``C`` is the **coverage percentile** among the areas with population, within the sector (capacities
      of different sectors are not comparable): ``C = #{areas with coverage < x} / (m − 1)``: the least
      covered area has 0, the best covered 1, and tied areas share the *lowest* percentile of their tie,
      so every area without a service has ``C = 0``. With a ``coverage_target`` (in the measure's unit,
      e.g. 50 places per 1,000 residents), ``C = min(coverage / target, 1)`` instead: an absolute
      standard rather than a comparison between areas.
    * With a single eligible area, ``N = 1`` and ``C = 0`` (ties rule above).

    Both ties rules lean towards reporting a gap. More coverage never raises a gap: ``C`` can only grow
    with the area's own coverage. Coverage values are compared after rounding to 9 significant digits,
    so a split computed in a different order cannot break a tie.

    The bivariate class cuts ``N`` and ``C`` at tertiles: ``low`` below 1/3, ``medium`` below 2/3, ``high``
    from 2/3; ``CoverageRow.high_need_low_coverage`` is the top-left cell of that 3 × 3 legend.

Ranked list
    ``CoverageResult.ranked`` holds the rows with a gap above 0, worst first: by gap, then need, then
    lower coverage, then area and sector order; ``top`` caps its length. ``CoverageRow.gap_rank`` is the
    row's position in that order (1 = largest gap; ``None`` without a gap score).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "MEASURES",
    "CoverageResult",
    "CoverageRow",
    "Service",
    "coverage",
    "normalise_need",
]

MEASURES = ("capacity", "reached", "providers")
PER = 1000.0
_CLASSES = ("low", "medium", "high")


@dataclass(frozen=True)
class Service:
    """One service: an organisation working in one sector over some areas."""

    organisation: Hashable
    sector: str
    areas: tuple[Hashable, ...]
    capacity: float | None = None
    reached: float | None = None


@dataclass(frozen=True)
class CoverageRow:
    area: Hashable
    sector: str
    population: float  # NaN when unknown
    need: float  # normalised need in [0, 1], NaN when missing
    providers: int
    services: int
    capacity: float  # known capacity allocated to the area (people per period)
    capacity_per_1000: float  # NaN without population
    capacity_unknown: int  # services present whose capacity is unknown
    reached: float
    reached_per_1000: float
    need_score: float  # N
    coverage_score: float  # C
    gap: float  # N × (1 − C), NaN without population or need
    need_class: str | None
    coverage_class: str | None
    gap_rank: int | None
    flags: tuple[str, ...] = ()

    @property
    def high_need_low_coverage(self) -> bool:
        return self.need_class == "high" and self.coverage_class == "low"


@dataclass(frozen=True)
class CoverageResult:
    areas: tuple[Hashable, ...]
    sectors: tuple[str, ...]
    measure: str
    need_as: str
    coverage_target: float | None
    rows: tuple[CoverageRow, ...]  # area-major: areas[0] × every sector, then areas[1] ...
    ranked: tuple[CoverageRow, ...]
    need: np.ndarray = field(repr=False)  # areas × sectors, normalised need
    capacity_per_1000: np.ndarray = field(repr=False)
    reached_per_1000: np.ndarray = field(repr=False)
    providers: np.ndarray = field(repr=False)
    gap: np.ndarray = field(repr=False)
    skipped_services: int = 0

    def row(self, area: Hashable, sector: str) -> CoverageRow:
        i = self.areas.index(area)
        j = self.sectors.index(sector)
        return self.rows[i * len(self.sectors) + j]


# ---------------------------------------------------------------------------------------------------
# need
# ---------------------------------------------------------------------------------------------------


def normalise_need(
    values: Sequence[float] | np.ndarray,
    *,
    scale: str | tuple[float, float] | None = "minmax",
    direction: int = 1,
) -> np.ndarray:
    """Bring need values to [0, 1] (per column for a 2-D array); NaN stays NaN. See the module docstring."""
    x = np.array(values, dtype=float)
    if direction not in (1, -1):
        raise ValueError(f"coverage: direction must be 1 or -1, not {direction!r}")
    if scale is None:
        finite = x[np.isfinite(x)]
        if finite.size and (finite.min() < 0 or finite.max() > 1):
            raise ValueError(
                "coverage: need values must lie in [0, 1] when need_scale is None; pass need_scale=(0, 100) "
                "for a profile score or need_scale='minmax' to rescale them"
            )
        y = x
    elif isinstance(scale, str):
        if scale != "minmax":
            raise ValueError(f"coverage: unknown need_scale {scale!r}; use None, 'minmax' or (low, high)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column
            lo = np.nanmin(x, axis=0)
            hi = np.nanmax(x, axis=0)
        span = np.asarray(hi - lo, dtype=float)
        spread = np.isfinite(span) & (span > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(spread, (x - lo) / np.where(spread, span, 1.0), 1.0)
        y = np.where(np.isnan(x), np.nan, y)
        # a constant column (no spread) is "all equally needy" whatever the direction: it stays at 1
        return np.where(spread, 1.0 - y, y) if direction == -1 else y
    else:
        lo, hi = (float(v) for v in scale)
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            raise ValueError(
                f"coverage: need_scale goalposts {scale!r} must be two finite numbers, low < high"
            )
        y = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return 1.0 - y if direction == -1 else y


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------


def _per_area(values: Any, areas: Sequence[Hashable], what: str) -> np.ndarray:
    """One float per area (None → NaN), from a sequence aligned with ``areas`` or a mapping."""
    if isinstance(values, Mapping):
        values = [values.get(a) for a in areas]
    arr = np.array(values, dtype=float)
    if arr.ndim != 1 or arr.shape[0] != len(areas):
        raise ValueError(f"coverage: {what} has shape {arr.shape}; give one value per area ({len(areas)})")
    return arr


def _as_service(s: Any, i: int) -> Service:
    if isinstance(s, Service):
        svc = s
    elif isinstance(s, Mapping):
        try:
            svc = Service(
                organisation=s["organisation"],
                sector=s["sector"],
                areas=tuple(s["areas"]),
                capacity=s.get("capacity"),
                reached=s.get("reached"),
            )
        except KeyError as e:
            raise ValueError(f"coverage: service {i} has no {e.args[0]!r}") from None
    else:
        raise TypeError(f"coverage: service {i} is a {type(s).__name__}; give a Service or a mapping")
    for name in ("capacity", "reached"):
        v = getattr(svc, name)
        if v is not None and not (math.isfinite(float(v)) and float(v) >= 0):
            raise ValueError(
                f"coverage: service {i} (organisation {svc.organisation!r}, sector {svc.sector!r}) has "
                f"{name} {v!r}; give a number of people ≥ 0, or None when unknown"
            )
    if isinstance(svc.areas, str | bytes) or not svc.areas:
        raise ValueError(
            f"coverage: service {i} (organisation {svc.organisation!r}, sector {svc.sector!r}) covers no "
            "areas; give the list of area keys it covers"
        )
    return svc


def _round_sig(x: np.ndarray, digits: int = 9) -> np.ndarray:
    """Round to ``digits`` significant digits (NaN unchanged; exact for subnormal and huge values)."""
    flat = np.asarray(x, dtype=float).ravel()
    return np.array([float(f"{v:.{digits}g}") for v in flat.tolist()], dtype=float).reshape(np.shape(x))


def _need_percentile(x: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """(#{≤ x} − 1) / (m − 1) among the eligible; ties share the highest; a single area gets 1."""
    out = np.full(x.shape, np.nan)
    vals = np.sort(x[eligible])
    m = vals.size
    if m == 0:
        return out
    le = np.searchsorted(vals, x[eligible], side="right")
    out[eligible] = 1.0 if m == 1 else (le - 1) / (m - 1)
    return out


def _coverage_percentile(x: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """#{< x} / (m − 1) among the eligible; ties share the lowest; a single area gets 0."""
    out = np.full(x.shape, np.nan)
    vals = np.sort(x[eligible])
    m = vals.size
    if m == 0:
        return out
    lt = np.searchsorted(vals, x[eligible], side="left")
    out[eligible] = 0.0 if m == 1 else lt / (m - 1)
    return out


def _tertile(v: float) -> str | None:
    if not math.isfinite(v):
        return None
    return _CLASSES[0] if v < 1 / 3 else _CLASSES[1] if v < 2 / 3 else _CLASSES[2]


# ---------------------------------------------------------------------------------------------------
# coverage
# ---------------------------------------------------------------------------------------------------


def coverage(
    areas: Sequence[Hashable],
    population: Sequence[float | None] | Mapping[Hashable, float | None] | np.ndarray,
    need: Sequence[float | None] | Mapping[Hashable, float | None] | np.ndarray,
    services: Iterable[Service | Mapping[str, Any]],
    sectors: Sequence[str] | None = None,
    *,
    need_scale: str | tuple[float, float] | None = None,
    direction: int = 1,
    need_as: str = "percentile",
    measure: str = "capacity",
    coverage_target: float | None = None,
    top: int | None = None,
) -> CoverageResult:
    """Coverage and gap score per area × sector, and the ranked "high need, low coverage" list.

    See the module docstring for the inputs, the capacity split and the gap formula.
    """
    areas = tuple(areas)
    if len(set(areas)) != len(areas):
        dup = next(a for i, a in enumerate(areas) if a in areas[:i])
        raise ValueError(f"coverage: area {dup!r} is listed twice")
    if measure not in MEASURES:
        raise ValueError(f"coverage: unknown measure {measure!r}; use one of {MEASURES}")
    if need_as not in ("percentile", "value"):
        raise ValueError(f"coverage: need_as must be 'percentile' or 'value', not {need_as!r}")
    if coverage_target is not None and not (math.isfinite(coverage_target) and coverage_target > 0):
        raise ValueError(f"coverage: coverage_target must be a positive number, not {coverage_target!r}")
    n = len(areas)
    pos = {a: i for i, a in enumerate(areas)}

    pop = _per_area(population, areas, "population")
    if (pop[np.isfinite(pop)] < 0).any():
        a = areas[int(np.flatnonzero(np.isfinite(pop) & (pop < 0))[0])]
        raise ValueError(f"coverage: area {a!r} has a negative population")
    has_pop = np.isfinite(pop) & (pop > 0)

    svcs = [_as_service(s, i) for i, s in enumerate(services)]
    if sectors is None:
        sectors = tuple(sorted({s.sector for s in svcs}, key=str))
    else:
        sectors = tuple(sectors)
        if len(set(sectors)) != len(sectors):
            raise ValueError("coverage: a sector is listed twice")
    k = len(sectors)
    spos = {s: j for j, s in enumerate(sectors)}

    # need → areas × sectors in [0, 1]
    raw = np.array([need.get(a) for a in areas] if isinstance(need, Mapping) else need, dtype=float)
    if raw.shape not in ((n,), (n, k)):
        raise ValueError(f"coverage: need has shape {raw.shape}; give {n} values or an {n} × {k} array")
    need_n = normalise_need(raw, scale=need_scale, direction=direction)
    need_mat = np.broadcast_to(need_n[:, None], (n, k)).copy() if need_n.ndim == 1 else need_n

    # allocate services
    cap = np.zeros((n, k))
    reach = np.zeros((n, k))
    n_services = np.zeros((n, k), dtype=int)
    unknown = np.zeros((n, k), dtype=int)
    orgs: list[list[set[Hashable]]] = [[set() for _ in range(k)] for _ in range(n)]
    skipped = 0
    w = np.where(has_pop, pop, 0.0)
    for i, s in enumerate(svcs):
        j = spos.get(s.sector)
        if j is None:
            skipped += 1
            continue
        idx = []
        seen = set()
        for a in s.areas:
            if a not in pos:
                raise ValueError(
                    f"coverage: service {i} (organisation {s.organisation!r}, sector {s.sector!r}) covers area "
                    f"{a!r}, which is not among the {n} areas analysed; map it to an area key or drop it"
                )
            if a not in seen:
                seen.add(a)
                idx.append(pos[a])
        idx_arr = np.array(idx, dtype=int)
        ww = w[idx_arr]
        tot = ww.sum()
        share = ww / tot if tot > 0 else np.full(idx_arr.size, 1.0 / idx_arr.size)
        if s.capacity is None:
            unknown[idx_arr, j] += 1
        else:
            cap[idx_arr, j] += float(s.capacity) * share
        if s.reached is not None:
            reach[idx_arr, j] += float(s.reached) * share
        n_services[idx_arr, j] += 1
        for r in idx:
            orgs[r][j].add(s.organisation)
    providers = np.array([[len(orgs[r][j]) for j in range(k)] for r in range(n)], dtype=int).reshape(n, k)

    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(has_pop[:, None], PER * cap / np.where(has_pop, pop, 1.0)[:, None], np.nan)
        rrate = np.where(has_pop[:, None], PER * reach / np.where(has_pop, pop, 1.0)[:, None], np.nan)
    cov = {"capacity": rate, "reached": rrate, "providers": providers.astype(float)}[measure]
    cov = np.where(has_pop[:, None], _round_sig(cov), np.nan)

    # scores
    N = np.full((n, k), np.nan)
    C = np.full((n, k), np.nan)
    for j in range(k):
        el_need = has_pop & np.isfinite(need_mat[:, j])
        N[:, j] = (
            _need_percentile(need_mat[:, j], el_need)
            if need_as == "percentile"
            else np.where(el_need, need_mat[:, j], np.nan)
        )
        if coverage_target is None:
            C[:, j] = _coverage_percentile(cov[:, j], has_pop)
        else:
            C[:, j] = np.where(has_pop, np.minimum(cov[:, j] / coverage_target, 1.0), np.nan)
    gap = N * (1.0 - C)

    # ranking: gap desc, need desc, coverage asc, area order, sector order
    flat = [(r, j) for r in range(n) for j in range(k) if np.isfinite(gap[r, j])]
    flat.sort(key=lambda t: (-gap[t], -N[t], C[t], t[0], t[1]))
    rank = {t: q + 1 for q, t in enumerate(flat)}

    rows = []
    for r in range(n):
        for j in range(k):
            flags = []
            if not has_pop[r]:
                flags.append("no_population")
            if not np.isfinite(need_mat[r, j]):
                flags.append("no_need")
            if unknown[r, j]:
                flags.append("capacity_unknown")
            if providers[r, j] == 0:
                flags.append("no_provider")
            rows.append(
                CoverageRow(
                    area=areas[r],
                    sector=sectors[j],
                    population=float(pop[r]),
                    need=float(need_mat[r, j]),
                    providers=int(providers[r, j]),
                    services=int(n_services[r, j]),
                    capacity=float(cap[r, j]),
                    capacity_per_1000=float(rate[r, j]),
                    capacity_unknown=int(unknown[r, j]),
                    reached=float(reach[r, j]),
                    reached_per_1000=float(rrate[r, j]),
                    need_score=float(N[r, j]),
                    coverage_score=float(C[r, j]),
                    gap=float(gap[r, j]),
                    need_class=_tertile(float(N[r, j])),
                    coverage_class=_tertile(float(C[r, j])),
                    gap_rank=rank.get((r, j)),
                    flags=tuple(flags),
                )
            )
    ranked = [rows[r * k + j] for (r, j) in flat if gap[r, j] > 0]
    if top is not None:
        ranked = ranked[: max(0, int(top))]
    for arr in (need_mat, rate, rrate, providers, gap):
        arr.setflags(write=False)
    return CoverageResult(
        areas=areas,
        sectors=sectors,
        measure=measure,
        need_as=need_as,
        coverage_target=coverage_target,
        rows=tuple(rows),
        ranked=tuple(ranked),
        need=need_mat,
        capacity_per_1000=rate,
        reached_per_1000=rrate,
        providers=providers,
        gap=gap,
        skipped_services=skipped,
    )
