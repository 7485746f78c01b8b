"""Composite priority index: denominate, impute, treat, normalise, aggregate, explain, test robustness.

The engine follows the OECD/JRC Handbook on Constructing Composite Indicators as the JRC's COINr package
computes it (and INFORM for the "high dominates" aggregation).  It is pure numpy: no Django, no pandas.
Data is a ``units × indicators`` float array whose columns follow ``spec.indicators``; the structure is
an :class:`IndexSpec` (COINr's *iMeta*): every node has a code, a level, a parent and a weight, indicators
also a direction and optionally a denominator, a target and goalposts.

Stages, each usable on its own::

    denominate(X, D, which, scale)            indicator ÷ denominator (× per-capita scale)
    impute(X, method, groups)                 none | mean | median | group_mean
    treat(X, winmax, ...)                     COINr's skew/kurtosis rule: Winsorise, else log
    normalise(X, method, directions, ...)     minmax | zscore | rank | goalposts | target
    aggregate(X, spec, method)                arithmetic | geometric | high_dominates
    compute(data, spec, options)              all of the above → IndexResult (scores, rank, contributions)
    coverage(X, threshold)                    share of values present per indicator, per unit and overall

How robust the ranking is to those choices (Monte Carlo uncertainty, Sobol sensitivity) is in
:mod:`.uncertainty`, which evaluates many constructions at once on this module's prepared data
(:func:`prepare`, :func:`normalise_spec`, :func:`to_space`, :func:`rank_rows`).

Direction and rank: ``direction = +1`` means a higher raw value raises the score, ``-1`` lowers it.  For a
*need* index give "higher is worse" indicators ``+1``.  ``rank`` is 1 for the highest score (highest need).

What a *contribution* means (``IndexResult.contributions``, ``top_drivers``):

* arithmetic: ``c_i = w̃_i · x_i`` where ``w̃_i`` is the product, along the path from the node to the index,
  of each node's weight divided by the sum of the weights of its available siblings.  The contributions
  of all indicators (or of all themes of one level) sum to the index score; they are points of the score.
* geometric: the index is ``exp(Σ w̃_i ln x_i)`` over the same effective weights, so contributions are
  given in log space, ``c_i = w̃_i · ln x_i``; they sum to ``ln(score)``.  An indicator at 0 contributes
  ``-inf`` (the score is 0).  Larger is still "pushes the score up more", so ``top_drivers`` is meaningful.
* high dominates (INFORM): ``U - score = Π (U - x_i)^w̃_i``; contributions are ``c_i = -w̃_i · ln(U - x_i)``
  and sum to ``-ln(U - score)``; an indicator at the upper bound ``U`` contributes ``+inf``.
``IndexResult.contribution_space`` names which of ``"points"``, ``"log"``, ``"log_gap"`` applies.
Missing values contribute 0 (their weight is spread over the available siblings).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

__all__ = [
    "AGGREGATIONS",
    "IMPUTATIONS",
    "NORMALISATIONS",
    "Prepared",
    "AggregateResult",
    "Driver",
    "IndexOptions",
    "IndexResult",
    "IndexSpec",
    "Node",
    "TreatResult",
    "TreatmentReport",
    "aggregate",
    "check_domain",
    "compute",
    "coverage",
    "Coverage",
    "denominate",
    "impute",
    "kurtosis",
    "normalise",
    "normalise_spec",
    "prepare",
    "rank",
    "rank_rows",
    "skewness",
    "to_space",
    "treat",
    "with_weights",
]

NORMALISATIONS = ("minmax", "zscore", "rank", "goalposts", "target")
AGGREGATIONS = ("arithmetic", "geometric", "high_dominates")
IMPUTATIONS = ("none", "mean", "median", "group_mean")



# --------------------------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One node of the index tree (a row of COINr's iMeta).

    ``level`` 1 is an indicator; aggregates have higher levels, the single node without parent is the index.
    ``direction``, ``denominator``, ``scale``, ``target`` and ``goalposts`` only matter for indicators:
    ``scale`` multiplies the denominated value (e.g. 1000 for "per 1,000 inhabitants"); ``target`` is used
    by the distance-to-target normaliser; ``goalposts = (low, high)`` by the goalposts normaliser.
    """

    code: str
    level: int = 1
    parent: str | None = None
    weight: float = 1.0
    direction: int = 1
    denominator: str | None = None
    scale: float = 1.0
    target: float | None = None
    goalposts: tuple[float, float] | None = None
    name: str = ""


