"""Pages. Thin: resolve, ask the permission layer and queries, call services, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamasuk.analysis.small_charts import sparkline
from tamasuk.api.models import ApiToken
from tamasuk.api.services import create_token, revoke_token
from tamasuk.audit import queries as audit_queries
from tamasuk.cities import publication, queries, services
from tamasuk.cities.models import ROLES_A_CITY_ADMIN_GRANTS, Membership, Role
from tamasuk.cities.permissions import Action, can, national_countries, role_in
from tamasuk.mapping import queries as mapping_queries
from tamasuk.mapping.models import ReportCategory

from .decorators import city_page
from .errors import put_on_form
from .forms import AddMemberForm, AuditFilterForm, ChangeMemberForm, CitySettingsForm, TokenForm
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
@city_page(Action.VIEW_CITY)
def area_page(request, city, code):
    area = queries.area(request.user, city, code)
    children = list(queries.areas(request.user, city).filter(parent=area))
    siblings = list(queries.areas(request.user, city, level=area.level).filter(parent=area.parent))
    shown = children or siblings
    svg = city_map(city, shown if children else siblings, highlight=None if children else area.code,
                   colour="density", width=480,
                   title=_("Map of %(area)s") % {"area": area.display_name(get_language())})
    ancestors = []
    node = area.parent
    while node is not None and len(ancestors) < 20:
        ancestors.insert(0, node)
        node = node.parent
    population_rows = []
    # Counts by sex and age band can be small: they stay inside the city team; others see the total.
    if can(request.user, Action.VIEW_SMALL_CELLS, city):
        for sex, bands in (area.population_detail or {}).items():
            for band, count in bands.items():
                population_rows.append((sex, band, count))
    series = []
    for s in mapping_queries.area_series(request.user, city, area):
        ind = s["indicator"]
        name = ind.display_name(get_language())
        series.append({**s, "name": name, "latest": s["values"][-1], "latest_period": s["periods"][-1],
                       "svg": sparkline(s["values"], title=_("%(name)s, %(first)s–%(last)s") % {
                           "name": name, "first": s["periods"][0], "last": s["periods"][-1]}, unit=ind.unit)})
    report_years = mapping_queries.area_report_counts(request.user, city, area)
    categories = [(value, label) for value, label in ReportCategory.choices
                  if report_years and value in report_years[0]["counts"]]
    return render(request, "web/area.html", {
        **city_nav(request, city),
        "series": series,
        "report_categories": categories,
        "report_years": [{**y, "cells": [y["counts"][c] for c, _label in categories]} for y in report_years],
        "reports_published": not publication.sees_everything(request.user, city), "k": publication.threshold(city),
        "rank_history": mapping_queries.rank_history(request.user, city, area),
        "area": area,
        "area_name": area.display_name(get_language()),
        "ancestors": ancestors,
        "children": children,
        "level_name": city.level_name(area.level),
        "map_svg": svg,
        "population_rows": population_rows,
    })


@login_required
@city_page(Action.MANAGE_MEMBERSHIPS)
def memberships(request, city):
    form = AddMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership, password = services.add_member(actor=request.user, city=city, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
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
@city_page(Action.VIEW_AUDIT)
def audit(request, city):
    form = AuditFilterForm(request.GET or None)
    wanted = form.cleaned_data if form.is_valid() else {}
    events = audit_queries.city_events(request.user, city, object_type=wanted.get("object_type", ""),
                                       object_id=wanted.get("object_id", ""))
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(request, "web/audit.html", {
        **city_nav(request, city), "form": form, "page": page,
        "chain": audit_queries.chain_status(request.user, city), "filter_query": filters.urlencode(),
        "object_types": audit_queries.object_types(request.user, city),
        "may_erase": can(request.user, Action.ERASE_PERSONAL_DATA, city),
    })


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


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        _token, new_secret = create_token(actor=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    return render(request, "web/tokens.html", {
        "form": form, "new_secret": new_secret, "tokens": ApiToken.objects.filter(user=request.user),
    })


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # only your own tokens
    revoke_token(actor=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("web:tokens")
