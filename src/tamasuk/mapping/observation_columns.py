"""Which column of an observations file plays which role: the column-mapping choices of the observations import
(mapping.observation_import), shown on the pipeline's setup step and read back by its adapter. Core, not a page's
forms module: only the adapter builds them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TableFormat

ROLE_LABELS = {
    "area": _("Area (code or name)"),
    "indicator": _("Indicator code"),
    "period": _("Period"),
    "value": _("Value"),
    "sex": _("Sex (optional)"),
    "age": _("Age band (optional)"),
    "group": _("Group (optional)"),
    "source": _("Source (optional)"),
    "note": _("Method note (optional)"),
}
LONG_ROLES = ("indicator", "value")
COMMON_ROLES = ("area", "period", "sex", "age", "group", "source", "note")


class MappingForm(forms.Form):
    """Which column plays which role: selects of the file's columns, by column index."""

    format = forms.ChoiceField(label=_("Layout of the table"), choices=TableFormat.choices,
                               widget=forms.RadioSelect)
    default_period = forms.CharField(
        label=_("Period of the whole file"), required=False, max_length=40,
        help_text=_("Only when no column holds the period: 2024, 2024-Q3, 2024-03 or 2024-01-01/2024-06-30."))
    source_text = forms.CharField(label=_("Source of these numbers"), required=False, max_length=300,
                                  help_text=_("Shown with every value, e.g. “County household survey 2024”."))
    template_name = forms.CharField(label=_("Save this mapping as a template named"), required=False,
                                    max_length=120)

    def __init__(self, *args, columns: list[dict], specs: dict, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— none —"))] + [
            (str(c["index"]), " · ".join(x for x in (c["letter"], c["header"], c["tag"]) if x))
            for c in columns if str(c["index"]) in specs]
        for role in (*COMMON_ROLES[:2], *LONG_ROLES, *COMMON_ROLES[2:]):
            self.fields[f"role_{role}"] = forms.ChoiceField(label=ROLE_LABELS[role], choices=choices,
                                                            required=False)
        self.indicators = list(indicators)
        for ind in self.indicators:
            self.fields[f"wide_{ind.code}"] = forms.ChoiceField(label=f"{ind.name} ({ind.code})",
                                                                choices=choices, required=False)

    def role_fields(self):
        return [self[f"role_{r}"] for r in COMMON_ROLES[:2]]

    def long_fields(self):
        return [self[f"role_{r}"] for r in LONG_ROLES]

    def optional_fields(self):
        return [self[f"role_{r}"] for r in COMMON_ROLES[2:]]

    def wide_fields(self):
        return [self[f"wide_{i.code}"] for i in self.indicators]

    def clean(self):
        data = super().clean()
        if not data.get("role_area"):
            self.add_error("role_area", _("Choose the column that names the area."))
        if data.get("format") == TableFormat.LONG:
            for role in LONG_ROLES:
                if not data.get(f"role_{role}"):
                    self.add_error(f"role_{role}", _("Long format needs this column."))
        elif data.get("format") == TableFormat.WIDE and not any(data.get(f"wide_{i.code}") for i in self.indicators):
            self.add_error("format", _("Wide format: match at least one column to an indicator below."))
        if not data.get("role_period") and not data.get("default_period", "").strip():
            self.add_error("default_period", _("Choose the column of periods, or give one period for the whole "
                                               "file."))
        wide = data.get("format") == TableFormat.WIDE
        chosen = [v for k, v in data.items() if v and (
            (k.startswith("role_") and not (wide and k.removeprefix("role_") in LONG_ROLES))
            or (k.startswith("wide_") and wide))]
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError(_("Each column can play one role only."))
        return data

    def roles(self) -> dict[str, str]:
        return {k.removeprefix("role_"): v for k, v in self.cleaned_data.items() if k.startswith("role_") and v}

    def wide(self) -> dict[str, str]:
        return {k.removeprefix("wide_"): v for k, v in self.cleaned_data.items() if k.startswith("wide_") and v}
