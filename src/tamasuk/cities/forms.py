from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from tamasuk.cities.models import ROLES_A_CITY_ADMIN_GRANTS, Role

GRANTABLE = [(r.value, r.label) for r in ROLES_A_CITY_ADMIN_GRANTS]


class AddMemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email (for a new account)"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=GRANTABLE)
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("Required for auditors."))

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not get_user_model().username_validator.regex.match(username):
            raise forms.ValidationError(_("Use letters, digits and @/./+/-/_ only."))
        return username

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.AUDITOR and not data.get("ends_on"):
            self.add_error("ends_on", _("An auditor's membership needs an end date."))
        return data


class ChangeMemberForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=GRANTABLE)
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.AUDITOR and not data.get("ends_on"):
            self.add_error("ends_on", _("An auditor's membership needs an end date."))
        return data


class CitySettingsForm(forms.Form):
    """The settings a coordinator or the city's administrator changes (cities.services.update_city_settings)."""

    languages = forms.MultipleChoiceField(
        label=_("Languages of the city"), widget=forms.CheckboxSelectMultiple,
        help_text=_("The languages the city's names and texts are recorded in; the first is the default."))
    arabic_digits = forms.ChoiceField(
        label=_("Digits in Arabic"), widget=forms.RadioSelect,
        help_text=_("Arabic pages always use ٫ for decimals and ٬ for thousands; numbers and ward names use these "
                    "digits."))
    coverage_threshold = forms.IntegerField(
        label=_("Minimum data coverage for priorities (%)"), min_value=0, max_value=100,
        help_text=_("A priority profile needs at least this share of ward × indicator values for its period."))
    small_count_threshold = forms.IntegerField(
        label=_("Small-count threshold"),
        help_text=_("Outside the city team, counts below this number are shown as “<k”."))

    def __init__(self, *args, city, **kwargs):
        from django.conf import settings

        from tamasuk.cities.models import City

        super().__init__(*args, **kwargs)
        chosen = list(city.languages)
        # The city's own order first (its default language leads), then the others the installation speaks.
        self.fields["languages"].choices = [(c, n) for c in chosen for code, n in settings.LANGUAGES if code == c] + [
            (code, n) for code, n in settings.LANGUAGES if code not in chosen]
        self.fields["arabic_digits"].choices = City._meta.get_field("arabic_digits").choices

    def clean_small_count_threshold(self):
        from tamasuk.cities import publication

        return publication.valid_threshold(self.cleaned_data["small_count_threshold"])
