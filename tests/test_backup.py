"""`tamasuk backup` and `tamasuk restore` (issue 17, item 11): a round trip on the engine under test (SQLite, or
PostgreSQL with DATABASE_URL), the restored copy's audit chains verified against the archive, and an archive
that was altered refused before anything is touched."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile

import pytest

from conftest import FreshDatabase

COUNTS = ("from django.apps import apps; import json; print(json.dumps({m: apps.get_model(m).objects.count() "
          "for m in ['cities.City', 'mapping.Observation', 'network.Organisation', 'plans.Plan', "
          "'audit.AuditEvent', 'auth.User']}))")


def _counts(db: FreshDatabase) -> dict:
    return json.loads(db.tamasuk("shell", "-c", COUNTS).stdout.strip().splitlines()[-1])


def _files(db: FreshDatabase) -> dict[str, str]:
    return {p.relative_to(db.media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in db.media.rglob("*") if p.is_file()}


@pytest.fixture
def empty(tmp_path):
    (tmp_path / "empty").mkdir()
    db = FreshDatabase(tmp_path / "empty")
    yield db
    db.drop()


def test_a_backup_restores_into_an_empty_installation_with_its_files_and_intact_chains(
        fresh_demo_database, empty, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    made = fresh_demo_database.tamasuk("backup", "--output", str(archive))
    assert "Backup written to" in made.stdout and archive.exists()
    saved = _counts(fresh_demo_database)
    assert saved["cities.City"] == 1 and saved["audit.AuditEvent"] > 100

    restored = empty.tamasuk("restore", str(archive))
    assert "mombasa: chain intact" in restored.stdout and "as at backup time" in restored.stdout
    assert _counts(empty) == saved
    assert _files(empty) == _files(fresh_demo_database) != {}  # the demo's evidence files, byte for byte
    assert "Audit chains intact" in empty.tamasuk("audit", "verify").stdout

    # Restoring again would replace the cities now there: refused unless asked for.
    with pytest.raises(subprocess.CalledProcessError) as refused:
        empty.tamasuk("restore", str(archive))
    assert "holds cities already" in refused.value.stderr
    assert "chain intact" in empty.tamasuk("restore", str(archive), "--force").stdout


def test_an_altered_archive_is_refused_and_nothing_is_restored(fresh_demo_database, empty, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    fresh_demo_database.tamasuk("backup", "--output", str(archive))
    # The same archive with one byte of the database changed, the manifest kept.
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(altered, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()
            if member.name.startswith("database."):
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(subprocess.CalledProcessError) as refused:
        empty.tamasuk("restore", str(altered))
    assert "does not match its checksum" in refused.value.stderr and "nothing was restored" in refused.value.stderr
    assert _counts(empty)["cities.City"] == 0

    with pytest.raises(subprocess.CalledProcessError) as refused:
        empty.tamasuk("restore", str(tmp_path / "nothing.tar.gz"))
    assert "is not a Tamasuk backup" in refused.value.stderr
