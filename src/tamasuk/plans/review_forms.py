"""Forms of review cycles: opening one, and writing its findings, recommendations and decisions."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import Review

TEXT_FIELDS = ["findings", "recommendations", "decisions"]


def _label(name: str) -> str:
    return capfirst(Review._meta.get_field(name).verbose_name)


def _help(name: str) -> str:
    return Review._meta.get_field(name).help_text


def _same_newlines(text: str) -> str:
    # Browsers send textarea lines as CRLF; stored text uses LF, so "did anyone change this" compares equal.
    return text.replace("\r\n", "\n").replace("\r", "\n")


class OpenReviewForm(forms.Form):
    # dir="auto": a title typed in Arabic reads right-to-left on an English page, and the reverse.
    title = forms.CharField(label=_label("title"), max_length=300, widget=forms.TextInput(attrs={"dir": "auto"}),
                            help_text=_("For example “Annual review 2025”."))
    period = forms.CharField(label=_label("period"), max_length=40, help_text=_help("period"))
    reviewers = forms.CharField(label=_label("reviewers"), max_length=500, required=False,
                                help_text=_help("reviewers"), widget=forms.TextInput(attrs={"dir": "auto"}))


class ReviewForm(forms.Form):
    """The review's texts, with the version the writer started from and the text they started from.

    The starting text tells, after someone else saved in between, which fields this writer actually changed:
    only those need merging by hand.
    """

    findings = forms.CharField(label=_label("findings"), required=False,
                               widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}))
    recommendations = forms.CharField(label=_label("recommendations"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}))
    decisions = forms.CharField(label=_label("decisions"), required=False, help_text=_help("decisions"),
                                widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}))
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    base_findings = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    base_recommendations = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    base_decisions = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    @classmethod
    def for_review(cls, review: Review, texts: dict | None = None, base: dict | None = None) -> ReviewForm:
        """An unbound form at the review's current version; `texts` fills the boxes, `base` is what they
        started from (both default to the saved texts)."""
        saved = {f: getattr(review, f) for f in TEXT_FIELDS}
        texts, base = texts or saved, base or saved
        return cls(initial={**{f: texts[f] for f in TEXT_FIELDS},
                            **{f"base_{f}": base[f] for f in TEXT_FIELDS}, "version": review.version})

    def clean(self):
        data = super().clean()
        for name in TEXT_FIELDS:
            data[name] = _same_newlines(data.get(name) or "").strip()
            data[f"base_{name}"] = _same_newlines(data.get(f"base_{name}") or "").strip()
        return data

    def texts(self) -> dict:
        return {f: self.cleaned_data[f] for f in TEXT_FIELDS}

    def base(self) -> dict:
        return {f: self.cleaned_data[f"base_{f}"] for f in TEXT_FIELDS}
