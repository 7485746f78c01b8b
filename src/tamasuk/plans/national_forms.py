"""Forms for entering a country's National Action Plan and its pillars."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import NationalPillar


def _pillar_line(n: int, line: str) -> tuple[str, str]:
    parts = re.split(r"\s+", line.strip(), maxsplit=1)
    if len(parts) < 2:
        raise ValidationError(_("Line %(n)s: write the pillar's code, a space, then its title, e.g. “P1 "
                                "Prevention”.") % {"n": n})
    code, title = parts[0].rstrip(".:"), parts[1].strip()
    max_code = NationalPillar._meta.get_field("code").max_length
    max_title = NationalPillar._meta.get_field("title").max_length
    if len(code) > max_code:
        raise ValidationError(_("Line %(n)s: the code “%(code)s” is longer than %(max)s characters.")
                              % {"n": n, "code": code, "max": max_code})
    if len(title) > max_title:
        raise ValidationError(_("Line %(n)s: the title is longer than %(max)s characters.")
                              % {"n": n, "max": max_title})
    return code, title


class FrameworkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200,
                           help_text=_("As the government publishes it, e.g. “National Strategy to Counter "
                                       "Violent Extremism”."))
    start_year = forms.IntegerField(label=_("First year"), min_value=1990, max_value=2100)
    end_year = forms.IntegerField(label=_("Last year"), min_value=1990, max_value=2100)
    pillars = forms.CharField(
        label=_("Pillars"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One pillar a line: its code, a space, then its title, e.g. “P1 Prevention”. You can add "
                    "more later."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        year = timezone.localdate().year
        self.fields["start_year"].initial = year
        self.fields["end_year"].initial = year + 4

    def clean_pillars(self) -> list[tuple[str, str]]:
        lines = [(n, line) for n, line in enumerate(self.cleaned_data["pillars"].splitlines(), start=1)
                 if line.strip()]
        pillars, seen = [], {}
        for n, line in lines:
            code, title = _pillar_line(n, line)
            if code in seen:
                raise ValidationError(_("Line %(n)s repeats the code “%(code)s” of line %(first)s.")
                                      % {"n": n, "code": code, "first": seen[code]})
            seen[code] = n
            pillars.append((code, title))
        return pillars

    def clean(self):
        data = super().clean()
        if data.get("start_year") and data.get("end_year") and data["end_year"] < data["start_year"]:
            self.add_error("end_year", _("The last year comes before the first year."))
        return data


class PillarForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("e.g. P4"))
    title = forms.CharField(label=_("Title"), max_length=300)


class RenamePillarForm(forms.Form):
    pillar = forms.IntegerField(widget=forms.HiddenInput)
    seen = forms.CharField(widget=forms.HiddenInput, max_length=300)
    title = forms.CharField(label=_("Title"), max_length=300)
