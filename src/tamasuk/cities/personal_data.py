"""The personal-data check of free text that leaves the city team (a moderated report, a progress narrative
the network reads, meeting notes): what looks like a phone number, an email address or a name of the city's
people is refused unless the writer confirms it is not personal data. Services call it before they write.

The names of the city's people are held by the apps above cities (the directory's members, focal points and
contacts): each registers a source of names from its AppConfig.ready() (:func:`register_names`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tamasuk.analysis.personal_data import EMAIL, NAME, PHONE, Finding, find_personal_data

from .models import City

_name_sources: list[Callable[[City], Iterable[str]]] = []


def register_names(source: Callable[[City], Iterable[str]]) -> None:
    """Called from an AppConfig.ready(): a source of names that identify people of a city (never shown: the check
    reports only what the writer typed)."""
    if source not in _name_sources:
        _name_sources.append(source)


def _people_names(city: City) -> list[str]:
    """Every registered source's names of the city's people."""
    return sorted({n for source in _name_sources for n in source(city)})


def kind_label(kind: str) -> str:
    return {PHONE: _("Phone number"), EMAIL: _("Email address"),
            NAME: _("Name of a person in the city's network")}.get(kind, kind)


class PersonalDataFound(ValidationError):
    """The text looks like it holds personal data: the error lists each finding under the field."""

    def __init__(self, field: str, findings: list[Finding]):
        self.findings = findings
        lines = [_("This text will be shared beyond the city team and looks like it holds personal data. "
                   "Remove it, or tick “I checked: this is not personal data” if it is not.")]
        lines += [_("%(kind)s: “%(text)s”") % {"kind": kind_label(f.kind), "text": f.text} for f in findings]
        super().__init__({field: lines})


def check_text_to_share(*, city: City, field: str, text: str, confirmed: bool, names: bool = True) -> bool:
    """Raise :class:`PersonalDataFound` when ``text`` looks like it holds personal data and the writer has not
    confirmed it does not. True when the writer confirmed over findings (the audit event records the flag).
    ``names=False`` looks for phone numbers and emails only (meeting notes name the staff present by design)."""
    findings = find_personal_data(text or "", names=_people_names(city) if names else ())
    if findings and not confirmed:
        raise PersonalDataFound(field, findings)
    return bool(findings)
