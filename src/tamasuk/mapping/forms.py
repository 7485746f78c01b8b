import math

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tamasuk.web.conflicts import OpenedField
from tamasuk.web.widgets import CheckableList

from .models import ReportCategory, ReportChannel, Sensitivity, ThemeGroup
from .priorities import AGGREGATIONS, NORMALISATIONS, PRESETS

PRESET_LABELS = {
    "balanced": _("Balanced: every theme group counts the same"),
    "basic-needs-first": _("Basic needs first"),
    "drivers-first": _("Drivers of tension first"),
}
NORMALISATION_LABELS = {"minmax": _("Min–max (0–100)"), "rank": _("Rank"), "zscore": _("z-score")}
AGGREGATION_LABELS = {"arithmetic": _("Weighted average"), "geometric": _("Geometric mean"),
                      "high_dominates": _("High need dominates (INFORM)")}
IMPUTE_LABELS = {"none": _("Leave out"), "mean": _("City mean"), "median": _("City median")}


class PriorityForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"))
    preset = forms.ChoiceField(label=_("Weights"), required=False,
                               choices=[("", _("My own weights"))] + [(k, PRESET_LABELS[k]) for k in PRESETS])
    indicators = forms.MultipleChoiceField(label=_("Indicators"), widget=CheckableList)
    normalisation = forms.ChoiceField(label=_("Normalisation"), initial="minmax",
                                      choices=[(k, NORMALISATION_LABELS[k]) for k in NORMALISATIONS])
    aggregation = forms.ChoiceField(label=_("Aggregation"), initial="arithmetic",
                                    choices=[(k, AGGREGATION_LABELS[k]) for k in AGGREGATIONS])
    impute = forms.ChoiceField(label=_("Missing values"), initial="mean",
                               choices=[(k, v) for k, v in IMPUTE_LABELS.items()])

    def __init__(self, *args, periods, indicators, themes, coverage=None, threshold=0, **kwargs):
        super().__init__(*args, **kwargs)
        coverage = coverage or {}
        self.fields["period"].choices = [(p, self._period_label(p, coverage.get(p, 0.0), threshold)) for p in periods]
        self.fields["indicators"].choices = [(i.code, i.display_name(get_language())) for i in indicators]
        self.themes = themes
        for theme in themes:
            self.fields[f"w_{theme.code}"] = forms.FloatField(
                label=theme.name, required=False, min_value=0, max_value=10, initial=1,
                widget=forms.NumberInput(attrs={"step": "0.5", "class": "weight"}))

    @staticmethod
    def _period_label(period: str, share: float, threshold: int) -> str:
        # The share of data is in the label so a thin year is visible before anyone ranks on it.
        percent = math.floor(share * 100)  # rounded down: 69.6 % under a 70 % minimum never reads "70 %"
        if share * 100 >= threshold:
            return _("%(period)s — %(share)s %% of values") % {"period": period, "share": percent}
        return _("%(period)s — %(share)s %% of values, too few to rank") % {"period": period, "share": percent}

    def clean(self):
        data = super().clean()
        if data.get("indicators") is not None and len(data["indicators"]) < 2:
            self.add_error("indicators", _("Choose at least two indicators."))
        return data

    def theme_weights(self, theme_groups: dict[str, str]) -> dict[str, float]:
        preset = self.cleaned_data.get("preset")
        if preset:
            return {code: float(PRESETS[preset].get(group, 1.0)) for code, group in theme_groups.items()}
        return {t.code: float(self.cleaned_data.get(f"w_{t.code}") if self.cleaned_data.get(f"w_{t.code}")
                              is not None else 1.0) for t in self.themes}


class SaveProfileForm(forms.Form):
    name = forms.CharField(label=_("Name of the profile"), max_length=200)
    save_low_coverage = forms.BooleanField(label=_("Save anyway, flagged as low coverage"), required=False)


class ReportForm(forms.Form):
    category = forms.ChoiceField(label=_("What kind of report"), choices=ReportCategory.choices)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    area = forms.ChoiceField(label=_("Area"), required=False)
    lon = forms.FloatField(label=_("or a point: longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("latitude"), required=False, min_value=-90, max_value=90)
    channel = forms.ChoiceField(label=_("Channel"), choices=ReportChannel.choices)
    text = forms.CharField(label=_("What was reported (no names of people)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "—")] + [(a.code, f"{a.name} ({a.code})") for a in areas]

    def clean(self):
        data = super().clean()
        has_point = data.get("lon") is not None and data.get("lat") is not None
        if not data.get("area") and not has_point:
            raise forms.ValidationError(_("Choose the area, or give a point inside it."))
        return data


class ModerateForm(forms.Form):
    moderated_text = forms.CharField(label=_("Text cleared for sharing (remove anything that identifies someone)"),
                                     required=False, widget=forms.Textarea(attrs={"rows": 3}))
    share = forms.BooleanField(label=_("Share with the prevention network"), required=False)
    # Offered once the text was flagged: the writer confirms what the personal-data check found is harmless.
    confirmed_not_personal = forms.BooleanField(label=_("I checked: this is not personal data"), required=False,
                                                widget=forms.HiddenInput)

    def ask_to_confirm(self):
        self.fields["confirmed_not_personal"].widget = forms.CheckboxInput()


class HotspotForm(forms.Form):
    variable = forms.ChoiceField(label=_("Variable"))
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    per_population = forms.BooleanField(label=_("Per 10,000 residents"), required=False)


class IndicatorForm(forms.ModelForm):
    opened = OpenedField()  # what an edit page was opened on: a save over someone's since is refused

    class Meta:
        from .models import Indicator

        model = Indicator
        fields = ["code", "name", "unit", "direction", "theme", "source", "hxl_tag", "denominator", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, city, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Indicator, Theme

        self.fields["theme"].queryset = Theme.objects.filter(city=city)
        self.fields["denominator"].queryset = Indicator.objects.filter(city=city)
        if self.instance.pk:
            self.fields["code"].disabled = True
        self._city = city

    def validate_unique(self):
        # Uniqueness per city is the service's and the database's; the form has no city field to check it.
        pass


class ThemeForm(forms.Form):
    opened = OpenedField()  # what the form was opened on: a save over someone's since is refused
    name = forms.CharField(label=_("Theme name"), max_length=200)
    sensitivity = forms.ChoiceField(label=_("Who may see its numbers"), choices=Sensitivity.choices)


class NewThemeForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Theme name"), max_length=200)
    group = forms.ChoiceField(label=_("Group"), choices=ThemeGroup.choices)
    sensitivity = forms.ChoiceField(label=_("Who may see its numbers"), choices=Sensitivity.choices,
                                    initial=Sensitivity.CITY_TEAM)
