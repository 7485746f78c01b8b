"""A city's settings: languages, digits in Arabic, the coverage and small-count thresholds."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tamasuk.web.decorators import city_page
from tamasuk.web.errors import put_on_form
from tamasuk.web.nav import city_nav

from . import publication, services
from .forms import CitySettingsForm
from .permissions import Action


@login_required
@city_page(Action.EDIT_CITY_SETTINGS)
def city_settings(request, city):
    initial = {"languages": city.languages, "arabic_digits": city.arabic_digits,
               "coverage_threshold": city.coverage_threshold, "small_count_threshold": publication.threshold(city)}
    form = CitySettingsForm(request.POST or None, city=city, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Keep the city's default (first) language first when it stays chosen.
        chosen = [code for code, _name in form.fields["languages"].choices if code in data["languages"]]
        try:
            services.update_city_settings(actor=request.user, city=city, **{**data, "languages": chosen})
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            messages.success(request, _("The city's settings are saved."))
            return redirect("cities:city_settings", city.slug)
    return render(request, "cities/city_settings.html", {**city_nav(request, city), "form": form})
