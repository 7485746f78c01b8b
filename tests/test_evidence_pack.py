"""External audit: the evidence pack checked by an outside verifier, and the auditor who reads all and writes nothing.

The verifier below is what an auditor would write from the pack's README: hashlib, json and zipfile only,
nothing imported from tamasuk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse

from tamasuk.audit.models import AuditEvent, AuditHead
from tamasuk.cities.models import City
from tamasuk.plans import evidence_pack, services
from tamasuk.plans.models import Plan
from test_permission_matrix import MATRIX, refs  # noqa: F401 - refs is a fixture used through getfixturevalue

# ---- the independent verifier ----

GENESIS = "0" * 64
HASHED = {"seq", "time", "actor", "city", "action", "object_type", "object_id", "payload_digest", "prev_hash"}


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def manifest_problems(pack: zipfile.ZipFile) -> list[str]:
    listed = {}
    for line in pack.read("MANIFEST.sha256").decode("utf-8").splitlines():
        digest, path = line.split("  ", 1)
        listed[path] = digest
    present = set(pack.namelist()) - {"MANIFEST.sha256"}
    problems = [f"not in the manifest: {p}" for p in sorted(present - set(listed))]
    problems += [f"missing: {p}" for p in sorted(set(listed) - present)]
    problems += [f"altered: {p}" for p, digest in listed.items()
                 if p in present and hashlib.sha256(pack.read(p)).hexdigest() != digest]
    return problems


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_problem(pack: zipfile.ZipFile) -> tuple[int, str] | None:
    """The first broken event (its seq and what is wrong), or None when the chain holds up to the head.

    A payload that does not match its digest is fine only when a later erasure event lists it."""
    head = json.loads(pack.read("audit/head.json"))["head"]
    prev, n, erasures, erased = GENESIS, 0, {}, {}
    for line in pack.read("audit/events.jsonl").decode("utf-8").splitlines():
        event = json.loads(line)
        n += 1
        if event["seq"] != n:
            return n, "missing"
        if event["prev_hash"] != prev:
            return n, "link"
        if set(event) - {"erased_by"} != HASHED | {"hash", "payload"}:
            return n, "fields"
        if sha(canonical({k: event[k] for k in HASHED})) != event["hash"]:
            return n, "altered"
        if sha(event["payload"]) != event["payload_digest"]:
            erased[n] = event.get("erased_by")
        elif event["action"] == "audit.erase":
            erasures[n] = json.loads(event["payload"])["after"]["erased"]
        prev = event["hash"]
    for seq, by in sorted(erased.items()):
        if seq not in erasures.get(by, []):
            return seq, "payload"
    if (n, prev) != (head["seq"], head["hash"]):
        return n + 1, "head"
    return None


def events(pack: zipfile.ZipFile) -> list[dict]:
    return [json.loads(line) for line in pack.read("audit/events.jsonl").decode("utf-8").splitlines()]


def rewritten(pack: zipfile.ZipFile, path: str, data: bytes) -> zipfile.ZipFile:
    """The same pack with one file replaced, as someone editing the zip would leave it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in pack.namelist():
            z.writestr(name, data if name == path else pack.read(name))
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


# ---- a plan with a history ----

