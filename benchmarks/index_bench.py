"""Benchmark: Monte Carlo uncertainty of the priority index (not a test).

10,000 areas × 50 indicators (5 % missing, mean-imputed, outliers treated) in a 50 → 10 themes → 3 pillars
→ index tree; 1,000 runs drawing weights ±25 %, min-max or rank normalisation, arithmetic or geometric
aggregation, and one indicator left out.  Goal: under 2 s on the 2-core development machine.

The peer is a straightforward implementation of the same analysis: one run at a time, the normalisation
redone per run, aggregation node by node, ranks by a double argsort, percentiles at the end.  It is timed on
fewer runs and extrapolated linearly to the same number of runs.

    .venv/bin/python benchmarks/index_bench.py [--areas 10000] [--indicators 50] [--runs 1000] [--peer-runs 40]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tamasuk.analysis.index import IndexOptions, IndexSpec, Node, compute
from tamasuk.analysis.uncertainty import Assumptions, uncertainty


def make_spec(n_ind: int, n_themes: int = 10, n_pillars: int = 3) -> IndexSpec:
    rng = np.random.default_rng(0)
    nodes = []
    for j in range(n_ind):
        nodes.append(Node(f"i{j}", 1, f"t{j % n_themes}", float(rng.integers(1, 4)), 1 if j % 4 else -1))
    for t in range(n_themes):
        nodes.append(Node(f"t{t}", 2, f"p{t % n_pillars}", float(rng.integers(1, 3))))
    for p in range(n_pillars):
        nodes.append(Node(f"p{p}", 3, "index", 1.0))
    nodes.append(Node("index", 4, None))
    return IndexSpec(tuple(nodes))


def make_data(n_units: int, n_ind: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    common = rng.normal(size=(n_units, 1))
    X = np.exp(0.6 * common + rng.normal(size=(n_units, n_ind)))  # correlated, right-skewed
    X[rng.random(X.shape) < 0.05] = np.nan
    return X


def naive_runs(X: np.ndarray, spec: IndexSpec, assumptions: Assumptions, runs: int, seed: int) -> np.ndarray:
    """One run at a time, the obvious way."""
    rng = np.random.default_rng(seed)
    ind = list(spec.indicators)
    aggs = list(spec.aggregates)
    nonroot = [c for c in spec.codes if c != spec.root]
    ranks = np.empty((runs, X.shape[0]))
    for r in range(runs):
        weights = {
            c: spec.by_code[c].weight * (1 + assumptions.weights * (2 * rng.random() - 1)) for c in nonroot
        }
        norm = assumptions.normalisations[rng.integers(len(assumptions.normalisations))]
        agg = assumptions.aggregations[rng.integers(len(assumptions.aggregations))]
        dropped = ind[rng.integers(len(ind))]
        values: dict[str, np.ndarray] = {}
        for j, c in enumerate(ind):
            if c == dropped:
                continue
            x = X[:, j] * spec.by_code[c].direction
            if norm == "minmax":
                values[c] = (x - x.min()) / (x.max() - x.min()) * 100
            else:
                values[c] = x.argsort().argsort() + 1.0
        for a in aggs:
            kids = [n.code for n in spec.nodes if n.parent == a and n.code in values]
            if not kids:
                continue
            w = np.array([weights[k] for k in kids])
            M = np.column_stack([values[k] for k in kids])
            if agg == "arithmetic":
                values[a] = (M * w).sum(axis=1) / w.sum()
            else:
                with np.errstate(divide="ignore"):
                    values[a] = np.exp((np.log(M) * w).sum(axis=1) / w.sum())
        score = values[spec.root]
        ranks[r] = (-score).argsort().argsort() + 1
    np.percentile(ranks, [5, 50, 95], axis=0)
    return ranks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--areas", type=int, default=10_000)
    ap.add_argument("--indicators", type=int, default=50)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--peer-runs", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    spec = make_spec(args.indicators)
    X = make_data(args.areas, args.indicators)
    options = IndexOptions(impute="mean", treat=True)
    assumptions = Assumptions(
        weights=0.25,
        normalisations=("minmax", "rank"),
        aggregations=("arithmetic", "geometric"),
        leave_one_out=True,
    )

    t = time.perf_counter()
    res = compute(X, spec, options)
    t_compute = time.perf_counter() - t
    treated = res.treated  # the peer starts from the same treated data

    uncertainty(X[:200], spec, options, assumptions, runs=20, seed=0)  # warm-up (imports, thread pool)
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        mc = uncertainty(X, spec, options, assumptions, runs=args.runs, seed=2026)
        times.append(time.perf_counter() - t)
    best = min(times)

    t = time.perf_counter()
    naive_runs(treated, spec, assumptions, args.peer_runs, seed=2026)
    t_peer = (time.perf_counter() - t) * args.runs / args.peer_runs

    width = mc.rank_high - mc.rank_low
    print(f"index benchmark: {args.areas} areas × {args.indicators} indicators, {args.runs} Monte Carlo runs")
    print(f"  compute() once (impute, treat, normalise, aggregate, contributions): {t_compute:.3f} s")
    print(
        f"  uncertainty(): best {best:.3f} s of {args.repeat} (all: {', '.join(f'{x:.3f}' for x in times)})"
        f"  target < 2 s: {'met' if best < 2 else 'MISSED'}"
    )
    print(f"  naive peer (one run at a time, {args.peer_runs} runs timed, extrapolated): {t_peer:.2f} s")
    print(f"  speed-up vs peer: {t_peer / best:.1f}×")
    print(f"  median 5–95 % rank-interval width: {np.median(width):.0f} ranks")


if __name__ == "__main__":
    main()
