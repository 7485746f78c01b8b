"""The evidence pack: one plan's whole history in a zip an external auditor can check without trusting us.

The pack holds the plan's versions, progress with its evidence files, reviews, indicators, and the city's own
audit chain from its first event to the head (each city has a chain of its own, so no other city's events are
in it), with a README that explains how to recompute the chain in a few lines of any language. Each event
carries its payload; one erased on a person's request carries the marker instead, its digest still in the
chain, and the erasure event that lists it.

Memory stays bounded by one evidence chunk and one page of audit events: files are streamed from storage into
the zip, and the zip itself is written to a spooled temporary file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import zipfile
from contextlib import contextmanager
from decimal import Decimal

from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from tamasuk.audit import checkpoints
from tamasuk.audit.models import ERASE_ACTION, GENESIS_HASH, AuditEvent, AuditHead, canonical_json, chain_of
from tamasuk.audit.queries import verify_chain
from tamasuk.cities.permissions import Action, require

from .models import Plan, PlanIndicator, ProgressUpdate

CHUNK = 1024 * 1024
# Kept in memory up to this size, then on disk: small packs never touch the disk, large ones never fill RAM.
SPOOL_BYTES = 32 * 1024 * 1024
EVENTS_PAGE = 2000
MANIFEST = "MANIFEST.sha256"


def _plain(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json(value) -> bytes:
    # Readable, not canonical: these files are checked through MANIFEST.sha256, not recomputed.
    return (json.dumps(value, default=_plain, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _who(user) -> str | None:
    return user.username if user is not None else None


def _trail(obj) -> dict:
    """Where to find the record's own events in audit/events.jsonl (and on the city's audit log page)."""
    return {"object_type": obj._meta.label_lower, "object_id": str(obj.pk)}


def _safe_name(name: str) -> str:
    try:
        safe = get_valid_filename(name)
    except SuspiciousFileOperation:
        safe = ""
    return safe[-100:] or "file"


class _Zip:
    """A zip being written, remembering the SHA-256 of every file for the manifest."""

    def __init__(self, out, when: dt.datetime):
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.date_time = max(when, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]
        self.digests: dict[str, str] = {}

    @contextmanager
    def stream(self, path: str):
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        digest = hashlib.sha256()
        with self.zip.open(info, "w", force_zip64=True) as member:
            def write(chunk: bytes) -> None:
                digest.update(chunk)
                member.write(chunk)

            yield write
        self.digests[path] = digest.hexdigest()

    def add(self, path: str, data: bytes) -> None:
        with self.stream(path) as write:
            write(data)

    def close(self) -> None:
        lines = "".join(f"{digest}  {path}\n" for path, digest in self.digests.items())
        self.zip.writestr(zipfile.ZipInfo(MANIFEST, date_time=self.date_time), lines.encode("utf-8"),
                          compress_type=zipfile.ZIP_DEFLATED)
        self.zip.close()


def _plan_json(plan: Plan) -> dict:
    from .snapshots import plan_snapshot

    framework = plan.framework
    return {
        "id": plan.pk, "audit": _trail(plan),
        "city": {"id": plan.city_id, "slug": plan.city.slug, "name": plan.city.name, "country": plan.city.country},
        "title": plan.title, "titles": plan.titles, "start_year": plan.start_year, "end_year": plan.end_year,
        "status": plan.status, "visibility": plan.visibility, "currency": plan.currency,
        "iati_organisation": plan.iati_organisation, "adopted_version": plan.adopted_version,
        "edit_version": plan.version, "created_at": plan.created_at,
        "national_framework": None if framework is None else {
            "id": framework.pk, "country": framework.country, "name": framework.name,
            "start_year": framework.start_year, "end_year": framework.end_year,
            "pillars": [{"code": p.code, "title": p.title} for p in framework.pillars.all()]},
        # The structure as it is now, which may hold edits of an open review not yet adopted as a version.
        "current": plan_snapshot(plan),
    }


def _version_json(version) -> dict:
    review = version.review
    return {
        "number": version.number, "audit": _trail(version), "reason": version.reason,
        "review": None if review is None else {"id": review.pk, "title": review.title, "period": review.period},
        "adopted_by": _who(version.adopted_by), "adopted_at": version.adopted_at, "snapshot": version.snapshot,
    }


def _review_json(review) -> dict:
    resulting = getattr(review, "resulting_version", None)
    return {
        "id": review.pk, "audit": _trail(review), "title": review.title, "period": review.period,
        "reviewers": review.reviewers, "findings": review.findings, "recommendations": review.recommendations,
        "decisions": review.decisions, "status": review.status, "opened_by": _who(review.opened_by),
        "opened_at": review.opened_at, "closed_at": review.closed_at,
        "resulting_version": resulting.number if resulting is not None else None,
    }


def _indicator_json(indicator: PlanIndicator) -> dict:
    return {
        "id": indicator.pk, "audit": _trail(indicator), "code": indicator.code, "name": indicator.name,
        "unit": indicator.unit, "kind": indicator.kind, "higher_is_better": indicator.higher_is_better,
        "counts_people": indicator.counts_people,
        "attached_to": (f"activity {indicator.activity.code}" if indicator.activity else
                        f"objective {indicator.objective.code}" if indicator.objective else "plan"),
        "mapping_indicator": indicator.mapping_indicator.code if indicator.mapping_indicator else None,
        "baseline": {"value": indicator.baseline_value, "date": indicator.baseline_date},
        "disaggregation": list(indicator.disaggregation),
        "targets": {str(t.year): t.value for t in indicator.targets.all()},
        "actuals": [{"year": a.year, "sex": a.sex, "age_band": a.age_band, "group": a.group, "value": a.value,
                     "note": a.note, "entered_by": _who(a.entered_by), "entered_at": a.entered_at}
                    for a in indicator.actuals.all()],
    }


def _write_progress(pack: _Zip, plan: Plan) -> tuple[int, int, list[str]]:
    """progress.jsonl and the evidence files, one file in memory at a time. Returns counts and problems."""
    updates = (ProgressUpdate.objects.filter(activity__plan=plan)
               .select_related("activity", "author").prefetch_related("evidence__uploaded_by")
               .order_by("activity__code", "period"))
    lines, files, problems, written = [], 0, [], set()
    for update in updates:
        evidence = []
        for ev in update.evidence.all():
            path = f"evidence/{ev.sha256}-{_safe_name(ev.name)}"
            if path not in written:
                try:
                    source = ev.file.storage.open(ev.file.name, "rb")
                except OSError:
                    # Said in the pack rather than hidden: a missing file is itself a finding.
                    problems.append(_("%(path)s: the stored file is missing") % {"path": path})
                    path = None
                else:
                    with source, pack.stream(path) as write:
                        while chunk := source.read(CHUNK):
                            write(chunk)
                    written.add(path)
                    files += 1
                    if pack.digests[path] != ev.sha256:
                        problems.append(_("%(path)s: the stored file's SHA-256 is %(now)s, not the %(then)s "
                                          "recorded at upload") % {"path": path, "now": pack.digests[path],
                                                                   "then": ev.sha256})
            evidence.append({"id": ev.pk, "audit": _trail(ev), "name": ev.name, "type": ev.content_type,
                             "size": ev.size, "sha256": ev.sha256, "path": path,
                             "uploaded_by": _who(ev.uploaded_by), "uploaded_at": ev.uploaded_at})
        lines.append(json.dumps({
            "id": update.pk, "audit": _trail(update),
            "activity": {"id": update.activity_id, "code": update.activity.code, "title": update.activity.title},
            "period": update.period, "status": update.status, "narrative": update.narrative, "spent": update.spent,
            "author": _who(update.author), "created_at": update.created_at, "edit_version": update.version,
            "evidence": evidence,
        }, default=_plain, ensure_ascii=False, sort_keys=True))
    pack.add("progress.jsonl", "".join(line + "\n" for line in lines).encode("utf-8"))
    return len(lines), files, problems


def _write_events(pack: _Zip, city_id: int, head_seq: int) -> tuple[int, int]:
    """The city's own chain from #1 to the head, each event with its payload (or the note that it was erased)."""
    total = erased = 0
    with pack.stream("audit/events.jsonl") as write:
        last = 0
        while last < head_seq:
            page = list(AuditEvent.objects.filter(chain=chain_of(city_id), seq__gt=last, seq__lte=head_seq)
                        .select_related("payload").order_by("seq")[:EVENTS_PAGE])
            if not page:
                break
            for event in page:
                payload = getattr(event, "payload", None)
                line = {**event.hashed_fields(), "hash": event.hash,
                        "payload": payload.body if payload is not None else None}
                if payload is not None and payload.erased_by is not None:
                    line["erased_by"] = payload.erased_by
                    erased += 1
                write((canonical_json(line) + "\n").encode("utf-8"))
                total += 1
            last = page[-1].seq
    return total, erased


