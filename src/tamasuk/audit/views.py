"""The audit log of a city (the chain's state, its events filtered by object) and the erasure request page:
a city administrator forgets a person's contact details."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tamasuk.cities.permissions import Action, can
from tamasuk.web.decorators import city_page
from tamasuk.web.errors import put_on_form
from tamasuk.web.nav import city_nav

from . import queries, services
from .forms import AuditFilterForm, ForgetPersonForm


@login_required
@city_page(Action.VIEW_AUDIT)  # the log's reads know no city rules: this page checks who may read it
def audit(request, city):
    form = AuditFilterForm(request.GET or None)
    wanted = form.cleaned_data if form.is_valid() else {}
    events = queries.city_events(city, object_type=wanted.get("object_type", ""),
                                 object_id=wanted.get("object_id", ""))
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(request, "audit/audit.html", {
        **city_nav(request, city), "form": form, "page": page,
        "chain": queries.chain_status(city), "filter_query": filters.urlencode(),
        "object_types": queries.object_types(city),
        "may_erase": can(request.user, Action.ERASE_PERSONAL_DATA, city),
    })


@login_required
@city_page(Action.ERASE_PERSONAL_DATA)
def forget_person(request, city):
    """GET: the form. POST: what would be erased (a preview); POST with `confirm`: erase it."""
    form = ForgetPersonForm(request.POST if request.method == "POST" else None)
    match = None
    if request.method == "POST" and form.is_valid():
        try:
            if "confirm" in request.POST:
                result = services.forget_person(actor=request.user, city=city, reason=form.cleaned_data["reason"],
                                                **form.person())
                messages.success(request, _("Erased: %(payloads)s audit payloads and %(records)s records. The "
                                            "request is in the audit log.")
                                 % {"payloads": result.payloads, "records": len(result.records)})
                return redirect("audit:audit", city.slug)
            match = queries.find_person(city, **form.person())
        except ValidationError as exc:
            put_on_form(form, exc)
            if "confirm" in request.POST and "username" not in form.errors:
                match = queries.find_person(city, **form.person())
    return render(request, "audit/forget_person.html", {**city_nav(request, city), "form": form, "match": match})
