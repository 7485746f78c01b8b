"""Checkpoints: what the audit chains held at one moment (each chain's length and head hash), signed with the
installation's key, for auditors to keep outside the installation.

A chain verifies on its own only link by link: someone who can write to the database could remove the whole log
(or its tail) and reset the recorded head, or rewrite every event and re-hash the chain, and it would still read
as "intact". Against a checkpoint it does not: each chain must still hold at least as many events, and its event
at the checkpoint's length must still have the checkpoint's head hash. The signature (Django's signing with the
installation's secret key) shows the checkpoint came from this installation and was not edited; a checkpoint
made before a restore onto an installation with another secret key cannot be checked there.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.core import signing

from tamasuk.audit.models import AuditEvent
from tamasuk.audit.queries import ChainStatus, verify_all

SALT = "tamasuk.audit.checkpoint"


class CheckpointError(Exception):
    """A checkpoint that cannot be read or was not signed by this installation."""


@dataclass(frozen=True)
class Finding:
    chain: int
    ok: bool
    message: str


def make(statuses: list[ChainStatus] | None = None) -> dict:
    """A checkpoint of every chain as it is now: the readable part and the same, signed."""
    statuses = verify_all() if statuses is None else statuses
    body = {"made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "chains": [{"chain": s.chain, "length": s.length, "head": s.head_hash, "intact": s.ok}
                       for s in statuses]}
    return {**body, "signature": signing.dumps(body, salt=SALT, compress=True)}


def dumps(checkpoint: dict) -> str:
    return json.dumps(checkpoint, indent=2, sort_keys=True) + "\n"


def read(text: str) -> dict:
    """The signed content of a checkpoint file; what it shows in clear is ignored (it could have been edited)."""
    try:
        signature = json.loads(text)["signature"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError("this is not a Tamasuk audit checkpoint (a JSON file with a signature)") from exc
    try:
        return signing.loads(signature, salt=SALT)
    except signing.BadSignature as exc:
        raise CheckpointError("the checkpoint's signature does not match: it was altered, or made by another "
                              "installation (another secret key)") from exc


def check(checkpoint: dict, statuses: list[ChainStatus] | None = None) -> list[Finding]:
    """Each chain of the checkpoint against the chain now: still intact, at least as long, and the same event at
    the checkpoint's length."""
    now = {s.chain: s for s in (verify_all() if statuses is None else statuses)}
    findings = []
    for saved in checkpoint["chains"]:
        chain, length, head = saved["chain"], saved["length"], saved["head"]
        status = now.get(chain)
        if status is None:
            findings.append(Finding(chain, length == 0, f"the chain held {length} events at the checkpoint and "
                                                        "is gone now" if length else "empty then and now"))
            continue
        if not status.ok:
            findings.append(Finding(chain, False, f"the chain is broken now: {status.problem}"))
            continue
        if status.length < length:
            findings.append(Finding(chain, False, f"the chain was cut: {length} events at the checkpoint of "
                                                  f"{checkpoint['made_at']}, {status.length} now"))
            continue
        if length:
            event = AuditEvent.objects.filter(chain=chain, seq=length).values_list("hash", flat=True).first()
            if event != head:
                findings.append(Finding(chain, False, f"the chain was rewritten: event #{length} is not the one "
                                                      f"of the checkpoint of {checkpoint['made_at']}"))
                continue
        findings.append(Finding(chain, True, f"{length} events as at the checkpoint of {checkpoint['made_at']}, "
                                             f"{status.length - length} added since"))
    return findings
