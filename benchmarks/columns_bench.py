"""Benchmark: detecting the columns of a hostile observation file (not a test).

A CSV with a header row, an HXL hashtag row and one data row, N columns wide (1,000, 4,000 and 100,000:
10 KB to 2.7 MB), each column tagged `#indicator+vN`. Times `mapping.observation_import.detect` (what the
dry run does first: read the file, find the hashtag row, name every column, suggest a mapping) against a peer
that only reads the same bytes with `csv.reader`. Before issue 17 naming the columns was quadratic: 1,000
columns took 8 s and 4,000 took 136 s (one core busy elsewhere). Goal: linear, a small multiple of reading.

    .venv/bin/python benchmarks/columns_bench.py [--columns 1000 4000 100000]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import time


def hostile(n: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(n))
    tags = ",".join(f"#indicator+v{i}" for i in range(n))
    return f"{header}\n{tags}\n{','.join('1' for _ in range(n))}\n".encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--columns", type=int, nargs="+", default=[1000, 4000, 100000])
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tamasuk.settings")
    import django

    django.setup()
    from tamasuk.mapping.observation_import import detect

    print(f"{'columns':>8} {'bytes':>10} {'detect s':>9} {'csv.reader s':>13} {'ratio':>7}")
    for n in args.columns:
        data = hostile(n)
        t = time.perf_counter()
        info = detect(data, "hostile.csv", [])
        ours = time.perf_counter() - t
        assert len(info["columns"]) == n
        t = time.perf_counter()
        rows = list(csv.reader(io.StringIO(data.decode())))
        peer = time.perf_counter() - t
        assert len(rows[0]) == n
        print(f"{n:>8} {len(data):>10} {ours:>9.3f} {peer:>13.4f} {ours / peer:>7.0f}×")


if __name__ == "__main__":
    main()