def write(user, plan: Plan, out) -> None:
    """Write the pack for `plan` into the seekable binary file `out`. Only those who may read the audit log may."""
    require(user, Action.VIEW_AUDIT, plan.city)
    plan = (Plan.objects.select_related("city", "framework").prefetch_related("framework__pillars")
            .get(pk=plan.pk))
    generated_at = timezone.now()
    pack = _Zip(out, generated_at)

    pack.add("plan.json", _json(_plan_json(plan)))
    versions = list(plan.versions.select_related("review", "adopted_by").order_by("number"))
    for version in versions:
        pack.add(f"versions/v{version.number}.json", _json(_version_json(version)))
    updates, files, problems = _write_progress(pack, plan)
    reviews = list(plan.reviews.select_related("opened_by", "resulting_version").order_by("opened_at", "pk"))
    pack.add("reviews.json", _json([_review_json(r) for r in reviews]))
    indicators = (plan.indicators.select_related("objective", "activity", "mapping_indicator")
                  .prefetch_related("targets", "actuals__entered_by").order_by("order", "code"))
    pack.add("indicators.json", _json([_indicator_json(i) for i in indicators]))

    # The head is taken after the data files were read, so every change they show has its event in the chain.
    head = AuditHead.objects.filter(chain=chain_of(plan.city_id)).first()
    head_seq, head_hash = (head.seq, head.hash) if head is not None and head.seq else (0, GENESIS_HASH)
    total, erased = _write_events(pack, plan.city_id, head_seq)
    status = verify_chain(city=plan.city_id)
    summary = {
        "head": {"seq": head_seq, "hash": head_hash},
        "chain_status": {"ok": status.ok, "length": status.length, "head_hash": status.head_hash,
                         "broken_seq": status.broken_seq, "problem": status.problem, "erased": status.erased},
        "generated_at": generated_at, "generated_by": _who(user),
        "city": {"id": plan.city_id, "slug": plan.city.slug, "name": plan.city.name},
        "plan": {"id": plan.pk, "title": plan.title},
        "events": {"total": total, "erased": erased},
        "evidence_problems": problems,
    }
    pack.add("audit/head.json", _json(summary))
    # Kept by the auditor: `tamasuk audit verify --checkpoint audit/checkpoint.json` on the installation later
    # shows whether the chain was cut or rewritten since.
    pack.add("audit/checkpoint.json", checkpoints.dumps(checkpoints.make([status])).encode("utf-8"))
    pack.add("README.md", render_to_string("plans/evidence_pack_readme.md", {
        **summary, "plan_title": " ".join(plan.title.split()), "versions": [v.number for v in versions],
        "updates": updates, "files": files, "reviews": len(reviews), "genesis": GENESIS_HASH,
        "erase_action": ERASE_ACTION,
    }).encode("utf-8"))
    pack.close()


def build(user, plan: Plan) -> bytes:
    """The pack as bytes (tests, small plans). Pages stream `write` from a spooled file instead."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as out:
        write(user, plan, out)
        out.seek(0)
        return out.read()


def file_name(plan: Plan) -> str:
    return f"{plan.city.slug}-plan-{plan.pk}-evidence-pack-{timezone.now():%Y%m%d}.zip"