@dataclass(frozen=True)
class IndexSpec:
    """The hierarchy: indicators → themes (any depth) → index, validated on construction."""

    nodes: tuple[Node, ...]

    def __post_init__(self) -> None:
        nodes = tuple(self.nodes)
        object.__setattr__(self, "nodes", nodes)
        by_code: dict[str, Node] = {}
        for n in nodes:
            if not isinstance(n.code, str) or not n.code:
                raise ValueError(f"index spec: every node needs a non-empty code (got {n.code!r})")
            if n.code in by_code:
                raise ValueError(f"index spec: code {n.code!r} appears twice; codes must be unique")
            if int(n.level) != n.level or n.level < 1:
                raise ValueError(f"index spec: node {n.code!r} has level {n.level!r}; use an integer ≥ 1")
            try:
                w = float(n.weight)
            except (TypeError, ValueError):
                w = float("nan")
            if not (math.isfinite(w) and w >= 0):
                raise ValueError(
                    f"index spec: node {n.code!r} has weight {n.weight!r}; use a finite number ≥ 0"
                )
            if n.level == 1 and n.direction not in (1, -1):
                raise ValueError(
                    f"index spec: indicator {n.code!r} has direction {n.direction!r}; use 1 or -1"
                )
            by_code[n.code] = n
        roots = [n.code for n in nodes if n.parent is None]
        if len(roots) != 1:
            raise ValueError(f"index spec: exactly one node must have no parent (the index); found {roots}")
        if by_code[roots[0]].level == 1:
            raise ValueError(f"index spec: the root {roots[0]!r} is an indicator; add an aggregate above it")
        children: dict[str, list[str]] = {n.code: [] for n in nodes}
        for n in nodes:
            if n.parent is None:
                continue
            p = by_code.get(n.parent)
            if p is None:
                raise ValueError(
                    f"index spec: node {n.code!r} names parent {n.parent!r}, which is not in the spec"
                )
            if p.level <= n.level:
                raise ValueError(
                    f"index spec: node {n.code!r} (level {n.level}) has parent {p.code!r} at level {p.level}; "
                    "a parent's level must be higher than its child's"
                )
            children[p.code].append(n.code)
        for n in nodes:
            if n.level > 1 and not children[n.code]:
                raise ValueError(f"index spec: aggregate {n.code!r} has no children; remove it or add some")
        if not any(n.level == 1 for n in nodes):
            raise ValueError("index spec: no indicators (level-1 nodes)")

    # -- constructors ------------------------------------------------------------------------------------

    @classmethod
    def from_imeta(cls, rows: Iterable[Mapping[str, Any]]) -> IndexSpec:
        """Build from COINr iMeta-style records (``Level, iCode, Parent, Weight, Direction, Denominator,
        Target, Type`` …).  Rows whose ``Type`` is neither Indicator nor Aggregate (groups, denominators)
        are skipped; empty strings and ``NA`` count as missing."""

        def get(row: Mapping[str, Any], key: str) -> Any:
            v = row.get(key)
            if v is None or (isinstance(v, str) and v.strip() in ("", "NA")):
                return None
            if isinstance(v, float) and math.isnan(v):
                return None
            return v

        nodes = []
        for row in rows:
            typ = get(row, "Type")
            if typ is not None and str(typ) not in ("Indicator", "Aggregate"):
                continue
            level = get(row, "Level")
            if level is None:
                continue
            level = int(float(level))
            direction = get(row, "Direction")
            weight = get(row, "Weight")
            target = get(row, "Target")
            nodes.append(
                Node(
                    code=str(get(row, "iCode")),
                    level=level,
                    parent=None if get(row, "Parent") is None else str(get(row, "Parent")),
                    weight=1.0 if weight is None else float(weight),
                    direction=1 if direction is None else int(float(direction)),
                    denominator=None if get(row, "Denominator") is None else str(get(row, "Denominator")),
                    target=None if target is None else float(target),
                    name="" if get(row, "iName") is None else str(get(row, "iName")),
                )
            )
        return cls(tuple(nodes))

    def drop(self, code: str) -> IndexSpec:
        """The spec without indicator ``code``; aggregates left without children are removed too."""
        if code not in self.indicators:
            raise ValueError(f"index spec: {code!r} is not an indicator of this spec")
        keep = [n for n in self.nodes if n.code != code]
        while True:
            has_child = {n.parent for n in keep}
            pruned = [n for n in keep if n.level == 1 or n.code in has_child]
            if len(pruned) == len(keep):
                return IndexSpec(tuple(pruned))
            keep = pruned

    # -- derived structure -------------------------------------------------------------------------------

    @cached_property
    def by_code(self) -> dict[str, Node]:
        return {n.code: n for n in self.nodes}

    @cached_property
    def indicators(self) -> tuple[str, ...]:
        """Indicator codes in the order of the data columns."""
        return tuple(n.code for n in self.nodes if n.level == 1)

    @cached_property
    def aggregates(self) -> tuple[str, ...]:
        """Aggregate codes, lowest level first (the order they are computed in); the index is last."""
        aggs = [(n.level, i, n.code) for i, n in enumerate(self.nodes) if n.level > 1]
        return tuple(c for _, _, c in sorted(aggs))

    @cached_property
    def codes(self) -> tuple[str, ...]:
        """All node codes: indicators, then aggregates; the column order of every result matrix."""
        return self.indicators + self.aggregates

    @cached_property
    def root(self) -> str:
        return self.aggregates[-1]

    @cached_property
    def position(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.codes)}

    @cached_property
    def parent_index(self) -> np.ndarray:
        return np.array(
            [
                -1 if self.by_code[c].parent is None else self.position[self.by_code[c].parent]
                for c in self.codes
            ],
            dtype=np.intp,
        )

    @cached_property
    def children_index(self) -> tuple[np.ndarray, ...]:
        kids: list[list[int]] = [[] for _ in self.codes]
        for i, p in enumerate(self.parent_index):
            if p >= 0:
                kids[p].append(i)
        return tuple(np.array(k, dtype=np.intp) for k in kids)

    @cached_property
    def weights(self) -> np.ndarray:
        return np.array([float(self.by_code[c].weight) for c in self.codes])

    @cached_property
    def levels(self) -> np.ndarray:
        return np.array([self.by_code[c].level for c in self.codes])

    @cached_property
    def directions(self) -> np.ndarray:
        return np.array([float(self.by_code[c].direction) for c in self.indicators])


