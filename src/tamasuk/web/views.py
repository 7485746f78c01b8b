"""The front door (signing in, the home page, a city's map page, the health check) and the city's members and
settings, which only need cities. Pages of the apps above web (an area's page, the audit log, API tokens...)
live in those apps."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tamasuk.cities import queries
from tamasuk.cities.models import Role
from tamasuk.cities.permissions import Action, national_countries, role_in

from .decorators import city_page
from .maps import COLOUR_CHOICES, city_map
from .nav import city_nav


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page (the old password, the new one twice, the password rules), writing through the service so the
    change is audited."""

    template_name = "web/password_change.html"

    def form_valid(self, form):
        from django.contrib import messages
        from django.contrib.auth import update_session_auth_hash

        from tamasuk.cities.services import change_password

        change_password(actor=self.request.user, user=self.request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, self.request.user)  # this session stays signed in; others end
        messages.success(self.request, _("Your password was changed."))
        return redirect("web:home")


class PasswordResetView(auth_views.PasswordResetConfirmView):
    """The one-time link a city administrator handed over: set a new password, then sign in with it."""

    template_name = "web/password_reset.html"

    def form_valid(self, form):
        from django.contrib import messages

        from tamasuk.cities.services import reset_password

        reset_password(user=self.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, _("Your new password is set. Sign in with it."))
        return redirect("web:login")


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def home(request):
    if not request.user.is_authenticated:
        return redirect("web:login")
    cities = queries.visible_cities(request.user)
    # A national liaison lands here, not in one city: the national view of each country is their way in.
    countries = sorted(national_countries(request.user))
    if len(cities) == 1 and not countries:
        # A focal point's work is their organisation: its services, activities and action items.
        if role_in(request.user, cities[0]) == Role.MEMBER:
            own = request.user.organisations.filter(city=cities[0]).order_by("pk").first()
            if own is not None:
                return redirect("network:organisation", cities[0].slug, own.pk)
        return redirect("web:city", cities[0].slug)
    return render(request, "web/home.html", {"cities": cities, "national_countries": countries})


@login_required
@city_page(Action.VIEW_CITY)
def city_home(request, city):
    levels = queries.levels(city)
    try:
        level = int(request.GET.get("level", ""))
    except ValueError:
        level = None
    if level not in levels:
        level = levels[-1] if levels else 1
    colour = request.GET.get("colour", "parent")
    if colour not in COLOUR_CHOICES:
        colour = "parent"
    areas = list(queries.areas(request.user, city, level=level))
    svg = city_map(city, areas, colour=colour)
    context = {
        **city_nav(request, city),
        "levels": [(lv, city.level_name(lv)) for lv in levels],
        "level": level,
        "colour": colour,
        "map_svg": svg,
        "areas": areas,
        "language": get_language(),
    }
    # htmx swaps only the map; a history restore (Back) needs the whole page.
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, "web/_city_map.html" if partial else "web/city.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