CSV = b"date,attended\n2024-02-01,14\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def media(settings, tmp_path):
    """Evidence files of a pack test in a folder of its own (the page tests keep the session's, where the demo's
    evidence is)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def audited(db, city, users):
    """A plan adopted, run for two quarters with evidence and actuals, then reviewed into version 2."""
    coordinator, member = users["coordinator"], users["member"]
    framework = services.create_framework(actor="test", country="KEN", name="NAP audit test", start_year=2024,
                                          end_year=2028, pillars=[("N1", "Prevention"), ("N2", "Policing")])
    member_org = member.organisations.get()
    other_org = city.organisations.exclude(pk=member_org.pk).first()
    plan = services.create_plan(actor=coordinator, city=city, title="Audited plan", start_year=2024, end_year=2026,
                                framework=framework, currency="KES", visibility="national")
    pillar = services.add_pillar(actor=coordinator, plan=plan, code="1", title="Youth")
    objective = services.add_objective(actor=coordinator, pillar=pillar, code="1.1", title="Youth jobs")
    mine = services.add_activity(actor=coordinator, objective=objective, code="1.1.1", title="Mentoring",
                                 lead=member_org, start=dt.date(2024, 1, 1), end=dt.date(2025, 12, 31),
                                 budget=Decimal("100000"), national_pillars=list(framework.pillars.filter(code="N1")))
    theirs = services.add_activity(actor=coordinator, objective=objective, code="1.1.2", title="Amnesty",
                                   lead=other_org, start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30))
    indicator = services.add_indicator(actor=coordinator, plan=plan, activity=mine, code="I1",
                                       name="Young people mentored", unit="people", counts_people=True,
                                       baseline_value=Decimal(0), baseline_date=dt.date(2023, 12, 31),
                                       targets={2024: 50, 2025: 120}, disaggregation=["sex"])
    overall = services.add_indicator(actor=coordinator, plan=plan, code="I0", name="Trust in police", unit="%",
                                     kind="outcome", targets={2026: 60})
    services.adopt_plan(actor=coordinator, plan=plan)
    q1 = services.record_progress(actor=member, activity=mine, period="2024-Q1", status="on_track",
                                  narrative="Started with 14 mentees", spent=Decimal("20000"),
                                  evidence=[services.EvidenceInput(name="attendance.csv", data=CSV),
                                            services.EvidenceInput(name="صورة الجلسة.png", data=PNG)])
    # The same sheet again next quarter: one file in the pack, listed under both updates.
    services.record_progress(actor=member, activity=mine, period="2024-Q2", status="at_risk",
                             narrative="Fewer mentors", evidence=[services.EvidenceInput(name="attendance.csv",
                                                                                         data=CSV)])
    services.record_progress(actor=coordinator, activity=theirs, period="2024-Q2", status="late",
                             narrative="Waiting for the county")
    services.record_actuals(actor=coordinator, indicator=indicator, year=2024,
                            values=[services.ActualInput(Decimal(30)), services.ActualInput(Decimal(16), sex="f"),
                                    services.ActualInput(Decimal(14), sex="m")])
    plan.refresh_from_db()
    review = services.open_review(actor=coordinator, plan=plan, title="Review 2024", period="2024")
    mine.refresh_from_db()
    services.update_item(actor=coordinator, item=mine, expected_version=mine.version, budget=Decimal("150000"))
    services.update_review(actor=coordinator, review=review, findings="Mentoring works",
                           decisions="Scale up mentoring.")
    services.adopt_review(actor=coordinator, review=review)
    plan.refresh_from_db()
    return {"plan": plan, "mine": mine, "theirs": theirs, "indicator": indicator, "overall": overall,
            "review": review, "evidence": q1.evidence.get(name="attendance.csv")}


@pytest.fixture
def saida_event(db, users):
    """Something another city did, which must not show in Mombasa's pack."""
    from tamasuk.plans import services as plan_services

    saida = City.objects.get(slug="saida")
    plan = plan_services.create_plan(actor=users["peer"], city=saida, title="Saida confidential plan",
                                     start_year=2024, end_year=2026, currency="LBP")
    return AuditEvent.objects.get(object_type="plans.plan", object_id=str(plan.pk))


def test_the_pack_verifies_independently(media, audited, saida_event, users, city):
    plan = audited["plan"]
    pack = zipfile.ZipFile(io.BytesIO(evidence_pack.build(users["auditor"], plan)))

    assert manifest_problems(pack) == []
    assert chain_problem(pack) is None
    head = json.loads(pack.read("audit/head.json"))
    db_head = AuditHead.objects.get(chain=city.pk)
    assert head["head"] == {"seq": db_head.seq, "hash": db_head.hash}
    assert head["chain_status"]["ok"] is True and head["generated_by"] == "auditor"
    assert head["chain_status"]["erased"] == 0

    # The city's own chain, whole: the whole trail and not only the plan's.
    full = events(pack)
    assert {e["city"] for e in full} == {city.pk}
    assert len(full) == AuditEvent.objects.filter(chain=city.pk).count() == db_head.seq
    assert {"plan.create", "plan.evidence.add", "plan.review.adopt", "plan.actuals.record"} <= \
        {e["action"] for e in full}
    assert any(not e["action"].startswith(("plan.", "framework.")) for e in full)


