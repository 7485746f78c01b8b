"""How robust a composite index's ranking is: Monte Carlo uncertainty and Sobol sensitivity.

The construction choices an :class:`Assumptions` names (weights, normalisation, aggregation, leaving one
indicator out) are drawn many times and each drawn index is evaluated in batches (one matrix product per
batch when nothing is missing), on data prepared once by :func:`.index.prepare`::

    uncertainty(data, spec, options, assumptions, runs, seed)   Monte Carlo rank intervals
    sensitivity(data, spec, options, assumptions, n, seed)      Sobol first-order / total indices
    sobol_indices(model, n_factors, n, seed)                    the Saltelli/Jansen estimators themselves

Pure numpy: no Django, no pandas.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .index import (
    AGGREGATIONS,
    NORMALISATIONS,
    IndexOptions,
    IndexSpec,
    Prepared,
    aggregate,
    check_domain,
    normalise_spec,
    prepare,
    rank,
    rank_rows,
    to_space,
)

__all__ = [
    "Assumptions",
    "SobolResult",
    "UncertaintyResult",
    "mean_abs_rank_shift",
    "sensitivity",
    "sobol_indices",
    "uncertainty",
]

# Stand-in for ln(0) in the batched Monte Carlo evaluators: finite, so that a zero weight times it is 0,
# and small enough that any positive weight on it sends exp(·) to exactly 0.
_LOG_ZERO = -1e250

# --------------------------------------------------------------------------------------------------------
# Batched evaluation of many alternative index constructions (Monte Carlo, Sobol)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumptions:
    """Which construction choices are uncertain.

    ``weights``: every node weight (all levels) is multiplied by a factor drawn uniformly from
    ``[1 - weights, 1 + weights]`` (0.25 = ±25 %).  ``normalisations`` / ``aggregations``: alternatives drawn
    with equal probability (empty = the options' choice only).  ``leave_one_out``: each run drops one
    indicator drawn uniformly (its siblings' weights are re-scaled; a theme left empty drops out too).
    """

    weights: float = 0.0
    normalisations: tuple[str, ...] = ()
    aggregations: tuple[str, ...] = ()
    leave_one_out: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.weights < 1:
            raise ValueError(f"assumptions: weights={self.weights!r}; give a fraction in [0, 1), e.g. 0.25")
        for m in self.normalisations:
            if m not in NORMALISATIONS:
                raise ValueError(f"assumptions: unknown normalisation {m!r}; use {NORMALISATIONS}")
        for m in self.aggregations:
            if m not in AGGREGATIONS:
                raise ValueError(f"assumptions: unknown aggregation {m!r}; use {AGGREGATIONS}")


class _Batch:
    """Evaluates index scores for many runs at once.

    Without missing values, every supported aggregation is a weighted sum in its own space (x, ln x,
    ln(U - x)) and nested aggregation composes: the index is ``G @ w_eff`` where ``w_eff`` multiplies the
    re-scaled weights along each indicator's path.  So a batch of runs is one matrix product.  With missing
    values the re-weighting is per unit, and aggregation runs level by level over (units × runs) blocks.
    """

    def __init__(
        self, spec: IndexSpec, options: IndexOptions, X: np.ndarray, norms: Sequence[str], aggs: Sequence[str]
    ) -> None:
        self.spec = spec
        self.upper = options.upper
        self.norms = tuple(norms)
        self.aggs = tuple(aggs)
        self.n_units = X.shape[0]
        self.normalised = [normalise_spec(X, spec, options, m) for m in self.norms]
        self.missing = any(np.isnan(N).any() for N in self.normalised)
        self.spaces: dict[tuple[int, int], np.ndarray] = {}
        for i, N in enumerate(self.normalised):
            for k, a in enumerate(self.aggs):
                check_domain(N[~np.isnan(N)], a, self.upper, f"the {self.norms[i]!r}-normalised data")
                G = to_space(N, a, self.upper)
                G = np.where(np.isneginf(G), _LOG_ZERO, G)
                self.spaces[(i, k)] = np.where(np.isnan(G), 0.0, G) if self.missing else G
        self.masks = [(~np.isnan(N)).astype(float) for N in self.normalised]
        self.nonroot = np.flatnonzero(spec.parent_index >= 0)
        self.n_ind = len(spec.indicators)

    def node_weights(self, mult: np.ndarray, drop: np.ndarray) -> np.ndarray:
        """(runs × nodes) weights × alive flags, after perturbation and leave-one-out."""
        spec = self.spec
        r = mult.shape[0]
        W = np.broadcast_to(spec.weights, (r, len(spec.codes))).copy()
        W[:, self.nonroot] *= mult
        alive = np.ones(W.shape, dtype=bool)
        rows = np.flatnonzero(drop >= 0)
        alive[rows, drop[rows]] = False
        alive[:, : self.n_ind] &= W[:, : self.n_ind] > 0
        for code in spec.aggregates:
            a = spec.position[code]
            ch = spec.children_index[a]
            alive[:, a] = (alive[:, ch] & (W[:, ch] > 0)).any(axis=1)
        return np.where(alive, W, 0.0)

    def effective(self, Wa: np.ndarray) -> np.ndarray:
        """(runs × indicators) path-product of re-scaled weights (used when no value is missing)."""
        spec = self.spec
        eff = np.zeros_like(Wa)
        eff[:, spec.position[spec.root]] = 1.0
        for code in reversed(spec.aggregates):
            a = spec.position[code]
            ch = spec.children_index[a]
            s = Wa[:, ch].sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                eff[:, ch] = np.where(s > 0, eff[:, [a]] * Wa[:, ch] / s, 0.0)
        return eff[:, : self.n_ind]

    def scores(self, ni: int, ak: int, Wa: np.ndarray) -> np.ndarray:
        """Index scores (runs × units) for one normalisation/aggregation pair and a block of runs."""
        G = self.spaces[(ni, ak)]
        if not self.missing:
            eff = self.effective(Wa)
            S = eff @ G.T
            alive_root = eff.sum(axis=1) > 0
            S[~alive_root] = np.nan
        else:
            S = self._masked(G, self.masks[ni], Wa).T
        return self._back(S, self.aggs[ak])

    def _masked(self, G: np.ndarray, M: np.ndarray, Wa: np.ndarray) -> np.ndarray:
        spec = self.spec
        held: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for code in spec.aggregates:
            a = spec.position[code]
            ch = spec.children_index[a]
            ind = ch[ch < self.n_ind]
            sub = ch[ch >= self.n_ind]
            num = np.zeros((self.n_units, Wa.shape[0]))
            den = np.zeros_like(num)
            if ind.size:
                w = Wa[:, ind].T
                num += G[:, ind] @ w
                den += M[:, ind] @ w
            for c in sub:
                V, A = held.pop(int(c))
                w = Wa[:, c]
                num += V * w
                den += A * w
            ok = den > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                held[a] = (np.where(ok, num / den, 0.0), ok.astype(float))
        V, A = held[spec.position[spec.root]]
        return np.where(A > 0, V, np.nan)

    def _back(self, S: np.ndarray, method: str) -> np.ndarray:
        if method == "arithmetic":
            return S
        if method == "geometric":
            return np.exp(S)
        return self.upper - np.exp(S)

    def ranks(
        self,
        mult: np.ndarray,
        ni: np.ndarray,
        ak: np.ndarray,
        drop: np.ndarray,
        workers: int | None = None,
        chunk: int = 128,
    ) -> np.ndarray:
        """Ranks (runs × units, 1 = highest score) of every run, in parallel blocks of runs."""
        runs = mult.shape[0]
        # float32 holds every rank exactly below 2**24 units and halves the memory traffic
        dtype = np.float32 if self.n_units < 2**24 else np.float64
        out = np.empty((runs, self.n_units), dtype=dtype)
        jobs = []
        for i in range(len(self.norms)):
            for k in range(len(self.aggs)):
                idx = np.flatnonzero((ni == i) & (ak == k))
                for s in range(0, idx.size, chunk):
                    jobs.append((i, k, idx[s : s + chunk]))

        def run(job: tuple[int, int, np.ndarray]) -> None:
            i, k, idx = job
            Wa = self.node_weights(mult[idx], drop[idx])
            out[idx] = rank_rows(-self.scores(i, k, Wa), dtype)

        workers = workers or min(4, os.cpu_count() or 1)
        if workers > 1 and len(jobs) > 1:
            with ThreadPoolExecutor(workers) as ex:
                list(ex.map(run, jobs))
        else:
            for job in jobs:
                run(job)
        return out


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """Monte Carlo rank distribution per unit.

    ``median_rank``, ``rank_low`` (5th percentile) and ``rank_high`` (95th percentile) per unit;
    ``nominal_rank`` from the options' own choices.  ``normalisation``, ``aggregation`` (indices into
    ``normalisations`` / ``aggregations``), ``dropped`` (indicator position, -1 = none) and
    ``weight_factors`` record each run; ``ranks`` (runs × units) is kept only if asked for.
    """

    units: tuple[str, ...]
    nominal_rank: np.ndarray
    median_rank: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray
    runs: int
    normalisations: tuple[str, ...]
    aggregations: tuple[str, ...]
    normalisation: np.ndarray
    aggregation: np.ndarray
    dropped: np.ndarray
    weight_factors: np.ndarray
    ranks: np.ndarray | None = field(default=None, repr=False)


def _choices(assumptions: Assumptions, options: IndexOptions) -> tuple[tuple[str, ...], tuple[str, ...]]:
    norms = assumptions.normalisations or (options.normalisation,)
    aggs = assumptions.aggregations or (options.aggregation,)
    return tuple(dict.fromkeys(norms)), tuple(dict.fromkeys(aggs))


def uncertainty(
    data: Any,
    spec: IndexSpec,
    options: IndexOptions | None = None,
    assumptions: Assumptions | None = None,
    runs: int = 1000,
    seed: int | np.random.Generator | None = None,
    *,
    denominators: Mapping[str, Any] | None = None,
    groups: Any = None,
    units: Sequence[str] | None = None,
    keep_ranks: bool = False,
    workers: int | None = None,
) -> UncertaintyResult:
    """Monte Carlo uncertainty analysis of the ranking.

    Denomination, imputation and treatment are done once as in :func:`compute`; each of ``runs`` runs then
    draws the uncertain choices (see :class:`Assumptions`) from a seeded ``numpy.random.Generator`` and
    ranks the units.  Returns each unit's median rank and 5–95 % rank interval (linear-interpolated
    quantiles).  Same seed, same result.
    """
    options = options or IndexOptions()
    assumptions = assumptions or Assumptions()
    if runs < 1:
        raise ValueError("uncertainty: runs must be ≥ 1")
    if assumptions.leave_one_out and len(spec.indicators) < 2:
        raise ValueError("uncertainty: leave_one_out needs at least two indicators")
    rng = np.random.default_rng(seed)
    prep = prepare(data, spec, options, denominators, groups, units)
    norms, aggs = _choices(assumptions, options)
    batch = _Batch(spec, options, prep.treated, norms, aggs)
    n_nr = batch.nonroot.size
    mult = 1.0 + assumptions.weights * (2.0 * rng.random((runs, n_nr)) - 1.0)
    ni = rng.integers(len(norms), size=runs)
    ak = rng.integers(len(aggs), size=runs)
    drop = rng.integers(len(spec.indicators), size=runs) if assumptions.leave_one_out else np.full(runs, -1)
    R = batch.ranks(mult, ni, ak, drop, workers)
    q = _rank_quantiles(R, workers)
    nominal = _nominal_rank(prep, spec, options)
    return UncertaintyResult(
        units=prep.units,
        nominal_rank=nominal,
        median_rank=q[1],
        rank_low=q[0],
        rank_high=q[2],
        runs=runs,
        normalisations=norms,
        aggregations=aggs,
        normalisation=ni,
        aggregation=ak,
        dropped=drop,
        weight_factors=mult,
        ranks=R.astype(np.float64) if keep_ranks else None,
    )


def _rank_quantiles(R: np.ndarray, workers: int | None) -> np.ndarray:
    """5 %, 50 %, 95 % quantiles (linear interpolation) of each unit's ranks, units in parallel blocks."""
    probs = [0.05, 0.5, 0.95]

    def block(part: slice) -> np.ndarray:
        sub = R[:, part].astype(np.float64)
        if np.isnan(sub).any():  # units with no value at all have no rank
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return np.nanquantile(sub, probs, axis=0)
        return np.quantile(sub, probs, axis=0)

    n = R.shape[1]
    workers = max(1, min(workers or min(4, os.cpu_count() or 1), n))
    edges = np.linspace(0, n, workers + 1).astype(int)
    parts = [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    if len(parts) == 1:
        return block(parts[0])
    with ThreadPoolExecutor(len(parts)) as ex:
        return np.concatenate(list(ex.map(block, parts)), axis=1)


def _nominal_rank(prep: Prepared, spec: IndexSpec, options: IndexOptions) -> np.ndarray:
    N = normalise_spec(prep.treated, spec, options, options.normalisation)
    return rank(aggregate(N, spec, options.aggregation, options.upper).values[:, -1])


# --------------------------------------------------------------------------------------------------------
# Variance-based sensitivity analysis
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SobolResult:
    """First-order (``first``) and total (``total``) Sobol indices per factor, the output variance and the
    base sample size ``n`` (the model was evaluated ``n · (factors + 2)`` times)."""

    factors: tuple[str, ...]
    first: np.ndarray
    total: np.ndarray
    variance: float
    n: int

    def as_dict(self) -> dict[str, tuple[float, float]]:
        return {f: (float(s), float(t)) for f, s, t in zip(self.factors, self.first, self.total, strict=True)}


def sobol_indices(
    model: Callable[[np.ndarray], np.ndarray],
    n_factors: int,
    n: int = 1024,
    seed: int | np.random.Generator | None = None,
    groups: Sequence[Sequence[int]] | None = None,
    names: Sequence[str] | None = None,
) -> SobolResult:
    """Sobol indices of ``model`` over independent U(0, 1) inputs, by Saltelli sampling.

    Two independent ``n × d`` matrices A and B; for each factor (or group of input columns) ``i`` the matrix
    ``A_B^i`` is A with factor i's columns taken from B.  The model is called once on the stacked
    ``n (k + 2) × d`` sample and must return one output per row.  Estimators (Saltelli et al. 2010):
    first order ``S_i = mean(f(B) (f(A_B^i) - f(A))) / V`` and Jansen's total
    ``S_Ti = mean((f(A) - f(A_B^i))²) / (2V)``, with ``V`` the variance of ``f(A) ∪ f(B)``.
    """
    if n < 2:
        raise ValueError("sobol_indices: n must be ≥ 2")
    groups = [list(g) for g in groups] if groups is not None else [[j] for j in range(n_factors)]
    names = tuple(names) if names is not None else tuple(f"x{i + 1}" for i in range(len(groups)))
    if len(names) != len(groups):
        raise ValueError("sobol_indices: one name per factor")
    rng = np.random.default_rng(seed)
    A = rng.random((n, n_factors))
    B = rng.random((n, n_factors))
    blocks = [A, B]
    for g in groups:
        AB = A.copy()
        AB[:, g] = B[:, g]
        blocks.append(AB)
    y = np.asarray(model(np.vstack(blocks)), dtype=float).reshape(-1)
    if y.size != n * (len(groups) + 2):
        raise ValueError("sobol_indices: the model must return one output per input row")
    fA, fB = y[:n], y[n : 2 * n]
    V = float(np.var(np.concatenate([fA, fB])))
    first = np.empty(len(groups))
    total = np.empty(len(groups))
    for i in range(len(groups)):
        fAB = y[(2 + i) * n : (3 + i) * n]
        if V > 0:
            first[i] = np.mean(fB * (fAB - fA)) / V
            total[i] = 0.5 * np.mean((fA - fAB) ** 2) / V
        else:
            first[i] = total[i] = 0.0
    return SobolResult(names, first, total, V, n)


def mean_abs_rank_shift(ranks: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Per run: the mean over units of |rank − nominal rank| (units without a rank are ignored)."""
    d = np.abs(ranks - nominal)
    return np.nanmean(d, axis=1) if np.isnan(d).any() else d.mean(axis=1)


def sensitivity(
    data: Any,
    spec: IndexSpec,
    options: IndexOptions | None = None,
    assumptions: Assumptions | None = None,
    n: int = 256,
    seed: int | np.random.Generator | None = None,
    *,
    output: Callable[[np.ndarray, np.ndarray], np.ndarray] = mean_abs_rank_shift,
    denominators: Mapping[str, Any] | None = None,
    groups: Any = None,
    units: Sequence[str] | None = None,
    workers: int | None = None,
) -> SobolResult:
    """Which uncertain choice moves the ranking most: Sobol first-order and total indices per assumption.

    The factors are the enabled assumptions: ``weights`` (all weight factors together, as one group),
    ``normalisation``, ``aggregation``, ``leave_one_out``; each is driven by U(0, 1) inputs (a choice among
    k alternatives is ``floor(u·k)``).  The model output is ``output(ranks, nominal_rank)`` per run, by
    default the mean absolute rank shift from the nominal ranking.  Cost: ``n · (factors + 2)`` runs.
    """
    options = options or IndexOptions()
    assumptions = assumptions or Assumptions()
    prep = prepare(data, spec, options, denominators, groups, units)
    norms, aggs = _choices(assumptions, options)
    batch = _Batch(spec, options, prep.treated, norms, aggs)
    nominal = _nominal_rank(prep, spec, options)
    n_nr = batch.nonroot.size
    n_ind = len(spec.indicators)
    cols: list[list[int]] = []
    names: list[str] = []
    d = 0
    if assumptions.weights > 0:
        cols.append(list(range(d, d + n_nr)))
        names.append("weights")
        d += n_nr
    slots = {}
    for name, active in (
        ("normalisation", len(norms) > 1),
        ("aggregation", len(aggs) > 1),
        ("leave_one_out", assumptions.leave_one_out and n_ind > 1),
    ):
        if active:
            slots[name] = d
            cols.append([d])
            names.append(name)
            d += 1
    if not cols:
        raise ValueError("sensitivity: no uncertain assumption is enabled (see Assumptions)")

    def pick(U: np.ndarray, name: str, k: int) -> np.ndarray:
        if name not in slots:
            return np.zeros(U.shape[0], dtype=np.intp) if name != "leave_one_out" else np.full(U.shape[0], -1)
        return np.minimum((U[:, slots[name]] * k).astype(np.intp), k - 1)

    def model(U: np.ndarray) -> np.ndarray:
        if assumptions.weights > 0:
            mult = 1.0 + assumptions.weights * (2.0 * U[:, :n_nr] - 1.0)
        else:
            mult = np.ones((U.shape[0], n_nr))
        R = batch.ranks(
            mult,
            pick(U, "normalisation", len(norms)),
            pick(U, "aggregation", len(aggs)),
            pick(U, "leave_one_out", n_ind),
            workers,
        )
        return output(R, nominal)

    return sobol_indices(model, d, n, seed, cols, names)
