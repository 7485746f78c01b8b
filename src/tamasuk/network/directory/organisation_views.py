"""Directory pages: who does what where. Thin: queries for reads, services for writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamasuk.audit.conflicts import StaleEdit
from tamasuk.cities import publication
from tamasuk.cities.permissions import Action, can
from tamasuk.web.conflicts import OPENED, require_opened, show_conflict
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav

from ..models import Organisation, Sector, Service
from . import queries, services
from .forms import DirectoryFilter, LinkForm, OrganisationForm, ServiceForm


@login_required
@city_page(Action.READ_CITY_DATA)
def directory(request, city):
    areas = queries.leaf_areas(request.user, city)
    form = DirectoryFilter(request.GET or None, areas=areas)
    sector = area = kind = None
    if form.is_valid():
        sector = form.cleaned_data["sector"] or None
        kind = form.cleaned_data["type"] or None
        area = next((a for a in areas if a.code == form.cleaned_data["area"]), None)
    rows = queries.services(request.user, city, sector=sector, area=area)
    if kind:  # (a service whose organisation is withheld is not told apart by its organisation's type)
        rows = [r for r in rows if r.organisation is not None and r.organisation.type == kind]
    # Who does what where: sectors × areas, number of services (withheld wards are counted nowhere).
    matrix = {s: {a.code: 0 for a in areas} for s in Sector.values}
    for r in rows:
        for a in r.areas:
            if a.code in matrix[r.service.sector]:
                matrix[r.service.sector][a.code] += 1
    sectors = [(label, [matrix[value][a.code] for a in areas]) for value, label in Sector.choices
               if any(matrix[value].values())]
    orgs = queries.organisations(request.user, city)
    if kind:
        orgs = orgs.filter(type=kind)
    return render(request, "network/directory.html", {
        **city_nav(request, city), "form": form, "services": rows, "organisations": orgs, "areas": areas,
        "sectors": sectors, "may_add": can(request.user, Action.EDIT_CITY_DATA, city),
    })


@login_required
@city_page(Action.READ_CITY_DATA)
def organisation(request, city, pk):
    org = queries.organisation(request.user, city, pk)
    may_edit = can(request.user, Action.EDIT_ORGANISATION, org)
    return render(request, "network/organisation.html", {
        **city_nav(request, city), "org": org, "services": queries.services(request.user, city, organisation=org),
        "may_edit": may_edit, "reach_published": not publication.sees_everything(request.user, city),
        "k": publication.threshold(city), "links": queries.links(request.user, city).filter(Q(source=org) | Q(target=org)),
        "link_form": LinkForm(city=city, exclude=org) if may_edit else None,
    })


@login_required
@city_page(Action.EDIT_CITY_DATA)
def new_organisation(request, city):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != OPENED}
        try:
            org = services.create_organisation(actor=request.user, city=city, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("network:organisation", city.slug, org.pk)
    return render(request, "network/organisation_form.html", {**city_nav(request, city), "form": form, "org": None})


def _editable(request, city, pk) -> Organisation:
    org = get_object_or_404(Organisation, pk=pk, city=city)
    if not can(request.user, Action.EDIT_ORGANISATION, org):
        raise PermissionDenied
    return org


@login_required
@city_page(Action.VIEW_CITY)
def edit_organisation(request, city, pk):
    org = _editable(request, city, pk)
    form = require_opened(OrganisationForm(request.POST or None, instance=org,
                                           initial={OPENED: services.organisation_token(org)}))
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        opened = data.pop(OPENED)
        try:
            services.update_organisation(actor=request.user, organisation=Organisation.objects.get(pk=org.pk),
                                         opened=opened, **data)
        except StaleEdit as stale:
            conflict = show_conflict(form, stale, token=stale.token)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("network:organisation", city.slug, org.pk)
    # The heading names the organisation as saved, not as typed (validating the form wrote into `org`).
    saved = Organisation.objects.get(pk=org.pk) if request.method == "POST" else org
    return render(request, "network/organisation_form.html", {**city_nav(request, city), "form": form, "org": saved,
                                                              "conflict": conflict})


@login_required
@city_page(Action.VIEW_CITY)
def edit_service(request, city, pk, service_pk=None):
    org = _editable(request, city, pk)
    service = get_object_or_404(Service, pk=service_pk, organisation=org) if service_pk else None
    areas = queries.leaf_areas(request.user, city)
    form = ServiceForm(request.POST or None, instance=service, areas=areas,
                       may_share=can(request.user, Action.EDIT_CITY_DATA, city),
                       initial={OPENED: services.service_token(service)} if service else None)
    if service:
        require_opened(form)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        opened = data.pop(OPENED)
        codes = set(data.pop("areas"))
        chosen = [a for a in areas if a.code in codes]
        try:
            services.save_service(actor=request.user, organisation=org,
                                  service=Service.objects.get(pk=service.pk) if service else None,
                                  areas=chosen, opened=opened if service else None, **data)
        except StaleEdit as stale:
            conflict = show_conflict(form, stale, token=stale.token)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Service saved."))
            return redirect("network:organisation", city.slug, org.pk)
    return render(request, "network/service_form.html", {**city_nav(request, city), "form": form, "org": org,
                                                         "service": service, "conflict": conflict})


@require_POST
@login_required
@city_page(Action.VIEW_CITY)
def add_link(request, city, pk):
    """A coordinator, or the organisation's own focal point, records a link to another organisation."""
    org = _editable(request, city, pk)
    form = LinkForm(request.POST, city=city, exclude=org)
    if form.is_valid():
        try:
            services.create_link(actor=request.user, source=org, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Link recorded."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("network:organisation", city.slug, org.pk)
