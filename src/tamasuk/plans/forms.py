"""Forms of the plan pages. Editing forms carry the item's `version`, so a stale save is detected."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tamasuk.cities.models import Visibility
from tamasuk.web.widgets import CheckableList

from .models import ActivityStatus, Disaggregation, IndicatorKind, NationalPillar, ProgressStatus


def _date():
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


def plain(value):
    """A stored decimal as a person would type it: 83, not 83.0000."""
    return None if value is None else format(value.normalize(), "f")


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PlanForm(VersionedForm):
    title = forms.CharField(label=_("Title"), max_length=300)
    start_year = forms.IntegerField(label=_("First year"), min_value=1990, max_value=2100)
    end_year = forms.IntegerField(label=_("Last year"), min_value=1990, max_value=2100)
    framework = forms.ModelChoiceField(label=_("National action plan it is aligned with"), queryset=None,
                                       required=False, empty_label=_("— none yet —"))
    currency = forms.RegexField(label=_("Currency"), regex=r"^[A-Za-z]{3}$", max_length=3, initial="USD",
                                help_text=_("ISO 4217 code, e.g. KES, LBP, MWK"))
    visibility = forms.ChoiceField(label=_("Who may read it"), choices=Visibility.choices,
                                   initial=Visibility.NETWORK,
                                   help_text=_("“National level” shares it with the country's national liaisons."))
    iati_organisation = forms.CharField(label=_("IATI organisation identifier"), max_length=100, required=False,
                                        help_text=_("The city's registered identifier, used in the IATI export."))

    def __init__(self, *args, frameworks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].queryset = frameworks

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()

    def clean(self):
        data = super().clean()
        if data.get("start_year") and data.get("end_year") and data["end_year"] < data["start_year"]:
            self.add_error("end_year", _("The last year comes before the first year."))
        return data


class PillarForm(VersionedForm):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("e.g. 1, 2, 3"))
    title = forms.CharField(label=_("Title"), max_length=300)


class ObjectiveForm(VersionedForm):
    pillar = forms.ModelChoiceField(label=_("Pillar"), queryset=None)
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("e.g. 1.1"))
    title = forms.CharField(label=_("Title"), max_length=300)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pillar"].queryset = plan.pillars.all()


class ActivityForm(VersionedForm):
    objective = forms.ModelChoiceField(label=_("Objective"), queryset=None)
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("e.g. 1.1.1"))
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    lead = forms.ModelChoiceField(label=_("Lead organisation"), queryset=None)
    partners = forms.ModelMultipleChoiceField(label=_("Partners"), queryset=None, required=False,
                                              widget=CheckableList)
    areas = forms.ModelMultipleChoiceField(label=_("Areas"), queryset=None, required=False,
                                           widget=CheckableList)
    budget = forms.DecimalField(label=_("Budget"), min_value=0, max_digits=14, decimal_places=2, required=False)
    start = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("End"), widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), choices=ActivityStatus.choices, initial=ActivityStatus.PLANNED)
    national_pillars = forms.ModelMultipleChoiceField(label=_("National pillars it serves"), queryset=None,
                                                      required=False, widget=CheckableList)

    # What a focal point may change while the plan is in force (see services.update_item).
    RUNNING = ["description", "partners", "start", "end", "status"]

    def __init__(self, *args, plan, organisations, areas, running_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = plan.objectives.select_related("pillar")
        self.fields["lead"].queryset = organisations
        self.fields["partners"].queryset = organisations
        self.fields["areas"].queryset = areas
        # A plan aligned to no national framework has no national pillars to offer (none, not every framework's).
        self.fields["national_pillars"].queryset = (plan.framework.pillars.all() if plan.framework_id
                                                    else NationalPillar.objects.none())
        self.fields["budget"].label = _("Budget (%(currency)s)") % {"currency": plan.currency}
        if running_only:
            for name in list(self.fields):
                if name not in self.RUNNING and name != "version":
                    del self.fields[name]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end comes before the start."))
        return data


class IndicatorForm(VersionedForm):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=300)
    unit = forms.CharField(label=_("Unit"), max_length=64, help_text=_("e.g. people, %, sessions"))
    kind = forms.ChoiceField(label=_("Kind"), choices=IndicatorKind.choices)
    attached_to = forms.ChoiceField(label=_("Measures"), required=False)
    mapping_indicator = forms.ModelChoiceField(label=_("Mapping indicator it follows"), queryset=None,
                                               required=False, empty_label=_("— none: the plan's own —"))
    counts_people = forms.BooleanField(label=_("Counts people"), required=False,
                                       help_text=_("Small counts are hidden outside the city team."))
    higher_is_better = forms.BooleanField(label=_("Higher is better"), required=False, initial=True)
    baseline_value = forms.DecimalField(label=_("Baseline"), required=False, max_digits=16, decimal_places=4)
    baseline_date = forms.DateField(label=_("Baseline date"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    disaggregation = forms.MultipleChoiceField(label=_("Disaggregated by"), choices=Disaggregation.choices,
                                               required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, plan, mapping_indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        choices = [("", _("the plan as a whole"))]
        choices += [(f"objective:{o.pk}", _("Objective %(code)s %(title)s") % {"code": o.code, "title": o.title})
                    for o in plan.objectives.all()]
        choices += [(f"activity:{a.pk}", _("Activity %(code)s %(title)s") % {"code": a.code, "title": a.title})
                    for a in plan.activities.all()]
        self.fields["attached_to"].choices = choices
        self.fields["mapping_indicator"].queryset = mapping_indicators
        for year in range(plan.start_year, plan.end_year + 1):
            self.fields[f"target_{year}"] = forms.DecimalField(
                label=_("Target %(year)s") % {"year": year}, required=False, max_digits=16, decimal_places=4)

    @property
    def target_fields(self):
        return [self[f"target_{y}"] for y in range(self.plan.start_year, self.plan.end_year + 1)]

    @property
    def main_fields(self):
        return [f for f in self if not f.name.startswith("target_")]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        attached = data.pop("attached_to") or ""
        data.pop("version", None)
        kind, _sep, pk = attached.partition(":")
        data["objective"] = self.plan.objectives.get(pk=pk) if kind == "objective" else None
        data["activity"] = self.plan.activities.get(pk=pk) if kind == "activity" else None
        data["targets"] = {y: data.pop(f"target_{y}") for y in range(self.plan.start_year, self.plan.end_year + 1)}
        data["targets"] = {y: v for y, v in data["targets"].items() if v is not None}
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ProgressForm(VersionedForm):
    period = forms.RegexField(label=pgettext_lazy("period of three months", "Quarter"), regex=r"^\d{4}-Q[1-4]$", max_length=7,
                              help_text=_("e.g. 2025-Q3"),
                              error_messages={"invalid": _("Write the quarter as YYYY-Qn, e.g. 2025-Q3.")})
    status = forms.ChoiceField(label=_("Status"), choices=ProgressStatus.choices)
    narrative = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 4}),
                                help_text=_("Activities held, people reached, obstacles. Never residents' names."))
    # Offered once the narrative was flagged: the writer confirms what the personal-data check found is harmless.
    confirmed_not_personal = forms.BooleanField(label=_("I checked: this is not personal data"), required=False,
                                                widget=forms.HiddenInput)
    spent = forms.DecimalField(label=_("Spent in the quarter"), min_value=0, max_digits=14, decimal_places=2,
                               required=False)
    evidence = MultipleFileField(label=_("Evidence files"), required=False,
                                 help_text=_("PDF, pictures, Word, Excel, CSV or text; at most %(mb)s MB each."))
    # The quarter a correction was opened for: its version belongs to that quarter only.
    opened_period = forms.CharField(widget=forms.HiddenInput, required=False)

    MAX_FILES = 10

    def __init__(self, *args, currency: str, max_mb: float, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.fields["spent"].label = _("Spent in the quarter (%(currency)s)") % {"currency": currency}
        self.fields["evidence"].help_text = self.fields["evidence"].help_text % {"mb": max_mb}

    def ask_to_confirm(self):
        self.fields["confirmed_not_personal"].widget = forms.CheckboxInput()

    def clean_evidence(self):
        files = self.cleaned_data["evidence"]
        if len(files) > self.MAX_FILES:
            raise forms.ValidationError(_("At most %(n)s files at a time.") % {"n": self.MAX_FILES})
        # Checked on the upload's size before anything is read into memory.
        for f in files:
            if f.size > self.max_bytes:
                raise forms.ValidationError(_("“%(name)s” is %(size)s MB; evidence files are at most %(max)s MB.") % {
                    "name": f.name, "size": round(f.size / 1048576, 1), "max": round(self.max_bytes / 1048576, 1)})
        return files

    def clean(self):
        data = super().clean()
        opened = data.get("opened_period")
        if data.get("version") is not None and opened and data.get("period") and data["period"] != opened:
            self.add_error("period", _("This form corrects %(period)s. To report another quarter, start a new "
                                       "progress update.") % {"period": opened})
        return data


class ActualsForm(forms.Form):
    """One year of an indicator: the total and one row per disaggregated cell (sex, age band, group, or a
    crossing of them, as the indicator is disaggregated). Opening a year fills in every cell recorded for it,
    so saving (which replaces the year) keeps what the writer did not change."""

    SEXES = [("", "—"), ("f", _("Female")), ("m", _("Male"))]
    BLANK_ROWS = 4

    year = forms.IntegerField(label=_("Year"))
    total = forms.DecimalField(label=_("Total"), max_digits=16, decimal_places=4)
    note = forms.CharField(label=_("Source or note"), max_length=300, required=False)
    # What the writer saw recorded for the year (services.actuals_token): a change meanwhile is not overwritten.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, indicator, cells=(), **kwargs):
        super().__init__(*args, **kwargs)
        plan = indicator.plan
        self.indicator = indicator
        # The year is chosen by the page's year links (each opens that year's recorded cells), not in the form.
        self.fields["year"] = forms.TypedChoiceField(
            label=_("Year"), coerce=int, choices=[(y, y) for y in range(plan.start_year, plan.end_year + 1)],
            widget=forms.HiddenInput)
        self.dimensions = [d for d in ("sex", "age_band", "group") if d in indicator.disaggregation]
        self.rows = []
        count = len(cells) + self.BLANK_ROWS if self.dimensions else 0
        if self.is_bound and self.dimensions:
            count = max(count, len({k.split("_")[1] for k in self.data if k.startswith("cell_")}))
        for n in range(count):
            row = {}
            if "sex" in self.dimensions:
                row["sex"] = self.fields[f"cell_{n}_sex"] = forms.ChoiceField(
                    label=_("Sex"), choices=self.SEXES, required=False)
            if "age_band" in self.dimensions:
                row["age_band"] = self.fields[f"cell_{n}_age_band"] = forms.RegexField(
                    label=_("Age band"), regex=r"^\d{1,3}(-\d{1,3}|\+)$", max_length=10, required=False,
                    error_messages={"invalid": _("Write an age band as 15-24 or 60+.")})
            if "group" in self.dimensions:
                row["group"] = self.fields[f"cell_{n}_group"] = forms.CharField(
                    label=_("Group"), max_length=60, required=False)
            self.fields[f"cell_{n}_value"] = forms.DecimalField(label=_("Value"), required=False, max_digits=16,
                                                                decimal_places=4)
            self.rows.append(n)
            if n < len(cells):
                cell = cells[n]
                for dimension in self.dimensions:
                    self.initial[f"cell_{n}_{dimension}"] = getattr(cell, dimension)
                self.initial[f"cell_{n}_value"] = plain(cell.value)
        if indicator.counts_people:
            self.fields["total"].min_value = 0

    @property
    def main_fields(self):
        return [self[name] for name in ("year", "seen", "total", "note")]

    @property
    def row_fields(self):
        return [[self[f"cell_{n}_{d}"] for d in [*self.dimensions, "value"]] for n in self.rows]

    def clean(self):
        data = super().clean()
        for n in self.rows:
            dims = [data.get(f"cell_{n}_{d}") for d in self.dimensions]
            value = data.get(f"cell_{n}_value")
            if value is not None and not any(dims):
                self.add_error(f"cell_{n}_value", _("Row %(n)s: say which cell this value is for, or leave it "
                                                    "empty.") % {"n": n + 1})
            if value is None and any(dims):
                self.add_error(f"cell_{n}_value", _("Row %(n)s: give the value, or clear the row.") % {"n": n + 1})
        return data

    def values(self):
        from .services import ActualInput

        data = self.cleaned_data
        out = [ActualInput(value=data["total"])]
        for n in self.rows:
            value = data.get(f"cell_{n}_value")
            if value is not None:
                out.append(ActualInput(value=value, **{d: (data.get(f"cell_{n}_{d}") or "").strip()
                                                        for d in self.dimensions}))
        return out


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why (recorded with the version)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
