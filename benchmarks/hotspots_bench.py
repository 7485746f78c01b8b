"""Benchmark: spatial weights + Getis–Ord Gi* with 999 permutations on 10,000 polygons.

Ours (tamasuk.analysis.hotspots) against esda + libpysal in the same run, on a 100 × 100 grid of
squares with spatially clustered Poisson counts. Not a test; run it by hand:

    .venv/bin/python benchmarks/hotspots_bench.py [--side 100] [--permutations 999] [--repeat 3]

esda and libpysal are test-only dependencies (numba, if installed, makes esda faster: its
permutation engine is numba-compiled; without numba it runs as plain Python). esda is timed warm:
a small run first compiles its numba functions. Times are the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import shapely

from tamasuk.analysis import hotspots as hs


def grid(side: int) -> np.ndarray:
    x, y = np.meshgrid(np.arange(side, dtype=float), np.arange(side, dtype=float))
    return shapely.box(x.ravel(), y.ravel(), x.ravel() + 1, y.ravel() + 1)


def counts(side: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x, y = np.meshgrid(np.arange(side), np.arange(side))
    lam = 3 + 20 * np.exp(-((x - side * 0.3) ** 2 + (y - side * 0.6) ** 2) / (2 * (side / 10) ** 2))
    return rng.poisson(lam.ravel()).astype(float)


def best(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", type=int, default=100)
    ap.add_argument("--permutations", type=int, default=999)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    polys = grid(args.side)
    y = counts(args.side)
    P = args.permutations
    print(f"{len(polys)} polygons, Gi* (star=True, row-standardised), {P} permutations")

    def ours():
        w = hs.queen_weights(polys)
        return w, hs.local_g(y, w, star=True, transform="r", permutations=P, seed=12345)

    t_w, _ = best(lambda: hs.queen_weights(polys), args.repeat)
    t_ours, (w_ours, g_ours) = best(ours, args.repeat)
    print(f"ours          weights {t_w:7.3f} s   weights + Gi* {t_ours:7.3f} s")

    try:
        import esda
        import libpysal
    except ImportError:
        print("esda/libpysal not installed: nothing to compare against")
        return
    try:
        import numba  # noqa: F401

        engine = "numba"
    except ImportError:
        engine = "pure Python (numba not installed)"
    warnings.simplefilter("ignore")
    small = libpysal.weights.Queen.from_iterable(list(grid(5)))
    for n_jobs in (1, -1):  # compile numba functions and start workers before timing
        esda.G_Local(counts(5), small, transform="R", star=True, permutations=9, seed=1, n_jobs=n_jobs)
    poly_list = list(polys)

    def theirs_w():
        return libpysal.weights.Queen.from_iterable(poly_list)

    t_w_esda, w_esda = best(theirs_w, args.repeat)
    results = {}
    for n_jobs in (1, -1):

        def theirs(n_jobs=n_jobs):
            w = theirs_w()
            return esda.G_Local(y, w, transform="R", star=True, permutations=P, seed=12345, n_jobs=n_jobs)

        results[n_jobs] = best(theirs, args.repeat)
    same_w = (w_esda.sparse.toarray() == w_ours.matrix.toarray()).all() if len(polys) <= 20000 else None
    print(f"esda+libpysal weights {t_w_esda:7.3f} s   ({engine}; same weights as ours: {same_w})")
    for n_jobs, (t, g) in results.items():
        print(
            f"esda n_jobs={n_jobs:>2}   weights + Gi* {t:7.3f} s   ours/esda = {t_ours / t:5.3f}"
            f"   max|Zs diff| = {np.abs(g.Zs - g_ours.Zs).max():.2e}"
            f"   mean|p_sim diff| = {np.abs(g.p_sim - g_ours.p_sim).mean():.4f}"
        )
    fastest = min(t for t, _ in results.values())
    print(f"ours / fastest esda = {t_ours / fastest:.3f}  (goal: <= 0.5)")


if __name__ == "__main__":
    main()