# --------------------------------------------------------------------------------------------------------
# Stage 1: denominate
# --------------------------------------------------------------------------------------------------------


def denominate(
    X: np.ndarray,
    D: np.ndarray,
    which: Sequence[int | None],
    scale: float | Sequence[float] = 1.0,
) -> np.ndarray:
    """Divide indicator columns by denominator columns: ``Y[:, j] = X[:, j] / D[:, which[j]] * scale[j]``.

    ``D`` is ``units × m``; ``which[j]`` is a column of ``D`` or ``None``/negative for "leave as is".
    A missing denominator gives a missing value; a zero denominator is an error (naming the unit row).
    """
    X = _as_matrix(X, "X")
    D = _as_matrix(D, "D")
    if D.shape[0] != X.shape[0]:
        raise ValueError(f"denominate: X has {X.shape[0]} units but D has {D.shape[0]} rows")
    if len(which) != X.shape[1]:
        raise ValueError(f"denominate: 'which' has {len(which)} entries for {X.shape[1]} indicator columns")
    scales = np.broadcast_to(np.asarray(scale, dtype=float), (X.shape[1],))
    Y = X.copy()
    for j, k in enumerate(which):
        if k is None or k < 0:
            continue
        d = D[:, k]
        zero = np.flatnonzero(d == 0)
        if zero.size:
            raise ValueError(
                f"denominate: denominator column {k} is 0 for unit row(s) {zero.tolist()} (indicator column "
                f"{j}); give a positive denominator or leave the value missing"
            )
        Y[:, j] = X[:, j] / d if scales[j] == 1.0 else X[:, j] / d * scales[j]
    return Y


# --------------------------------------------------------------------------------------------------------
# Stage 2: impute
# --------------------------------------------------------------------------------------------------------


def impute(
    X: np.ndarray, method: str = "mean", groups: Sequence[Any] | np.ndarray | None = None
) -> np.ndarray:
    """Fill missing values per indicator: ``none``, ``mean``, ``median`` or ``group_mean``.

    ``group_mean`` fills a unit's gap with the mean of the indicator over the units of its group
    (``groups`` holds one label per unit).  A column (or a group's column) with no value stays missing.
    """
    X = _as_matrix(X, "X")
    if method not in IMPUTATIONS:
        raise ValueError(f"impute: unknown method {method!r}; use one of {IMPUTATIONS}")
    Y = X.copy()
    miss = np.isnan(Y)
    if method == "none" or not miss.any():
        return Y
    if method in ("mean", "median"):
        for j in np.flatnonzero(miss.any(axis=0)):
            col = X[~miss[:, j], j]
            if col.size:
                Y[miss[:, j], j] = col.mean() if method == "mean" else np.median(col)
        return Y
    if groups is None:
        raise ValueError("impute: method 'group_mean' needs one group label per unit (groups=...)")
    labels = np.asarray(groups, dtype=object)
    if labels.shape != (X.shape[0],):
        raise ValueError(
            f"impute: groups has shape {labels.shape}; expected one label per unit ({X.shape[0]},)"
        )
    _, inv = np.unique(labels.astype(str), return_inverse=True)
    for j in np.flatnonzero(miss.any(axis=0)):
        for g in np.unique(inv[miss[:, j]]):
            in_g = inv == g
            vals = X[in_g & ~miss[:, j], j]
            if vals.size:
                Y[in_g & miss[:, j], j] = vals.mean()
    return Y


# --------------------------------------------------------------------------------------------------------
# Stage 3: outlier treatment (COINr)
# --------------------------------------------------------------------------------------------------------


def _moments(X: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    ok = ~np.isnan(X)
    n = ok.sum(axis=axis).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, X, 0.0).sum(axis=axis) / n
        d = np.where(ok, X - np.expand_dims(mean, axis), 0.0)
    d2 = d * d
    return n, d2.sum(axis=axis), (d2 * d).sum(axis=axis), (d2 * d2).sum(axis=axis), mean