def test_another_citys_events_are_not_in_the_pack(media, audited, saida_event, users):
    """Each city has a chain of its own: another city's events are neither shown nor needed to verify."""
    pack = zipfile.ZipFile(io.BytesIO(evidence_pack.build(users["auditor"], audited["plan"])))
    assert saida_event.hash not in {e["hash"] for e in events(pack)}
    for name in pack.namelist():
        assert b"Saida confidential plan" not in pack.read(name), name


def test_evidence_files_match_what_progress_says(media, audited, users):
    pack = zipfile.ZipFile(io.BytesIO(evidence_pack.build(users["auditor"], audited["plan"])))
    updates = [json.loads(line) for line in pack.read("progress.jsonl").decode("utf-8").splitlines()]
    assert [(u["activity"]["code"], u["period"], u["status"]) for u in updates] == [
        ("1.1.1", "2024-Q1", "on_track"), ("1.1.1", "2024-Q2", "at_risk"), ("1.1.2", "2024-Q2", "late")]
    listed = [e for u in updates for e in u["evidence"]]
    assert sorted(e["name"] for e in listed) == ["attendance.csv", "attendance.csv", "صورة الجلسة.png"]
    for item in listed:
        data = pack.read(item["path"])
        assert hashlib.sha256(data).hexdigest() == item["sha256"] and len(data) == item["size"]
        assert item["path"].startswith(f"evidence/{item['sha256']}-")
    assert {e["path"] for e in listed} == {n for n in pack.namelist() if n.startswith("evidence/")}
    assert hashlib.sha256(CSV).hexdigest() in {e["sha256"] for e in listed}
    # The hash the pack lists is the one the chain recorded when the file was uploaded.
    uploaded = {json.loads(e["payload"])["after"]["sha256"] for e in events(pack)
                if e.get("action") == "plan.evidence.add"}
    assert {e["sha256"] for e in listed} <= uploaded
    assert json.loads(pack.read("audit/head.json"))["evidence_problems"] == []


def test_versions_reviews_and_indicators_are_in_the_pack(media, audited, users):
    pack = zipfile.ZipFile(io.BytesIO(evidence_pack.build(users["auditor"], audited["plan"])))
    v1, v2 = json.loads(pack.read("versions/v1.json")), json.loads(pack.read("versions/v2.json"))
    assert v2["reason"] == "Scale up mentoring." and v2["review"]["title"] == "Review 2024"
    assert v1["review"] is None and v1["adopted_by"] == "coordinator"
    budget = [a["budget"] for v in (v1, v2) for p in v["snapshot"]["structure"]["pillars"]
              for o in p["objectives"] for a in o["activities"] if a["code"] == "1.1.1"]
    assert budget == ["100000", "150000"]
    reviews = json.loads(pack.read("reviews.json"))
    assert [(r["title"], r["status"], r["resulting_version"]) for r in reviews] == [("Review 2024", "adopted", 2)]
    indicators = {i["code"]: i for i in json.loads(pack.read("indicators.json"))}
    assert indicators["I1"]["targets"] == {"2024": "50", "2025": "120"}
    assert sorted((a["year"], a["sex"], a["value"]) for a in indicators["I1"]["actuals"]) == [
        (2024, "", "30"), (2024, "f", "16"), (2024, "m", "14")]
    plan_json = json.loads(pack.read("plan.json"))
    assert plan_json["status"] == "revised" and plan_json["national_framework"]["name"] == "NAP audit test"
    # Each record names its trail in the chain.
    trail = plan_json["audit"]
    assert any(e.get("object_type") == trail["object_type"] and e.get("object_id") == trail["object_id"]
               and e["action"] == "plan.create" for e in events(pack))


