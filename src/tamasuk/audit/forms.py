from django import forms
from django.utils.translation import gettext_lazy as _


class ForgetPersonForm(forms.Form):
    username = forms.CharField(label=_("Account (username)"), max_length=150, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False,
                             help_text=_("For example: the person's request of 3 March, by email."))

    def clean(self):
        data = super().clean()
        if not any(data.get(k, "").strip() for k in ("username", "email", "phone", "name")):
            raise forms.ValidationError(_("Give the person's account, email, phone or name."))
        return data

    def person(self) -> dict:
        return {k: self.cleaned_data[k].strip() for k in ("username", "email", "phone", "name")}


class AuditFilterForm(forms.Form):
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=64)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
