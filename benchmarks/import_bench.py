"""Benchmark: importing observations with ``mapping.services.import_observations`` (a script, not a test).

Goal from issue 3: 1,000,000 observation rows import in under 60 s with under 1 GB of memory, on SQLite and
on PostgreSQL. Run it from the project root, once per engine:

    .venv/bin/python benchmarks/import_bench.py [--postgres] [--rows N] [--shuffle] [--profile DIR]

- default: a fresh SQLite file in a temporary directory (WAL, as in production settings);
- ``--postgres``: connects to ``postgres://postgres@127.0.0.1:5432/postgres`` (override with
  ``--postgres-url``), CREATEs a temporary database ``tamasuk_bench_<random>`` and DROPs it at the end;
- ``--rows N``: import N rows instead of 1,000,000 (1,000 areas × 100 indicators × as many periods from
  2016 on as needed: ten, 2016..2025, for a million), e.g. ``--rows 50000`` for a quick look;
- ``--shuffle``: feed the rows in random order (worst case for index inserts) instead of
  period × indicator × area order;
- ``--profile DIR``: also write a cProfile dump of each import to DIR (read it with ``python -m pstats``).

Every phase runs in a fresh child process of this script, with DATABASE_URL, TAMASUK_VAR_DIR and HTTPS=false
set before ``django.setup()``, so that settings are read afresh and the peak RSS (``ru_maxrss``) printed for
a phase is that phase's own (the parent never imports Django: Linux carries ``ru_maxrss`` across exec).

1. setup: ``migrate``, two cities (three on PostgreSQL) each with 1,000 areas (``Area.objects.bulk_create``, level 1) and the 100
   same indicators (``seed_themes`` + ``create_indicator``);
2. ours: build the N ``ObservationInput`` rows, then time ``import_observations(actor="bench", …)`` end to
   end into city A (must report N new);
3. peer: build the same rows, then time a plain ``cursor.executemany`` INSERT of them into the same
   observation table for city B (same indexes, constraints and foreign keys), codes resolved through a dict,
   in one transaction;
4. PostgreSQL only, for reference: the same rows by ``COPY … FROM STDIN`` into city C, the floor for this
   table (the deferred foreign-key checks at commit included), not the peer;
5. re-import: the same N rows into city A again (must report 0 new, 0 changed).

Prints seconds, rows/s and peak RSS of each, our time ÷ the peer's, and PASS/MISS against the targets. It
is informational: it exits 0 whatever the numbers (non-zero only if the import gives a wrong result).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N_AREAS, N_INDICATORS, FIRST_YEAR = 1000, 100, 2016
TARGET_SECONDS, TARGET_MB = 60.0, 1024.0
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


# ---- the children: everything that touches Django ---------------------------------------------------------

def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def build_rows(n: int, shuffle: bool) -> list:
    """N ObservationInput rows over 1,000 areas × 100 indicators × periods 2016.., the same every time."""
    import datetime as dt
    import random

    from tamasuk.mapping.services import ObservationInput

    rng = random.Random(20160101)
    area_codes = [f"A{a:04d}" for a in range(N_AREAS)]
    ind_codes = [f"ind-{i:03d}" for i in range(N_INDICATORS)]
    n_periods = max(1, -(-n // (N_AREAS * N_INDICATORS)))
    rows = []
    for p in range(n_periods):
        year = FIRST_YEAR + p
        period, start, end = str(year), dt.date(year, 1, 1), dt.date(year, 12, 31)
        for ind in ind_codes:
            for area in area_codes:
                if len(rows) == n:
                    break
                rows.append(ObservationInput(row=len(rows) + 3, area=area, indicator=ind, period=period,
                                             period_start=start, period_end=end,
                                             value=round(rng.uniform(0, 1000), 2), source="bench"))
    if shuffle:
        random.Random(7).shuffle(rows)
    return rows


def phase_setup(args) -> dict:
    from django.core.management import call_command

    from tamasuk.cities.models import Area
    from tamasuk.cities.services import create_city
    from tamasuk.mapping.models import Direction
    from tamasuk.mapping.services import create_indicator, seed_themes

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - t0
    from django.db import connection

    slugs = ["bench-a", "bench-b"] + (["bench-c"] if connection.vendor == "postgresql" else [])
    for slug in slugs:
        city = create_city(actor="bench", name=f"Bench {slug[-1].upper()}", slug=slug, country="KEN",
                           languages=["en"])
        Area.objects.bulk_create([Area(city=city, code=f"A{a:04d}", name=f"Area {a}", level=1)
                                  for a in range(N_AREAS)], batch_size=500)
        themes = seed_themes(actor="bench", city=city)
        for i in range(N_INDICATORS):
            create_indicator(actor="bench", city=city, code=f"ind-{i:03d}", name=f"Indicator {i}", unit="%",
                             direction=Direction.HIGHER_IS_WORSE if i % 2 else Direction.HIGHER_IS_BETTER,
                             theme=themes[i % len(themes)])
    return {"migrate_seconds": migrate_s, "setup_seconds": time.perf_counter() - t0, "cities": len(slugs)}


def _import(args, label: str) -> dict:
    from django.db import connection

    from tamasuk.cities.models import City
    from tamasuk.mapping.models import Observation
    from tamasuk.mapping.services import import_observations

    city = City.objects.get(slug="bench-a")
    rows = build_rows(args.rows, args.shuffle)
    connection.close()  # the import opens its own connection, as a worker's task would
    before_mb = peak_rss_mb()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    summary = import_observations(actor="bench", city=city, records=rows, source_name="bench.csv")
    seconds = time.perf_counter() - t0
    if profiler:
        profiler.disable()
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(Path(args.profile) / f"{label}-{connection.vendor}.prof"))
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "before_import_rss_mb": before_mb,
            "new": summary.new, "changed": summary.changed, "unchanged": summary.unchanged,
            "errors": len(summary.errors), "stored": Observation.objects.filter(city=city).count()}


def phase_ours(args) -> dict:
    return _import(args, "import")


def phase_reimport(args) -> dict:
    return _import(args, "reimport")


def phase_peer(args, slug: str = "bench-b", copy: bool = False) -> dict:
    from django.db import connection, transaction

    from tamasuk.cities.models import Area, City
    from tamasuk.mapping.models import Indicator, Observation

    city = City.objects.get(slug=slug)
    rows = build_rows(args.rows, args.shuffle)
    areas = dict(Area.objects.filter(city=city).values_list("code", "id"))
    indicators = dict(Indicator.objects.filter(city=city).values_list("code", "id"))
    meta, q = Observation._meta, connection.ops.quote_name
    columns = ["city_id", "indicator_id", "area_id", "period", "period_start", "period_end", "value", "sex",
               "age_band", "group", "source", "method_note"]
    sql = (f"INSERT INTO {q(meta.db_table)} ({', '.join(q(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    dates = {}  # a date as the driver wants it (a string on SQLite), as Django would pass it
    before_mb = peak_rss_mb()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        params = []
        for r in rows:
            start = dates.get(r.period_start) or dates.setdefault(
                r.period_start, connection.ops.adapt_datefield_value(r.period_start))
            end = dates.get(r.period_end) or dates.setdefault(
                r.period_end, connection.ops.adapt_datefield_value(r.period_end))
            params.append((city.pk, indicators[r.indicator], areas[r.area], r.period, start, end, r.value,
                           r.sex, r.age_band, r.group, r.source, r.method_note))
        params_s = time.perf_counter() - t0
        if copy:  # PostgreSQL's bulk path: the floor for this table, not the peer
            with cursor.copy(f"COPY {q(meta.db_table)} ({', '.join(q(c) for c in columns)}) FROM STDIN") as cp:
                for row in params:
                    cp.write_row(row)
        else:
            cursor.executemany(sql, params)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "params_seconds": params_s, "peak_rss_mb": peak_rss_mb(),
            "before_import_rss_mb": before_mb, "stored": Observation.objects.filter(city=city).count()}


def phase_copy(args) -> dict:
    return phase_peer(args, slug="bench-c", copy=True)


PHASES = {"setup": phase_setup, "ours": phase_ours, "peer": phase_peer, "copy": phase_copy,
          "reimport": phase_reimport}


def child(args) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    result = PHASES[args.child](args)
    if args.child != "setup" and "vendor" not in result:
        from django.db import connection

        result["vendor"] = connection.vendor
    print(json.dumps(result))


# ---- the parent: databases, children, report ---------------------------------------------------------------

def run_phase(phase: str, args, env: dict) -> dict:
    cmd = [sys.executable, __file__, "--child", phase, "--rows", str(args.rows)]
    if args.shuffle:
        cmd.append("--shuffle")
    if args.profile:
        cmd += ["--profile", args.profile]
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"phase {phase} failed (exit {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(r: dict) -> str:
    t = "PASS" if r["seconds"] < TARGET_SECONDS else "MISS"
    m = "PASS" if r["peak_rss_mb"] < TARGET_MB else "MISS"
    return f"time {t} (< {TARGET_SECONDS:.0f} s), memory {m} (< {TARGET_MB / 1024:.0f} GB)"


def line(name: str, r: dict, rows: int) -> str:
    return (f"{name:34s} {r['seconds']:7.2f} s  {rows / r['seconds']:>9,.0f} rows/s  "
            f"peak RSS {r['peak_rss_mb']:6.0f} MB (rows built: {r['before_import_rss_mb']:.0f} MB)")


def bench(args, database_url: str, engine: str) -> int:
    with tempfile.TemporaryDirectory(prefix="tamasuk-bench-") as var_dir:
        env = {**os.environ, "DATABASE_URL": database_url, "TAMASUK_VAR_DIR": var_dir, "HTTPS": "false",
               "DEBUG": "false", "DJANGO_SETTINGS_MODULE": "tamasuk.settings",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
        n = args.rows
        print(f"engine: {engine}   rows: {n:,}{' (shuffled)' if args.shuffle else ''}")
        setup = run_phase("setup", args, env)
        print(f"setup: migrate {setup['migrate_seconds']:.1f} s, {setup['cities']} cities × {N_AREAS:,} areas × "
              f"{N_INDICATORS} indicators in {setup['setup_seconds']:.1f} s total")
        ours = run_phase("ours", args, env)
        print(line("ours  import_observations", ours, n))
        peer = run_phase("peer", args, env)
        print(line("peer  cursor.executemany INSERT", peer, n)
              + f"  (of which building params {peer['params_seconds']:.2f} s)")
        copy = run_phase("copy", args, env) if setup["cities"] == 3 else None
        if copy:
            print(line("floor COPY FROM STDIN (PostgreSQL)", copy, n))
        again = run_phase("reimport", args, env)
        print(line("ours  re-import, same rows", again, n))
    bad = []
    if (ours["new"], ours["changed"], ours["errors"], ours["stored"]) != (n, 0, 0, n):
        bad.append(f"import: new={ours['new']} changed={ours['changed']} errors={ours['errors']} "
                   f"stored={ours['stored']} (expected {n:,} new and stored)")
    if (again["new"], again["changed"], again["unchanged"], again["stored"]) != (0, 0, n, n):
        bad.append(f"re-import: new={again['new']} changed={again['changed']} unchanged={again['unchanged']} "
                   f"stored={again['stored']} (expected 0 new, 0 changed)")
    for name, r in (("peer", peer), ("COPY", copy)):
        if r and r["stored"] != n:
            bad.append(f"{name} stored {r['stored']:,} rows, expected {n:,}")
    print(f"import:    {ours['new']:,} new, {ours['changed']:,} changed, {ours['unchanged']:,} unchanged")
    print(f"re-import: {again['new']:,} new, {again['changed']:,} changed, {again['unchanged']:,} unchanged")
    print(f"ratio ours ÷ peer: {ours['seconds'] / peer['seconds']:.2f}× time "
          f"(re-import {again['seconds'] / peer['seconds']:.2f}×), "
          f"{ours['peak_rss_mb'] / peer['peak_rss_mb']:.2f}× peak RSS")
    if copy:
        print(f"ratio ours ÷ COPY: {ours['seconds'] / copy['seconds']:.2f}× time")
    scale = "" if n == 1_000_000 else f"  [targets are for 1,000,000 rows; this run has {n:,}]"
    print(f"targets, import:    {verdict(ours)}{scale}")
    print(f"targets, re-import: {verdict(again)}{scale}")
    for problem in bad:
        print(f"WRONG RESULT: {problem}", file=sys.stderr)
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--postgres", action="store_true", help="use a temporary PostgreSQL database")
    ap.add_argument("--postgres-url", default=PG_ADMIN_URL, help=f"admin connection (default {PG_ADMIN_URL})")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--shuffle", action="store_true", help="feed the rows in random order")
    ap.add_argument("--profile", metavar="DIR", help="write cProfile dumps of the imports to DIR")
    ap.add_argument("--child", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.profile:
        args.profile = str(Path(args.profile).resolve())
    if args.child:
        child(args)
        return 0
    if not args.postgres:
        with tempfile.TemporaryDirectory(prefix="tamasuk-bench-db-") as tmp:
            return bench(args, f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "SQLite")
    import psycopg
    from psycopg import sql

    name = f"tamasuk_bench_{secrets.token_hex(4)}"
    with psycopg.connect(args.postgres_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = admin.execute("SHOW server_version").fetchone()[0]
    try:
        url = args.postgres_url.rsplit("/", 1)[0] + f"/{name}"
        return bench(args, url, f"PostgreSQL {version} (database {name})")
    finally:
        with psycopg.connect(args.postgres_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        print(f"dropped database {name}")


if __name__ == "__main__":
    sys.exit(main())
