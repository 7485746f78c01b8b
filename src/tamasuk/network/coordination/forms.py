"""Forms of the coordination forum: one meeting form with formsets for its decisions and action items."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tamasuk.web.conflicts import OpenedField
from tamasuk.web.widgets import CheckableList

from ..models import NOTE_VISIBILITIES, ActionStatus


class ForumForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200,
                           help_text=_("For example “Local Prevention Network” or “Health network”."))
    rhythm = forms.CharField(label=_("Meeting rhythm"), max_length=200, required=False,
                             help_text=_("For example “weekly on Tuesdays”."))
    description = forms.CharField(label=_("Purpose"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    members = forms.ModelMultipleChoiceField(label=_("Member organisations"), queryset=None, required=False,
                                             widget=CheckableList)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = organisations


class MeetingForm(forms.Form):
    opened = OpenedField()  # what a correction page was opened on: a correction over someone's since is refused
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    attendees = forms.ModelMultipleChoiceField(label=_("Organisations present"), queryset=None, required=False,
                                               widget=CheckableList)
    people_present = forms.IntegerField(label=_("People present"), min_value=0, required=False,
                                        help_text=_("A count only: never write down residents' names."))
    staff_present = forms.CharField(label=_("Staff present (optional)"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text=_("Names of staff of the organisations, if the forum wants them "
                                                "recorded. Never residents' names."))
    agenda = forms.CharField(label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    information = forms.CharField(label=_("Information shared"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(label=_("Who may read the notes"), choices=NOTE_VISIBILITIES,
                                   initial=NOTE_VISIBILITIES[0][0],
                                   help_text=_("City team only by default. Each organisation always sees the "
                                               "action items it owns."))

    # Offered once the notes were flagged: the writer confirms what the personal-data check found is harmless.
    confirmed_not_personal = forms.BooleanField(label=_("I checked: this is not personal data"), required=False,
                                                widget=forms.HiddenInput)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = organisations

    def ask_to_confirm(self):
        self.fields["confirmed_not_personal"].widget = forms.CheckboxInput()
        self.fields["date"].initial = timezone.localdate()


class RowForm(forms.Form):
    """A decision or action-item row. When a recorded meeting is corrected, `id` names the row it replaces and
    `remove` takes it out; a new meeting has neither."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    remove = forms.BooleanField(label=_("Remove it"), required=False)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not (editing and self.initial.get("id")):
            del self.fields["remove"]


class DecisionForm(RowForm):
    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 2}))
    profile = forms.ModelChoiceField(label=_("Priority profile it cites"), queryset=None, required=False,
                                     empty_label=_("— none —"))
    analysis_ref = forms.CharField(label=_("Coverage analysis it cites"), max_length=300, required=False,
                                   help_text=_("Its name or address, if the decision rests on one."))
    field_order = ["id", "text", "profile", "analysis_ref", "remove"]

    def __init__(self, *args, profiles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = profiles
        self.fields["profile"].label_from_instance = lambda p: f"{p.name} ({p.period}, {p.created_at:%Y-%m-%d})" + (
            f" — {_('low data coverage')}" if p.low_coverage else "")


class OwnerField(forms.ChoiceField):
    """Organisations grouped: the forum's members first, then the rest of the directory."""

    def __init__(self, *args, **kwargs):
        self.organisations = {}
        super().__init__(*args, **kwargs)

    def set_organisations(self, members, others):
        self.organisations = {str(o.pk): o for o in [*members, *others]}
        groups = [("", _("— choose —"))]
        if members:
            groups.append((_("Forum members"), [(str(o.pk), o.name) for o in members]))
        if others:
            groups.append((_("Other organisations"), [(str(o.pk), o.name) for o in others]))
        self.choices = groups

    def clean(self, value):
        value = super().clean(value)
        return self.organisations.get(value) if value else None


class ActionItemForm(RowForm):
    text = forms.CharField(label=_("Action"), max_length=1000)
    owner = OwnerField(label=_("Owner organisation"))
    due = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    areas = forms.ModelMultipleChoiceField(label=_("Areas"), queryset=None, required=False,
                                           widget=CheckableList)
    field_order = ["id", "text", "owner", "due", "areas", "remove"]

    def __init__(self, *args, members, others, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].set_organisations(members, others)
        self.fields["areas"].queryset = areas
        self.fields["areas"].label_from_instance = lambda a: a.display_name(get_language())


DecisionFormSet = forms.formset_factory(DecisionForm, extra=2, max_num=30, validate_max=True)
ActionItemFormSet = forms.formset_factory(ActionItemForm, extra=2, max_num=50, validate_max=True)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices, required=False)
