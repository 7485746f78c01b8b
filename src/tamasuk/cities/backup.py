"""Backup and restore of a whole installation: the database and the stored files (evidence, import files) in one
archive, checked before anything is restored and verified after.

An archive (`.tar.gz`) holds `manifest.json` (format, engine, when, the SHA-256 of every other member and the
audit chains' lengths and heads at backup time), the database (`database.sqlite3`, made with SQLite's online
backup, or `database.pgdump`, made by `pg_dump --format=custom`) and `media/…`. A restore reads the whole archive
and checks every checksum before it touches the database; then it replaces the database and the files, and runs
`audit verify` on the restored copy, comparing each chain with the manifest: a chain shorter than at backup time,
or with another head, is reported as not restored intact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DatabaseError, connections

from tamasuk.audit.models import INSTALLATION_CHAIN
from tamasuk.audit.queries import verify_all
from tamasuk.cities.models import City

FORMAT = 1
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class ChainCheck:
    name: str
    ok: bool
    message: str


@dataclass(frozen=True)
class Restored:
    manifest: dict
    files: int
    chains: list[ChainCheck]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains)


def _engine() -> str:
    vendor = connections["default"].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of a {vendor} database are not supported")
    return vendor


def _pg_env() -> tuple[list[str], dict[str, str]]:
    s = connections["default"].settings_dict
    args = ["--host", s.get("HOST") or "127.0.0.1", "--port", str(s.get("PORT") or 5432),
            "--username", s.get("USER") or "postgres", "--dbname", s["NAME"]]
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return args, env


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _chain_names() -> dict[int, str]:
    names = dict(City.objects.values_list("pk", "slug"))
    names[INSTALLATION_CHAIN] = "installation"
    return names


def _chains() -> list[dict]:
    names = _chain_names()
    return [{"chain": s.chain, "name": names.get(s.chain, f"city #{s.chain}"), "ok": s.ok, "length": s.length,
             "head": s.head_hash} for s in verify_all()]


def backup(output: Path) -> dict:
    """Write the archive to `output` (made next to it first, then renamed: never a half-written archive)."""
    engine = _engine()
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(dir=output.parent) as tmp_:
        tmp = Path(tmp_)
        if engine == "sqlite":
            database = tmp / "database.sqlite3"
            source = sqlite3.connect(connections["default"].settings_dict["NAME"])
            target = sqlite3.connect(database)
            with target:
                source.backup(target)  # a consistent copy, even while the server writes
            source.close()
            target.close()
        else:
            database = tmp / "database.pgdump"
            args, env = _pg_env()
            run = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *args,
                                  "--file", str(database)], env=env, capture_output=True, text=True)
            if run.returncode:
                raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
        files = sorted(p for p in media.rglob("*") if p.is_file()) if media.is_dir() else []
        members = {database.name: _sha256(database)}
        members.update({f"media/{p.relative_to(media).as_posix()}": _sha256(p) for p in files})
        manifest = {"format": FORMAT, "engine": engine, "created_at": dt.datetime.now(dt.UTC).isoformat(),
                    "members": members, "audit": _chains()}
        partial = tmp / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(database, arcname=database.name)
            for p in files:
                tar.add(p, arcname=f"media/{p.relative_to(media).as_posix()}")
        os.replace(partial, output)
    return manifest


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"the archive holds an unsafe path: {name!r}")
    return path.as_posix()


def _unpack(archive: Path, into: Path) -> dict:
    """Every member into `into`, each checked against the manifest; nothing else is touched."""
    try:
        tar = tarfile.open(archive, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is not a Tamasuk backup ({exc})") from exc
    with tar:
        first = tar.next()
        if first is None or first.name != "manifest.json":
            raise BackupError(f"{archive} is not a Tamasuk backup (no manifest.json first)")
        manifest = json.loads(tar.extractfile(first).read())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive} is a backup of format {manifest.get('format')}; this version reads {FORMAT}")
        expected = dict(manifest["members"])
        for member in tar:
            if member is first:
                continue
            name = _safe_name(member.name)
            if not member.isfile() or name not in expected:
                raise BackupError(f"the archive holds {name!r}, which its manifest does not list")
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            h = hashlib.sha256()
            with tar.extractfile(member) as src, open(target, "wb") as dst:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    dst.write(chunk)
            if h.hexdigest() != expected.pop(name):
                raise BackupError(f"{name} in the archive does not match its checksum: the archive is damaged or "
                                  "was altered; nothing was restored")
        if expected:
            raise BackupError(f"the archive lacks {', '.join(sorted(expected)[:5])}; nothing was restored")
    return manifest


def restore(archive: Path, *, force: bool = False) -> Restored:
    engine = _engine()
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        manifest = _unpack(archive, tmp)
        if manifest["engine"] != engine:
            raise BackupError(f"this is a backup of a {manifest['engine']} database; this installation runs on "
                              f"{engine}. Restore it on {manifest['engine']}.")
        try:
            holds_data = City.objects.exists()
        except DatabaseError:  # a database without tables yet (never migrated) holds nothing
            holds_data = False
        if holds_data and not force:
            raise BackupError("this database holds cities already; restoring replaces everything in it. "
                              "Run again with --force if that is what you want.")
        connections.close_all()
        if engine == "sqlite":
            target = Path(connections["default"].settings_dict["NAME"])
            staged = target.with_name(target.name + ".restoring")
            shutil.copyfile(tmp / "database.sqlite3", staged)
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(staged, target)
        else:
            args, env = _pg_env()
            run = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                                  "--single-transaction", *args, str(tmp / "database.pgdump")],
                                 env=env, capture_output=True, text=True)
            if run.returncode:
                raise BackupError(f"pg_restore failed (nothing was changed): {run.stderr.strip()}")
        media = Path(settings.MEDIA_ROOT)
        files = 0
        if (tmp / "media").is_dir():
            for p in (tmp / "media").rglob("*"):
                if p.is_file():
                    dest = media / p.relative_to(tmp / "media")
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(p, dest)
                    files += 1
    return Restored(manifest=manifest, files=files, chains=_compare(manifest["audit"], _chains()))


def _compare(before: list[dict], after: list[dict]) -> list[ChainCheck]:
    now = {c["chain"]: c for c in after}
    checks = []
    for old in before:
        new = now.pop(old["chain"], None)
        name = old["name"]
        if new is None:
            checks.append(ChainCheck(name, False, f"{name}: the chain is missing from the restored copy"))
        elif not new["ok"]:
            checks.append(ChainCheck(name, False, f"{name}: the restored chain is broken"))
        elif (new["length"], new["head"]) != (old["length"], old["head"]):
            checks.append(ChainCheck(name, False, f"{name}: {new['length']} events restored, {old['length']} at "
                                                  "backup time, or another head: not the chain that was saved"))
        else:
            checks.append(ChainCheck(name, True, f"{name}: chain intact, {new['length']} events, as at backup time"))
    for extra in now.values():
        checks.append(ChainCheck(extra["name"], False, f"{extra['name']}: a chain the backup did not hold"))
    return checks
