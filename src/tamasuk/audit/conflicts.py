"""Stale edits: one way, for every editable record, to refuse a save that would overwrite what someone else saved
after the editor opened the page, and to say who did.

The editor's page carries what it was opened on: a plan item its `version`; a record without a version column
the fingerprint of its saved state (`fingerprint`), which needs no migration and sees every change to what the
page edits, whoever or whatever made it (an import, an erasure, a correction of a meeting's decisions). The
service compares it with the row it has locked, in the transaction that writes (`check_opened`), so of two
simultaneous saves opened on the same state exactly one passes. Who changed it since comes from the audit log
(`last_change`).
"""

from __future__ import annotations

import hashlib
import json

from .queries import last_change


class StaleEdit(Exception):
    """Someone else saved the item after the writer opened it. Carries what they saved, so nothing is lost, and
    (for records checked by fingerprint) the `token` the page should carry now, so that saving again is a
    deliberate overwrite."""

    def __init__(self, item, current: dict, by: str = "", at=None, token: str = ""):
        super().__init__(f"{item} was changed by {by or 'someone else'}")
        self.item, self.current, self.by, self.at, self.token = item, current, by, at, token

    @classmethod
    def since_opened(cls, item, current: dict, *, action: str = "", among=(), token: str = "") -> StaleEdit:
        """The conflict as the audit log tells it: who saved the item last, and when. ``among``: other records
        saved as part of the item (a meeting's decisions), whose latest event may be the one that counts."""
        events = [e for e in (last_change(o, action=action) for o in (item, *among)) if e is not None]
        last = max(events, key=lambda e: (e.created_at, e.pk)) if events else None
        return cls(item, current, by=last.actor_label if last else "", at=last.created_at if last else None,
                   token=token)


def fingerprint(state) -> str:
    """A short fingerprint of a record's saved state (plain values: text, numbers, dates, lists, ids); every
    "what was this page opened on" token is one (records, a plan's structure, an indicator's year of actuals)."""
    text = json.dumps(state, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def check_opened(item, state: dict, opened: str | None, *, current: dict | None = None, among=()) -> None:
    """Raise StaleEdit when the page was opened on another state than ``state`` (the locked row's, read in the
    writing transaction). ``opened`` None: the writer opened nothing (an import, a command) and is not checked.
    ``current``: what the other person saved, as the page's fields name it (``state`` when not given)."""
    if opened is None:
        return
    token = fingerprint(state)
    if opened != token:
        raise StaleEdit.since_opened(item, state if current is None else current, among=among, token=token)