def skewness(X: np.ndarray, axis: int = 0) -> np.ndarray | float:
    """Bias-corrected sample skewness (pandas ``.skew()``, Excel SKEW), ignoring NaN.

    ``G1 = n / ((n-1)(n-2)) · Σ((x - x̄)/s)³`` with ``s`` the sample (n-1) standard deviation; 0 for a
    constant series, NaN for fewer than 3 values.
    """
    n, m2, m3, _, _ = _moments(X, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        res = n * np.sqrt(n - 1) / (n - 2) * (m3 / m2**1.5)
    res = np.where(m2 == 0, 0.0, res)
    res = np.where(n < 3, np.nan, res)
    return res[()] if res.ndim == 0 else res


def kurtosis(X: np.ndarray, axis: int = 0) -> np.ndarray | float:
    """Bias-corrected sample excess kurtosis (pandas ``.kurt()``, Excel KURT), ignoring NaN.

    ``G2 = n(n+1)(n-1) Σ(x-x̄)⁴ / ((n-2)(n-3) (Σ(x-x̄)²)²) - 3(n-1)² / ((n-2)(n-3))``; 0 for a constant
    series, NaN for fewer than 4 values.
    """
    n, m2, _, m4, _ = _moments(X, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        num = n * (n + 1) * (n - 1) * m4
        den = (n - 2) * (n - 3) * m2**2
        res = num / den - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
    res = np.where(den == 0, 0.0, res)
    res = np.where(n < 4, np.nan, res)
    return res[()] if res.ndim == 0 else res


@dataclass(frozen=True)
class TreatmentReport:
    """What the outlier treatment did to one indicator.

    ``action`` is ``"none"`` (passed as it was), ``"winsorised"`` (``points`` values replaced over
    ``iterations`` rounds) or ``"log"`` (Winsorising up to ``winmax`` rounds did not pass; the Winsorising was
    undone and ``log(x - min + 0.01 (max - min))`` applied).  ``passes`` tells whether the result meets the
    rule; skewness and kurtosis are given before and after.
    """

    code: str
    action: str
    points: int
    iterations: int
    skew_before: float
    kurt_before: float
    skew_after: float
    kurt_after: float
    passes: bool


@dataclass(frozen=True, eq=False)
class TreatResult:
    data: np.ndarray
    reports: tuple[TreatmentReport, ...]

    def report(self, code: str) -> TreatmentReport:
        for r in self.reports:
            if r.code == code:
                return r
        raise KeyError(code)


def _fails(sk: float, ku: float, skew_threshold: float, kurt_threshold: float) -> bool:
    return bool(abs(sk) >= skew_threshold and ku >= kurt_threshold)


def treat(
    X: np.ndarray,
    winmax: int = 5,
    skew_threshold: float = 2.0,
    kurt_threshold: float = 3.5,
    codes: Sequence[str] | None = None,
) -> TreatResult:
    """COINr's default outlier treatment, per indicator column (missing values are left alone).

    An indicator *fails* when ``|skewness| ≥ skew_threshold`` **and** ``kurtosis ≥ kurt_threshold`` (see
    :func:`skewness`, :func:`kurtosis`).  While it fails, for at most ``winmax`` rounds, Winsorise one point
    on the skewed side: with skewness ≥ 0 the largest value (all copies of it, if tied) is replaced by the
    next largest; otherwise the smallest by the next smallest.  If it still fails after ``winmax`` rounds,
    the Winsorising is undone and ``log(x - min + 0.01·(max - min))`` is applied to the original values.
    """
    X = _as_matrix(X, "X")
    codes = list(codes) if codes is not None else [str(j) for j in range(X.shape[1])]
    if len(codes) != X.shape[1]:
        raise ValueError(f"treat: {len(codes)} codes for {X.shape[1]} columns")
    Y = X.copy()
    reports = []
    for j in range(X.shape[1]):
        ok = ~np.isnan(X[:, j])
        x = X[ok, j]
        sk0, ku0 = float(skewness(x)), float(kurtosis(x))
        if x.size < 4 or not _fails(sk0, ku0, skew_threshold, kurt_threshold):
            reports.append(TreatmentReport(codes[j], "none", 0, 0, sk0, ku0, sk0, ku0, True))
            continue
        y = x.copy()
        rounds = 0
        sk, ku = sk0, ku0
        while rounds < winmax and _fails(sk, ku, skew_threshold, kurt_threshold):
            if sk >= 0:
                hit = y == y.max()
                if hit.all():
                    break
                y[hit] = y[~hit].max()
            else:
                hit = y == y.min()
                if hit.all():
                    break
                y[hit] = y[~hit].min()
            rounds += 1
            sk, ku = float(skewness(y)), float(kurtosis(y))
        if not _fails(sk, ku, skew_threshold, kurt_threshold):
            Y[ok, j] = y
            points = int((y != x).sum())
            reports.append(TreatmentReport(codes[j], "winsorised", points, rounds, sk0, ku0, sk, ku, True))
            continue
        lo, hi = x.min(), x.max()
        y = np.log(x - lo + 0.01 * (hi - lo))
        Y[ok, j] = y
        sk, ku = float(skewness(y)), float(kurtosis(y))
        passes = not _fails(sk, ku, skew_threshold, kurt_threshold)
        reports.append(TreatmentReport(codes[j], "log", 0, rounds, sk0, ku0, sk, ku, passes))
    return TreatResult(Y, tuple(reports))


# --------------------------------------------------------------------------------------------------------
# Stage 4: normalise
# --------------------------------------------------------------------------------------------------------


def _rank_min_cols(Y: np.ndarray) -> np.ndarray:
    """Ascending ranks per column, ties → lowest rank (R's ties.method = "min"), NaN kept."""
    out = np.full(Y.shape, np.nan)
    for j in range(Y.shape[1]):
        ok = ~np.isnan(Y[:, j])
        v = Y[ok, j]
        out[ok, j] = np.searchsorted(np.sort(v), v, side="left") + 1.0
    return out


def normalise(
    X: np.ndarray,
    method: str = "minmax",
    directions: Sequence[float] | np.ndarray | None = None,
    *,
    bounds: tuple[float, float] = (0.0, 100.0),
    zscore: tuple[float, float] = (0.0, 1.0),
    goalposts: Sequence[tuple[float, float]] | np.ndarray | None = None,
    targets: Sequence[float] | np.ndarray | None = None,
    scale: float = 100.0,
    cap: bool = True,
) -> np.ndarray:
    """Put indicators on a common scale, per column, as COINr's normalisers do (NaN stays NaN).

    With ``d`` the direction (+1/-1) of each column:

    * ``minmax``: ``(dx - min) / (max - min) · (u - l) + l`` with ``bounds = (l, u)``; a constant column
      gives NaN (no information; aggregation re-weights over the other indicators).
    * ``zscore``: ``(dx - mean) / sd · s + m`` with ``zscore = (m, s)``, ``sd`` the sample (n-1) deviation.
    * ``rank``: rank of ``dx``, 1 = lowest, ties share the lowest rank (COINr ``n_rank``).
    * ``goalposts``: with ``(lo, hi)`` per column, ``(x - lo)/(hi - lo)`` for d = +1 and ``(x - hi)/(lo - hi)``
      for d = -1, clipped to [0, 1], times ``scale`` (COINr ``n_goalposts``).
    * ``target``: distance to target ``T``: ``1 - (T - x)/(T - min)`` for d = +1, ``1 - (x - T)/(max - T)``
      for d = -1, capped at 1 if ``cap``, times ``scale`` (COINr ``n_dist2targ``).
    """
    X = _as_matrix(X, "X")
    if method not in NORMALISATIONS:
        raise ValueError(f"normalise: unknown method {method!r}; use one of {NORMALISATIONS}")
    k = X.shape[1]
    d = np.ones(k) if directions is None else np.asarray(directions, dtype=float)
    if d.shape != (k,):
        raise ValueError(f"normalise: {d.size} directions for {k} columns")
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "minmax":
            Y = X * d
            lo, hi = _nanmin(Y), _nanmax(Y)
            out = (Y - lo) / (hi - lo) * (bounds[1] - bounds[0]) + bounds[0]
            return np.where(np.isfinite(out), out, np.nan)
        if method == "zscore":
            Y = X * d
            n = (~np.isnan(Y)).sum(axis=0)
            mu = np.nansum(Y, axis=0) / n
            sd = np.sqrt(np.nansum((Y - mu) ** 2, axis=0) / (n - 1))
            out = (Y - mu) / sd * zscore[1] + zscore[0]
            return np.where(np.isfinite(out), out, np.nan)
        if method == "rank":
            return _rank_min_cols(X * d)
        if method == "goalposts":
            if goalposts is None:
                raise ValueError("normalise: method 'goalposts' needs goalposts=(low, high) per indicator")
            gp = np.asarray(goalposts, dtype=float)
            if gp.shape != (k, 2) or np.isnan(gp).any():
                raise ValueError(f"normalise: goalposts must be {k} finite (low, high) pairs")
            lo, hi = gp[:, 0], gp[:, 1]
            Y = np.where(d > 0, (X - lo) / (hi - lo), (X - hi) / (lo - hi))
            return np.clip(Y, 0.0, 1.0) * scale
        # target
        if targets is None:
            raise ValueError("normalise: method 'target' needs one target per indicator")
        t = np.asarray(targets, dtype=float)
        if t.shape != (k,) or np.isnan(t).any():
            raise ValueError(f"normalise: targets must be {k} finite numbers")
        Y = np.where(d > 0, 1 - (t - X) / (t - _nanmin(X)), 1 - (X - t) / (_nanmax(X) - t))
        if cap:
            Y = np.minimum(Y, 1.0)
        out = Y * scale
        return np.where(np.isfinite(out), out, np.nan)


def _nanmin(Y: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(Y)
    return np.where(ok.any(axis=0), np.where(ok, Y, np.inf).min(axis=0), np.nan)


def _nanmax(Y: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(Y)
    return np.where(ok.any(axis=0), np.where(ok, Y, -np.inf).max(axis=0), np.nan)


# --------------------------------------------------------------------------------------------------------
# Stage 5: aggregate
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AggregateResult:
    """Scores of every node (``values``, ``units × len(codes)``, indicators first) and the per-unit local
    weights each child had in its parent after re-weighting over available children (``local_weights``)."""

    values: np.ndarray
    local_weights: np.ndarray
    codes: tuple[str, ...]
    method: str

    def column(self, code: str) -> np.ndarray:
        return self.values[:, self.codes.index(code)]


def check_domain(x: np.ndarray, method: str, upper: float, what: str) -> None:
    if method == "geometric" and (x < 0).any():
        raise ValueError(
            f"aggregate: geometric aggregation needs values ≥ 0, but {what} has negative values; "
            "use min-max, rank, goalposts or target normalisation (not z-scores)"
        )
    if method == "high_dominates" and (x > upper).any():
        raise ValueError(
            f"aggregate: 'high dominates' aggregation needs values ≤ upper={upper}, but {what} exceeds it; "
            "use a 0–upper normalisation (min-max, goalposts, target) or set upper"
        )


def aggregate(
    X: np.ndarray, spec: IndexSpec, method: str = "arithmetic", upper: float = 100.0
) -> AggregateResult:
    """Aggregate normalised indicators up the tree, level by level, with the spec's weights.

    For each aggregate, over its children with a value (missing children are dropped and the weights of
    the others re-scaled to sum to one; no child with a value → missing):

    * ``arithmetic``: ``Σ w x / Σ w`` (COINr ``a_amean``),
    * ``geometric``: ``Π x^(w/Σw)`` (needs x ≥ 0; one zero gives 0),
    * ``high_dominates``: ``U - Π (U - x)^(w/Σw)`` with ``U = upper`` (INFORM; needs x ≤ U): one high
      child cannot be compensated by low ones.
    """
    if method not in AGGREGATIONS:
        raise ValueError(f"aggregate: unknown method {method!r}; use one of {AGGREGATIONS}")
    X = _as_matrix(X, "X")
    n_ind = len(spec.indicators)
    if X.shape[1] != n_ind:
        raise ValueError(f"aggregate: X has {X.shape[1]} columns but the spec has {n_ind} indicators")
    ok_vals = X[~np.isnan(X)]
    check_domain(ok_vals, method, upper, "the input")
    n = X.shape[0]
    V = np.full((n, len(spec.codes)), np.nan)
    V[:, :n_ind] = X
    L = np.zeros((n, len(spec.codes)))
    w_all = spec.weights
    for code in spec.aggregates:
        a = spec.position[code]
        ch = spec.children_index[a]
        x = V[:, ch]
        w = w_all[ch]
        m = ~np.isnan(x) & (w > 0)
        wm = np.where(m, w, 0.0)
        den = wm.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            if method == "arithmetic":
                v = np.where(m, x * w, 0.0).sum(axis=1) / den
            elif method == "geometric":
                v = np.exp(np.where(m, w * np.log(np.where(m, x, 1.0)), 0.0).sum(axis=1) / den)
            else:
                g = np.log(np.where(m, upper - x, 1.0))
                v = upper - np.exp(np.where(m, w * g, 0.0).sum(axis=1) / den)
            L[:, ch] = np.where(den[:, None] > 0, wm / den[:, None], 0.0)
        V[:, a] = np.where(den > 0, v, np.nan)
    return AggregateResult(V, L, spec.codes, method)


def rank(scores: np.ndarray, descending: bool = True) -> np.ndarray:
    """Competition ranks ("1224") of ``scores`` along the last axis; 1 = highest when ``descending``.
    NaN scores get a NaN rank.  Works on a 1-D vector or row-wise on a ``runs × units`` matrix."""
    s = np.asarray(scores, dtype=float)
    one = s.ndim == 1
    S = s[None, :] if one else s
    R = rank_rows(S if not descending else -S)
    return R[0] if one else R


def rank_rows(K: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
    """Ascending competition ranks per row of K (ties → min), NaN → NaN, as float."""
    r, n = K.shape
    order = np.argsort(K, axis=1)
    sk = np.take_along_axis(K, order, axis=1)
    pos = np.broadcast_to(np.arange(1, n + 1, dtype=dtype), (r, n))
    special = (sk[:, 1:] == sk[:, :-1]).any(axis=1) | np.isnan(sk[:, -1])  # ties, or NaN (sorted last)
    if special.any():
        pos = pos.copy()
        rows = np.flatnonzero(special)
        s = sk[rows]
        start = np.empty(s.shape, dtype=bool)
        start[:, :1] = True
        np.not_equal(s[:, 1:], s[:, :-1], out=start[:, 1:])
        p = np.where(start, pos[rows], 0.0)
        np.maximum.accumulate(p, axis=1, out=p)
        p[np.isnan(s)] = np.nan
        pos[rows] = p
    out = np.empty((r, n), dtype=dtype)
    out[np.arange(r)[:, None], order] = pos
    return out


# --------------------------------------------------------------------------------------------------------
# The whole pipeline
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexOptions:
    """Method choices for :func:`compute` (defaults: no imputation or treatment, min-max 0–100, arithmetic).

    ``denominate``: divide indicators that name a denominator (needs ``denominators=`` in compute).
    ``impute``: one of ``IMPUTATIONS`` (``group_mean`` needs ``groups=``).
    ``treat``: apply COINr's outlier rule with ``winmax``, ``skew_threshold``, ``kurt_threshold``.
    ``normalisation``: one of ``NORMALISATIONS``; ``bounds`` for min-max, ``zscore = (mean, sd)``,
    ``scale`` and ``cap`` for goalposts/target (goalposts and targets come from the spec's nodes).
    ``aggregation``: one of ``AGGREGATIONS``; ``upper`` is U of the high-dominates form.
    """

    denominate: bool = True
    impute: str = "none"
    treat: bool = False
    winmax: int = 5
    skew_threshold: float = 2.0
    kurt_threshold: float = 3.5
    normalisation: str = "minmax"
    bounds: tuple[float, float] = (0.0, 100.0)
    zscore: tuple[float, float] = (0.0, 1.0)
    scale: float = 100.0
    cap: bool = True
    aggregation: str = "arithmetic"
    upper: float = 100.0

    def __post_init__(self) -> None:
        if self.impute not in IMPUTATIONS:
            raise ValueError(f"index options: impute={self.impute!r}; use one of {IMPUTATIONS}")
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(
                f"index options: normalisation={self.normalisation!r}; use one of {NORMALISATIONS}"
            )
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(f"index options: aggregation={self.aggregation!r}; use one of {AGGREGATIONS}")
        if self.winmax < 0:
            raise ValueError("index options: winmax must be ≥ 0")


@dataclass(frozen=True)
class Driver:
    code: str
    contribution: float
    value: float
    # True when the unit had no value for this indicator and the imputed one stands in for it.
    imputed: bool = False


@dataclass(frozen=True, eq=False)
class IndexResult:
    """Everything :func:`compute` produced.

    ``values`` is ``units × len(codes)`` (normalised indicators, then every aggregate; the index is the last
    column); ``score`` and ``rank`` (1 = highest score = highest need) are for the index.  ``contributions``
    has the same shape: each node's contribution to the index score (see the module docstring for what it
    means per aggregation; ``contribution_space``).  Intermediate stages are kept for audit and display.
    """

    units: tuple[str, ...]
    codes: tuple[str, ...]
    levels: np.ndarray
    values: np.ndarray
    score: np.ndarray
    rank: np.ndarray
    contributions: np.ndarray
    contribution_space: str
    denominated: np.ndarray
    imputed: np.ndarray
    treated: np.ndarray
    normalised: np.ndarray
    treatment: tuple[TreatmentReport, ...]
    options: IndexOptions

    def column(self, code: str) -> np.ndarray:
        return self.values[:, self.codes.index(code)]

    def _unit_row(self, area: int | str) -> int:
        if isinstance(area, str):
            try:
                return self.units.index(area)
            except ValueError:
                raise KeyError(f"no unit {area!r} in this result") from None
        return int(area)

    def missing(self) -> np.ndarray:
        """``units × indicators``: True where the unit had no value (or no denominator) for the indicator,
        so that imputation, or nothing, stands in for it."""
        return np.isnan(self.denominated)

    def top_drivers(self, area: int | str, n: int = 3, level: int = 1, observed_only: bool = False) -> list[Driver]:
        """The ``n`` nodes of ``level`` (1 = indicators, 2 = themes, …) with the largest contribution to the
        area's index score, largest first; each with its contribution and its own (normalised) value.

        At level 1 each driver says whether its value was imputed; ``observed_only`` leaves imputed ones out,
        since a value the unit never had cannot be what drives its need."""
        i = self._unit_row(area)
        cols = np.flatnonzero(self.levels == level)
        if cols.size == 0:
            raise ValueError(f"top_drivers: no nodes at level {level}")
        imputed = np.zeros(len(self.codes), dtype=bool)
        if level == 1:
            imputed[cols] = self.missing()[i, : cols.size]
        if observed_only:
            cols = cols[~imputed[cols]]
        c = self.contributions[i, cols]
        order = cols[np.argsort(-np.nan_to_num(c, nan=-np.inf), kind="stable")][:n]
        return [
            Driver(self.codes[j], float(self.contributions[i, j]), float(self.values[i, j]), bool(imputed[j]))
            for j in order
        ]


@dataclass(frozen=True)
class Coverage:
    """How much of a ``units × indicators`` table holds values: per indicator, per unit, overall (0–1)."""

    present: np.ndarray          # units × indicators, True where a value is present
    by_indicator: np.ndarray     # share of units with a value, per indicator
    by_unit: np.ndarray          # share of indicators with a value, per unit
    share: float                 # share of all cells with a value
    threshold: float             # the share below which the table is too thin to rank on
    sufficient: bool


def coverage(X: Any, threshold: float = 0.0) -> Coverage:
    """Share of values present in ``X`` (NaN = missing). A ranking of units filled in mostly by imputation
    ties them at the average, so callers compare ``share`` with a ``threshold`` (0–1) before trusting it."""
    A = _as_matrix(X, "data")
    present = np.isfinite(A)
    share = float(present.mean()) if present.size else 0.0
    by_indicator = present.mean(axis=0) if A.shape[0] else np.zeros(A.shape[1])
    by_unit = present.mean(axis=1) if A.shape[1] else np.zeros(A.shape[0])
    return Coverage(present, by_indicator, by_unit, share, float(threshold), bool(present.size and share >= threshold))


def _as_matrix(X: Any, name: str) -> np.ndarray:
    A = np.array(X, dtype=float)
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (units × columns); got shape {A.shape}")
    return A


def _spec_denominate(X: np.ndarray, spec: IndexSpec, denominators: Mapping[str, Any] | None) -> np.ndarray:
    needed = [spec.by_code[c].denominator for c in spec.indicators]
    names = sorted({d for d in needed if d is not None})
    if not names:
        return X.copy()
    if denominators is None:
        raise ValueError(f"compute: indicators name denominators {names}; pass denominators={{code: values}}")
    missing = [d for d in names if d not in denominators]
    if missing:
        raise ValueError(f"compute: denominator(s) {missing} not given in denominators=")
    D = np.column_stack([np.asarray(denominators[d], dtype=float) for d in names])
    which = [None if d is None else names.index(d) for d in needed]
    scale = [spec.by_code[c].scale for c in spec.indicators]
    return denominate(X, D, which, scale)


@dataclass(frozen=True, eq=False)
class Prepared:
    denominated: np.ndarray
    imputed: np.ndarray
    treated: np.ndarray
    treatment: tuple[TreatmentReport, ...]
    units: tuple[str, ...]


def prepare(
    data: Any,
    spec: IndexSpec,
    options: IndexOptions,
    denominators: Mapping[str, Any] | None,
    groups: Any,
    units: Sequence[str] | None,
) -> Prepared:
    X = _as_matrix(data, "data")
    if X.shape[1] != len(spec.indicators):
        raise ValueError(
            f"compute: data has {X.shape[1]} columns but the spec has {len(spec.indicators)} indicators "
            f"({', '.join(spec.indicators[:5])}{', …' if len(spec.indicators) > 5 else ''})"
        )
    unit_codes = (
        tuple(str(u) for u in units) if units is not None else tuple(str(i) for i in range(X.shape[0]))
    )
    if len(unit_codes) != X.shape[0]:
        raise ValueError(f"compute: {len(unit_codes)} unit codes for {X.shape[0]} data rows")
    den = _spec_denominate(X, spec, denominators) if options.denominate else X.copy()
    imp = impute(den, options.impute, groups)
    if options.treat:
        tr = treat(imp, options.winmax, options.skew_threshold, options.kurt_threshold, spec.indicators)
        treated, reports = tr.data, tr.reports
    else:
        treated, reports = imp.copy(), ()
    return Prepared(den, imp, treated, reports, unit_codes)


def normalise_spec(X: np.ndarray, spec: IndexSpec, options: IndexOptions, method: str) -> np.ndarray:
    goalposts = targets = None
    if method == "goalposts":
        gp = [spec.by_code[c].goalposts for c in spec.indicators]
        lacking = [c for c, g in zip(spec.indicators, gp, strict=True) if g is None]
        if lacking:
            raise ValueError(f"normalise: goalposts normalisation needs Node.goalposts for {lacking}")
        goalposts = gp
    if method == "target":
        tg = [spec.by_code[c].target for c in spec.indicators]
        lacking = [c for c, t in zip(spec.indicators, tg, strict=True) if t is None]
        if lacking:
            raise ValueError(f"normalise: distance-to-target normalisation needs Node.target for {lacking}")
        targets = tg
    return normalise(
        X,
        method,
        spec.directions,
        bounds=options.bounds,
        zscore=options.zscore,
        goalposts=goalposts,
        targets=targets,
        scale=options.scale,
        cap=options.cap,
    )


def to_space(V: np.ndarray, method: str, upper: float) -> np.ndarray:
    """Map scores into the space where the aggregation is a weighted sum (identity / ln x / ln(U - x))."""
    if method == "arithmetic":
        return V
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(V) if method == "geometric" else np.log(upper - V)


def _contributions(agg: AggregateResult, spec: IndexSpec, upper: float) -> tuple[np.ndarray, str]:
    L = agg.local_weights
    eff = np.zeros_like(L)
    root = spec.position[spec.root]
    eff[:, root] = np.where(np.isnan(agg.values[:, root]), 0.0, 1.0)
    for code in reversed(spec.aggregates):
        a = spec.position[code]
        ch = spec.children_index[a]
        eff[:, ch] = eff[:, [a]] * L[:, ch]
    G = to_space(agg.values, agg.method, upper)
    if agg.method == "high_dominates":
        G = -G
    with np.errstate(invalid="ignore"):
        C = np.where(eff > 0, eff * G, 0.0)
    C[:, root] = np.where(eff[:, root] > 0, G[:, root], np.nan)
    space = {"arithmetic": "points", "geometric": "log", "high_dominates": "log_gap"}[agg.method]
    return C, space


def compute(
    data: Any,
    spec: IndexSpec,
    options: IndexOptions | None = None,
    *,
    denominators: Mapping[str, Any] | None = None,
    groups: Any = None,
    units: Sequence[str] | None = None,
) -> IndexResult:
    """Run the pipeline denominate → impute → treat → normalise → aggregate and explain the result.

    ``data`` is ``units × indicators`` (columns in ``spec.indicators`` order, NaN for missing);
    ``denominators`` maps each denominator code named in the spec to one value per unit; ``groups`` gives
    one group label per unit (for ``impute="group_mean"``); ``units`` names the rows.
    """
    options = options or IndexOptions()
    prep = prepare(data, spec, options, denominators, groups, units)
    N = normalise_spec(prep.treated, spec, options, options.normalisation)
    agg = aggregate(N, spec, options.aggregation, options.upper)
    score = agg.values[:, -1].copy()
    contributions, space = _contributions(agg, spec, options.upper)
    return IndexResult(
        units=prep.units,
        codes=spec.codes,
        levels=spec.levels,
        values=agg.values,
        score=score,
        rank=rank(score),
        contributions=contributions,
        contribution_space=space,
        denominated=prep.denominated,
        imputed=prep.imputed,
        treated=prep.treated,
        normalised=N,
        treatment=prep.treatment,
        options=options,
    )


def with_weights(spec: IndexSpec, weights: Mapping[str, float]) -> IndexSpec:
    """A copy of ``spec`` with some node weights replaced (e.g. a preset such as "basic needs first")."""
    unknown = sorted(set(weights) - set(spec.by_code))
    if unknown:
        raise ValueError(f"with_weights: unknown codes {unknown}")
    return IndexSpec(tuple(replace(n, weight=float(weights.get(n.code, n.weight))) for n in spec.nodes))
