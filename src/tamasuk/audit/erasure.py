"""Who holds people's contact details, for an erasure request (forgetting a person).

The audit log erases its own payloads; the records that hold contact details belong to the apps above it (the
directory's focal points and services' contacts, kept report renders) and the accounts' place in a city to
cities. Each app registers an :class:`Eraser` here from its AppConfig.ready(), so that the log finds and blanks
those records without importing the apps (it sits below all of them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

PHONE_DIGITS = 6  # fewer digits than this is not a phone number worth matching


def digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


@dataclass
class Person:
    """What is known of the person being forgotten. A record found by one detail brings the record's other
    details along (they are the same person's): :meth:`learn` adds them, and the next erasers look for them too."""

    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)  # every detail as written, to find in audit payloads

    def matches(self, value: str, *, by_name: bool = True) -> bool:
        """Whether a field's value is one of the person's details (a name only when ``by_name``)."""
        value = (value or "").strip()
        if not value:
            return False
        if value.lower() in self.emails or (by_name and value.lower() in self.names):
            return True
        found = digits(value)
        return len(found) >= PHONE_DIGITS and found in self.phones

    def learn(self, values) -> None:
        """Details found on the person's records: their emails and phone numbers are looked for from now on."""
        self.values |= {v for v in values if v}
        self.emails |= {v.lower() for v in self.values if "@" in v}
        self.phones |= {digits(v) for v in self.values if len(digits(v)) >= PHONE_DIGITS}


@dataclass(frozen=True)
class Holding:
    """One record holding some of the person's details: the fields an erasure blanks.

    ``label`` is how the forget_person command names it ("organisation #3 Amani"), ``preview`` the line the
    erasure page shows (see :func:`preview`)."""

    obj: object
    fields: list[str]
    label: str
    preview: SafeString

    @property
    def object_type(self) -> str:
        return self.obj._meta.label_lower

    def blank(self) -> None:
        type(self.obj)._default_manager.filter(pk=self.obj.pk).update(**{f: "" for f in self.fields})


def preview(text: str, **values) -> SafeString:
    """A translated line with its values escaped, as ``{% blocktrans with … %}`` renders it."""
    return mark_safe(text % {k: conditional_escape(v) for k, v in values.items()})  # the values are escaped above


class Eraser:
    """What one app holds of people in a city. Override what applies; the defaults hold nothing."""

    def has_account(self, user, city) -> bool:
        """Whether the account has a place in the city through this app (a role, an organisation): an account
        with none is not the city's to erase."""
        return False

    def find(self, city, person: Person) -> list[Holding]:
        """The city's records of this app holding the person's details."""
        return []

    def forget(self, city) -> None:
        """After an erasure that found something: drop what may still print what was blanked (kept renders)."""


_erasers: dict[type, Eraser] = {}


def register(eraser: Eraser) -> None:
    """Called from an AppConfig.ready(); registering the same kind of eraser again replaces it."""
    _erasers[type(eraser)] = eraser


def erasers() -> list[Eraser]:
    """In the order they were registered (the apps' order in INSTALLED_APPS)."""
    return list(_erasers.values())
