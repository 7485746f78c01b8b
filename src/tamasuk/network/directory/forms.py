from django import forms
from django.utils.translation import gettext_lazy as _

from tamasuk.web.conflicts import OpenedField
from tamasuk.web.widgets import CheckableList

from ..models import LinkKind, Organisation, OrganisationType, Sector, Service


class DirectoryFilter(forms.Form):
    sector = forms.ChoiceField(label=_("Sector"), required=False, choices=[("", _("all"))] + Sector.choices)
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("all"))] + OrganisationType.choices)
    area = forms.ChoiceField(label=_("Area"), required=False)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("all"))] + [(a.code, a.name) for a in areas]


class OrganisationForm(forms.ModelForm):
    opened = OpenedField()  # what an edit page was opened on: a save over someone's since is refused
    sectors = forms.MultipleChoiceField(label=_("Sectors"), choices=Sector.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Organisation
        fields = ["name", "type", "sectors", "description", "focal_point_name", "focal_point_email",
                  "focal_point_phone", "is_member", "visibility"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self):
        pass  # per-city uniqueness is checked by the service (full_clean) and the database


class ServiceForm(forms.ModelForm):
    opened = OpenedField()  # what an edit page was opened on: a save over someone's since is refused
    areas = forms.MultipleChoiceField(label=_("Areas covered"), widget=CheckableList)

    class Meta:
        model = Service
        fields = ["name", "sector", "description", "start", "end", "capacity", "reached_f", "reached_m",
                  "reached_total", "eligibility", "confidential", "share_where_and_who", "address", "latitude",
                  "longitude", "contact"]
        widgets = {"start": forms.DateInput(attrs={"type": "date"}), "end": forms.DateInput(attrs={"type": "date"}),
                   "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, areas, may_share: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = [(a.code, f"{a.name} ({a.code})") for a in areas]
        if not may_share:  # the city's coordinators decide it, not the organisation's focal point
            del self.fields["share_where_and_who"]
        if self.instance.pk:
            self.initial["areas"] = list(self.instance.areas.values_list("code", flat=True))


class LinkForm(forms.Form):
    target = forms.ModelChoiceField(label=_("Linked organisation"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("Kind of link"), choices=LinkKind.choices)
    strength = forms.IntegerField(label=_("Strength (1–5)"), min_value=1, max_value=5, initial=3)
    since = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, city, exclude=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Organisation.objects.filter(city=city)
        self.fields["target"].queryset = qs.exclude(pk=exclude.pk) if exclude else qs
