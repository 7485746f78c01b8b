"""The front door (signing in, the home page, a city's map page, the health check) and the city's members and
settings, which only need cities. Pages of the apps above web (an area's page, the audit log, API tokens...)
live in those apps."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamasuk.cities import publication, queries, services
from tamasuk.cities.models import ROLES_A_CITY_ADMIN_GRANTS, Membership, Role
from tamasuk.cities.permissions import Action, national_countries, role_in

from .decorators import city_page
from .errors import put_on_form
from .forms import AddMemberForm, ChangeMemberForm, CitySettingsForm
from .maps import COLOUR_CHOICES, city_map
from .nav import city_nav


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


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


@login_required
@city_page(Action.MANAGE_MEMBERSHIPS)
def memberships(request, city):
    form = AddMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership, password = services.add_member(actor=request.user, city=city, **form.cleaned_data)
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            if password:
                messages.warning(request, _("Account %(user)s created. Its temporary password, shown only now: %(pw)s")
                                 % {"user": membership.user.username, "pw": password})
            messages.success(request, _("%(user)s is now %(role)s.")
                             % {"user": membership.user.username, "role": membership.get_role_display()})
            return redirect("web:memberships", city.slug)
    # A national liaison's role is the operator's to change: it is shown, not offered for editing.
    rows = [(m, ChangeMemberForm(initial={"role": m.role, "ends_on": m.ends_on}, prefix=f"m{m.pk}")
             if m.role in ROLES_A_CITY_ADMIN_GRANTS else None)
            for m in queries.memberships(request.user, city)]
    return render(request, "web/memberships.html", {**city_nav(request, city), "form": form, "rows": rows})


@require_POST
@login_required
@city_page(Action.MANAGE_MEMBERSHIPS)
def membership_change(request, city, pk):
    membership = get_object_or_404(Membership, pk=pk, city=city)
    if "revoke" in request.POST:
        try:
            services.revoke_membership(actor=request.user, membership=membership)
            messages.success(request, _("Removed %(user)s from the city.") % {"user": membership.user.username})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("web:memberships", city.slug)
    form = ChangeMemberForm(request.POST, prefix=f"m{pk}")
    if form.is_valid():
        try:
            services.change_membership(actor=request.user, membership=membership, **form.cleaned_data)
            messages.success(request, _("Saved %(user)s's role.") % {"user": membership.user.username})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("web:memberships", city.slug)


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
            return redirect("web:city_settings", city.slug)
    return render(request, "web/city_settings.html", {**city_nav(request, city), "form": form})
