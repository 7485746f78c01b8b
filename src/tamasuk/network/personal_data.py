"""The personal-data check of free text that leaves the city team (a moderated report, a progress narrative
the network reads): what looks like a phone number, an email address or a name of the city's people is
refused unless the writer confirms it is not personal data. Services call it before they write."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tamasuk.analysis.personal_data import EMAIL, NAME, PHONE, Finding, find_personal_data
from tamasuk.cities.models import City

from .directory.queries import people_names


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
    findings = find_personal_data(text or "", names=people_names(city) if names else ())
    if findings and not confirmed:
        raise PersonalDataFound(field, findings)
    return bool(findings)