def test_tampering_with_one_event_is_caught_at_that_event(media, audited, users, city):
    pack = zipfile.ZipFile(io.BytesIO(evidence_pack.build(users["auditor"], audited["plan"])))
    lines = pack.read("audit/events.jsonl").decode("utf-8").splitlines()
    target = AuditEvent.objects.get(action="plan.review.adopt", object_id=str(audited["review"].pk))
    event = json.loads(lines[target.seq - 1])
    event["payload"] = event["payload"].replace("Scale up mentoring.", "Cut mentoring.")
    assert event["payload"] != target.payload.body

    def forged(line: str) -> zipfile.ZipFile:
        changed = lines.copy()
        changed[target.seq - 1] = line
        return rewritten(pack, "audit/events.jsonl", ("\n".join(changed) + "\n").encode("utf-8"))

    # The payload no longer matches its digest, and no erasure lists it.
    assert chain_problem(forged(canonical(event))) == (target.seq, "payload")
    assert manifest_problems(forged(canonical(event))) == ["altered: audit/events.jsonl"]
    # Claiming it was erased does not help: the erasure it names must list it.
    assert chain_problem(forged(canonical({**event, "erased_by": target.seq + 1}))) == (target.seq, "payload")
    # Recomputing the digest changes the hashed fields: the event's hash no longer holds.
    event["payload_digest"] = sha(event["payload"])
    assert chain_problem(forged(canonical(event))) == (target.seq, "altered")
    # Recomputing the event's hash as well only moves the break to the next link.
    event["hash"] = sha(canonical({k: event[k] for k in HASHED}))
    assert chain_problem(forged(canonical(event))) == (target.seq + 1, "link")

    # Dropping the event leaves a gap.
    cut = lines[: target.seq - 1] + lines[target.seq:]
    assert chain_problem(rewritten(pack, "audit/events.jsonl", ("\n".join(cut) + "\n").encode()))[0] == target.seq


