"""Benchmark: reading a long-format observation CSV with interop.tabular (not a test).

Generates a CSV of N rows (default 1,000,000: 1,000 areas × 50 indicators × 20 periods, a header row and
an HXL hashtag row, values with two decimals, in shuffled order) into a temporary directory, then reads it
twice, each in a fresh child process so that peak memory is that reader's alone:

- ours: ``read_table`` + ``records_long`` (hashtag detection, value and period parsing, duplicate check,
  ObservationRecord objects); the file is passed as bytes, as an upload would be;
- peer: ``csv.reader`` + ``float()`` keeping (area, indicator, period, value) tuples, nothing checked.

Prints seconds and peak RSS (``resource.getrusage``) of each and the ratios. Everything, the generation
included, runs in children of a small parent, because Linux carries ``ru_maxrss`` across fork and exec.
Goal: well under 30 s for a million rows with modest memory.

    .venv/bin/python benchmarks/tabular_bench.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(path: Path, rows: int) -> None:
    n_areas, n_ind = 1000, 50
    n_periods = max(1, -(-rows // (n_areas * n_ind)))
    rng = random.Random(0)
    keys = [(a, i, p) for p in range(n_periods) for i in range(n_ind) for a in range(n_areas)][:rows]
    rng.shuffle(keys)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Ward code", "Indicator", "Year", "Value"])
        w.writerow(["#adm2+code", "#indicator+code", "#date+year", "#indicator+value+num"])
        for a, i, p in keys:
            w.writerow([f"KE-{a:04d}", f"ind_{i:02d}", str(2000 + p), f"{rng.uniform(0, 1000):.2f}"])


def run_ours(path: Path) -> dict:
    from tamasuk.interop.decoding import read_table
    from tamasuk.interop.tabular import ColumnMap, records_long

    t0 = time.perf_counter()
    data = path.read_bytes()
    table = read_table(data, path.name)
    cmap = ColumnMap(area="#adm2+code", indicator="#indicator+code", period="#date", value="#indicator+value")
    result = records_long(table, cmap)
    seconds = time.perf_counter() - t0
    assert not result.errors, result.errors[:3]
    return {"seconds": seconds, "records": len(result.records)}


def run_peer(path: Path) -> dict:
    t0 = time.perf_counter()
    out = []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        next(reader)
        for area, ind, period, value in reader:
            out.append((area, ind, period, float(value)))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "records": len(out)}


def child(kind: str, path: Path) -> None:
    if kind.startswith("generate:"):
        generate(path, int(kind.split(":")[1]))
        return
    result = (run_ours if kind == "ours" else run_peer)(path)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(result))


def measure(kind: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_rss() -> float:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, tamasuk.interop.tabular, csv;"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "observations.csv"
        t0 = time.perf_counter()
        # In a child: Linux keeps ru_maxrss across fork and exec, so the parent must stay small.
        subprocess.run([sys.executable, __file__, "--child", f"generate:{args.rows}", str(path)], check=True)
        size = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size:.1f} MB) in {time.perf_counter() - t0:.1f} s")
        base = baseline_rss()
        peer = measure("peer", path)
        ours = measure("ours", path)
    print(f"interpreter + imports: {base:.0f} MB peak RSS")
    for name, r in (("peer  csv.reader + float()", peer), ("ours  read_table + records_long", ours)):
        print(
            f"{name:34s} {r['seconds']:6.2f} s  {r['peak_rss_mb']:6.0f} MB peak RSS  {r['records']:,} records"
        )
    print(
        f"ratio ours/peer: time {ours['seconds'] / peer['seconds']:.2f}×, "
        f"peak RSS {ours['peak_rss_mb'] / peer['peak_rss_mb']:.2f}×"
    )


if __name__ == "__main__":
    main()
