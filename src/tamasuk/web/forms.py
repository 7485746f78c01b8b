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


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What the token is for"), max_length=100)


class AuditFilterForm(forms.Form):
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=64)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