def test_the_readme_example_verifies_the_pack_and_catches_a_forgery(media, audited, users, tmp_path):
    """What the README tells an auditor to run works as written, on this pack."""
    data = evidence_pack.build(users["auditor"], audited["plan"])
    pack = zipfile.ZipFile(io.BytesIO(data))
    readme = pack.read("README.md").decode("utf-8")
    assert "sort_keys=True" in readme and 'separators=(",", ":")' in readme and "ensure_ascii=False" in readme
    for field in HASHED:
        assert f"`{field}`" in readme
    script = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    assert len(script.strip().splitlines()) <= 22

    good = tmp_path / "good"
    pack.extractall(good)
    run = subprocess.run([sys.executable, "-c", script], cwd=good, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    head_seq = json.loads(pack.read("audit/head.json"))["head"]["seq"]
    assert f"audit chain intact, 0 payloads erased by request: {head_seq} events" in run.stdout

    lines = pack.read("audit/events.jsonl").decode("utf-8").splitlines()
    seq = next(e["seq"] for e in map(json.loads, lines) if e.get("action") == "plan.evidence.add")
    event = json.loads(lines[seq - 1])
    event["actor"] = "someone else"
    lines[seq - 1] = canonical(event)
    bad = tmp_path / "bad"
    rewritten(pack, "audit/events.jsonl", ("\n".join(lines) + "\n").encode("utf-8")).extractall(bad)
    run = subprocess.run([sys.executable, "-c", script], cwd=bad, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and f"event #{seq} was altered" in run.stderr


def test_a_missing_evidence_file_is_reported_in_the_pack(media, audited, users):
    stored = audited["evidence"]
    stored.file.storage.delete(stored.file.name)
    pack = zipfile.ZipFile(io.BytesIO(evidence_pack.build(users["auditor"], audited["plan"])))
    problems = json.loads(pack.read("audit/head.json"))["evidence_problems"]
    # The same sheet was uploaded twice and is stored once: both records that use it report it missing.
    same = type(stored).objects.filter(sha256=stored.sha256).count()
    assert same == 2 and len(problems) == same
    assert all(stored.sha256 in p and "missing" in p for p in problems)
    assert manifest_problems(pack) == []
    assert "missing" in pack.read("README.md").decode("utf-8")


def test_an_evidence_file_changed_in_storage_is_caught(media, audited, users):
    stored = audited["evidence"]
    with open(stored.file.path, "wb") as f:
        f.write(b"date,attended\n2024-02-01,41\n")
    pack = zipfile.ZipFile(io.BytesIO(evidence_pack.build(users["auditor"], audited["plan"])))
    updates = [json.loads(line) for line in pack.read("progress.jsonl").decode("utf-8").splitlines()]
    listed = next(e for u in updates for e in u["evidence"] if e["id"] == stored.pk)
    assert hashlib.sha256(pack.read(listed["path"])).hexdigest() != listed["sha256"] == stored.sha256
    assert any(stored.sha256 in p for p in json.loads(pack.read("audit/head.json"))["evidence_problems"])


def test_only_those_who_read_the_audit_log_may_build_a_pack(media, audited, users):
    from django.core.exceptions import PermissionDenied

    for role in ["coordinator", "analyst", "member", "auditor_expired", "national"]:
        with pytest.raises(PermissionDenied):
            evidence_pack.build(users[role], audited["plan"])


# ---- the auditor's pages ----

def test_the_auditor_downloads_the_pack(media, audited, client_for, monkeypatch):
    plan = audited["plan"]
    url = reverse("plans:evidence_pack", args=[plan.city.slug, plan.pk])
    # A pack larger than the spool limit goes through a file on disk: served the same.
    monkeypatch.setattr(evidence_pack, "SPOOL_BYTES", 1024)
    response = client_for("auditor").get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"] and ".zip" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(data) > 1024
    pack = zipfile.ZipFile(io.BytesIO(data))
    assert manifest_problems(pack) == [] and chain_problem(pack) is None
    assert client_for("auditor_expired").get(url).status_code == 404  # the city is no longer theirs to see
    assert client_for("coordinator").get(url).status_code == 403


def _refs(request, audited, users) -> dict:
    """The permission matrix's refs once the demo has its plan; until then, the same names on this test's plan."""
    if Plan.objects.filter(city=audited["plan"].city).exclude(pk=audited["plan"].pk).exists():
        return request.getfixturevalue("refs")
    return {"plan": audited["plan"].pk, "member_activity": audited["mine"].pk,
            "plan_indicator": audited["overall"].pk, "member_evidence": audited["evidence"].pk}


def _plans_urls(ids: dict) -> dict[str, tuple[str, str]]:
    names = sorted(n for n in MATRIX if n.startswith("plans:"))
    return {n: (MATRIX[n][0], reverse(n, kwargs={k: ids.get(v, v) for k, v in MATRIX[n][1].items()}))
            for n in names}


def test_the_auditor_reads_every_plan_page_and_the_evidence(request, audited, users, client_for):
    urls = _plans_urls(_refs(request, audited, users))
    auditor = client_for("auditor")
    # Reading pages are those a reader who may edit nothing (the analyst) opens; the auditor opens all of them.
    reading = [n for n, (method, _) in urls.items()
               if method == "get" and (MATRIX[n][2]["analyst"] == 200 or MATRIX[n][2]["auditor"] == 200)]
    assert {"plans:plans", "plans:plan", "plans:activity", "plans:evidence", "plans:evidence_pack"} <= set(reading)
    for name in reading:
        assert auditor.get(urls[name][1]).status_code == 200, name
    evidence = audited["evidence"]
    response = auditor.get(reverse("plans:evidence", args=[evidence.update.city.slug, evidence.pk]))
    assert b"".join(response.streaming_content) == CSV


class _PostForms(HTMLParser):
    """The POST forms of a page with the values a writer would send (blank fields filled in)."""

    FILL = {"number": "1", "date": "2025-01-15", "email": "probe@example.org", "hidden": ""}
    # The current quarter: the demo reports every quarter up to the last completed one, and a probe naming one
    # of those would (rightly) be shown the existing report as a conflict instead of writing.
    FILL_BY_NAME = {"period": f"{dt.date.today().year}-Q{(dt.date.today().month - 1) // 3 + 1}"}

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            post = (a.get("method") or "get").lower() == "post"
            self._form = {"action": a.get("action", ""), "data": {}} if post else None
            if post:
                self.forms.append(self._form)
            return
        if self._form is None:
            return
        data = self._form["data"]
        if tag == "option" and self._select:
            value = a.get("value", "")
            if "selected" in a or (value and self._select not in data):
                data[self._select] = value
            return
        name = a.get("name")
        if not name:
            return
        kind = (a.get("type") or "text").lower()
        if tag == "input" and kind == "file":
            data[name] = "<file>"
        elif tag == "input" and kind in ("checkbox", "radio"):
            if "checked" in a:
                data[name] = a.get("value") or "on"
        elif tag == "input" and kind not in ("submit", "button", "reset", "image"):
            data[name] = (a.get("value") or self.FILL_BY_NAME.get(name) or a.get("min")
                          or self.FILL.get(kind, "Audit probe"))
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self._textarea = name
            data[name] = ""
        elif tag == "button":
            data[name] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["data"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            if self._form is not None and not self._form["data"][self._textarea].strip():
                self._form["data"][self._textarea] = "Audit probe"
            self._textarea = None


def _with_files(data: dict) -> dict:
    """A fresh upload per request: the test client reads a file to its end when it sends it."""
    return {k: SimpleUploadedFile("probe.csv", CSV, content_type="text/csv") if v == "<file>" else v
            for k, v in data.items()}


def _write_probes(client, urls) -> list[tuple[str, dict]]:
    """Every POST form on the plan pages as the coordinator sees them, targeting a plans URL."""
    probes = []
    for method, url in urls.values():
        if method != "get":
            continue
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode("utf-8")
        forms = _PostForms()
        forms.feed(html)
        for form in forms.forms:
            target = urljoin(url, form["action"]).split("#")[0]
            if resolve(target.split("?")[0]).namespace == "plans":
                probes.append((target, form["data"]))
    return probes


def test_the_auditor_writes_nothing(request, audited, users, client_for):
    urls = _plans_urls(_refs(request, audited, users))
    probes = _write_probes(client_for("coordinator"), urls)
    assert any("/progress/" in target for target, _ in probes), "the progress form is among the probes"
    auditor = client_for("auditor")
    head = AuditEvent.objects.count()
    for target, data in probes:
        response = auditor.post(target, _with_files(data))
        assert response.status_code == 403, f"auditor POST {target}: {response.status_code}"
    for name, (_, url) in urls.items():
        response = auditor.post(url, {})
        # Pages that only show things answer a POST as a GET; none may act on it.
        assert response.status_code in (200, 403, 405), f"auditor POST {name}: {response.status_code}"
        if MATRIX[name][0] == "post":
            assert response.status_code == 403, name
    assert AuditEvent.objects.count() == head, "an auditor's request changed something"
    # The probes are real writes: sent by the coordinator, they change the plan.
    coordinator, wrote = client_for("coordinator"), set()
    for target, data in probes:
        before = AuditEvent.objects.count()
        coordinator.post(target, _with_files(data))
        if AuditEvent.objects.count() > before:
            wrote.add(resolve(target.split("?")[0]).url_name)
    assert {"edit_plan", "record_progress"} <= wrote, wrote


def test_an_expired_auditor_gets_nothing(request, audited, users, client_for):
    urls = _plans_urls(_refs(request, audited, users))
    expired = client_for("auditor_expired")
    head = AuditEvent.objects.count()
    for name, (method, url) in urls.items():
        # A form's target may refuse a GET before asking who it is (405): nothing is shown either way.
        # The city is no longer theirs to see: its pages answer as for a city that does not exist (404); the
        # national pages, 403.
        refused = 404 if "slug" in MATRIX[name][1] else 403
        assert expired.get(url).status_code in ((refused,) if method == "get" else (refused, 405)), name
        assert expired.post(url, {}).status_code in (refused, 405), name
    assert expired.get(reverse("audit:audit", args=["mombasa"])).status_code == 404
    assert AuditEvent.objects.count() == head


def test_the_audit_log_shows_one_plan_records_trail(audited, client_for):
    mine, theirs = audited["mine"], audited["theirs"]
    html = client_for("auditor").get(reverse("audit:audit", args=["mombasa"]),
                                     {"object_type": "plans.activity", "object_id": str(mine.pk)}).content.decode()
    assert "Chain intact, 0 payloads erased by request" in html
    assert f"plans.activity:{mine.pk}<" in html and f"plans.activity:{theirs.pk}<" not in html
    assert "plan.activity.create" in html and "plan.activity.update" in html
    assert "plan.pillar.create" not in html
    assert '<option value="plans.activity" selected>' in html
