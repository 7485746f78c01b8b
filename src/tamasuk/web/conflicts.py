"""A stale save on an editing page (audit.conflicts.StaleEdit): the form comes back with the editor's values kept,
what the other person saved beside them, and what it was opened on moved to what is saved now, so that saving
again is a deliberate choice. Used by every editing page (plan items, organisations, services, meetings,
indicators, themes)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

OPENED = "opened"


class OpenedField(forms.CharField):
    """The hidden field of an editing form holding what the page was opened on (audit.conflicts.fingerprint)."""

    def __init__(self, **kwargs):
        super().__init__(widget=forms.HiddenInput, required=False, **kwargs)


def require_opened(form, field: str = OPENED):
    """An editing form must say what it was opened on: without it a save could overwrite unseen."""
    form.fields[field].required = True
    form.fields[field].error_messages["required"] = _("This form is out of date: open it again.")
    return form


def _show(field, value) -> str:
    """A saved value as the form would show it: a name, not a database id."""
    if value in (None, "", []):
        return "—"
    queryset = getattr(field, "queryset", None)
    if queryset is not None:
        ids = value if isinstance(value, list) else [value]
        return ", ".join(str(o) for o in queryset.model.objects.filter(pk__in=ids)) or "—"
    choices = dict(getattr(field, "choices", []) or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(v, v)) for v in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(choices.get(value, value))


def show_conflict(form, stale, *, token, current: dict | None = None, field: str = OPENED) -> dict:
    """What the other person saved, field by field, beside what this user typed (for plans/_conflict.html). The
    form keeps the user's values and now carries ``token`` in ``field``."""
    rows = []
    current = stale.current if current is None else current
    for name, form_field in form.fields.items():
        if name == field or name not in current:
            continue
        theirs = _show(form_field, current[name])
        mine_raw = form.cleaned_data.get(name) if hasattr(form, "cleaned_data") else None
        if hasattr(mine_raw, "pk"):
            mine_raw = mine_raw.pk
        elif isinstance(mine_raw, list | tuple) or hasattr(mine_raw, "model"):
            mine_raw = [getattr(v, "pk", v) for v in mine_raw]
        mine = _show(form_field, mine_raw)
        if str(theirs) != str(mine):
            rows.append({"label": form_field.label, "theirs": theirs, "mine": mine})
    data = form.data.copy()
    data[form.add_prefix(field)] = str(token)
    form.data = data
    return {"by": stale.by, "at": stale.at, "rows": rows}
