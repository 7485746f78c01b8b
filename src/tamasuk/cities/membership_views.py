"""A city's members: who has which role, added, changed and removed by the city's administrator."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamasuk.web.decorators import city_page
from tamasuk.web.errors import as_text, put_on_form
from tamasuk.web.nav import city_nav

from . import queries, services
from .forms import AddMemberForm, ChangeMemberForm
from .models import ROLES_A_CITY_ADMIN_GRANTS, Membership
from .permissions import Action


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
            return redirect("cities:memberships", city.slug)
    # A national liaison's role is the operator's to change: it is shown, not offered for editing.
    rows = [(m, ChangeMemberForm(initial={"role": m.role, "ends_on": m.ends_on}, prefix=f"m{m.pk}")
             if m.role in ROLES_A_CITY_ADMIN_GRANTS else None,
             not services.reset_link_refusal(actor=request.user, membership=m))
            for m in queries.memberships(request.user, city)]
    return render(request, "cities/memberships.html", {**city_nav(request, city), "form": form, "rows": rows})


@require_POST
@login_required
@city_page(Action.MANAGE_MEMBERSHIPS)
def membership_change(request, city, pk):
    membership = get_object_or_404(Membership, pk=pk, city=city)
    if "reset_link" in request.POST:
        try:
            path = services.password_reset_link(actor=request.user, membership=membership)
        except ValidationError as exc:
            messages.error(request, as_text(exc))
        else:
            messages.warning(request, _("A one-time link for %(user)s to set a new password, shown only now; hand it "
                                        "over in person or by a private message: %(link)s")
                             # The address isolated left-to-right, so an Arabic page shows it as it must be typed.
                             % {"user": membership.user.username,
                                "link": "\u2066" + request.build_absolute_uri(path) + "\u2069"})
        return redirect("cities:memberships", city.slug)
    if "revoke" in request.POST:
        try:
            services.revoke_membership(actor=request.user, membership=membership)
            messages.success(request, _("Removed %(user)s from the city.") % {"user": membership.user.username})
        except ValidationError as exc:
            messages.error(request, as_text(exc))
        return redirect("cities:memberships", city.slug)
    form = ChangeMemberForm(request.POST, prefix=f"m{pk}")
    if form.is_valid():
        try:
            services.change_membership(actor=request.user, membership=membership, **form.cleaned_data)
            messages.success(request, _("Saved %(user)s's role.") % {"user": membership.user.username})
        except ValidationError as exc:
            messages.error(request, as_text(exc))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("cities:memberships", city.slug)
