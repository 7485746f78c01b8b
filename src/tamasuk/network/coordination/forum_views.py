"""Coordination forum pages: the forums, one forum with its meetings and open action items, editing a forum.
Thin: queries for reads, services for writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tamasuk.cities.permissions import Action, can
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav

from ..directory import queries as directory_queries
from ..models import ActionStatus
from . import queries, services
from .forms import ForumForm


@login_required
@city_page(Action.READ_CITY_DATA)
def forums(request, city):
    may_add = can(request.user, Action.EDIT_CITY_DATA, city)
    form = None
    if may_add:
        form = ForumForm(request.POST if request.method == "POST" else None,
                         organisations=directory_queries.organisations(request.user, city).filter(is_member=True))
        if request.method == "POST" and form.is_valid():
            try:
                forum = services.create_forum(actor=request.user, city=city, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Forum created."))
                return redirect("network:forum", city.slug, forum.pk)
    elif request.method == "POST":
        raise PermissionDenied
    today = timezone.localdate()
    items = list(queries.action_items(request.user, city, status=ActionStatus.OPEN))
    rows = []
    for f in queries.forums(request.user, city):
        mine = [i for i in items if i.meeting.forum_id == f.pk]
        meetings = queries.meetings(request.user, city, f)
        rows.append({"forum": f, "name": f.display_name(translation.get_language()),
                     "last": meetings.filter(date__lte=today).first(),
                     "next": meetings.filter(date__gt=today).order_by("date").first(),
                     "open": len(mine), "overdue": sum(i.is_overdue(today) for i in mine)})
    return render(request, "network/forums.html", {**city_nav(request, city), "rows": rows, "form": form})


@login_required
@city_page(Action.READ_CITY_DATA)
def forum(request, city, pk):
    f = queries.forum(request.user, city, pk)
    today = timezone.localdate()
    meetings = list(queries.meetings(request.user, city, f))
    items = list(queries.action_items(request.user, city, forum=f, status=ActionStatus.OPEN))
    items.sort(key=lambda i: (not i.is_overdue(today), i.due, i.pk))
    return render(request, "network/forum.html", {
        **city_nav(request, city), "forum": f, "forum_name": f.display_name(translation.get_language()),
        "members": f.members.all(), "today": today,
        "upcoming": sorted((m for m in meetings if m.date > today), key=lambda m: m.date),
        "past": [m for m in meetings if m.date <= today],
        "items": [{"item": i, "overdue": i.is_overdue(today), "may_close": queries.may_set_status(
            request.user, i)} for i in items],
        "digest": queries.digest(items, today),
        "may_record": can(request.user, Action.EDIT_CITY_DATA, city),
        "is_city_team": can(request.user, Action.VIEW_SMALL_CELLS, city),
    })


@login_required
@city_page(Action.EDIT_CITY_DATA)
def edit_forum(request, city, pk):
    f = queries.forum(request.user, city, pk)
    form = ForumForm(request.POST if request.method == "POST" else None,
                     initial={"name": f.name, "rhythm": f.rhythm, "description": f.description,
                              "members": list(f.members.all())},
                     organisations=directory_queries.organisations(request.user, city).filter(
                         Q(is_member=True) | Q(pk__in=f.members.values("pk"))).order_by("name"))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_forum(actor=request.user, forum=f, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Forum saved. The audit log keeps what it was before."))
            return redirect("network:forum", city.slug, f.pk)
    return render(request, "network/forum_form.html", {
        **city_nav(request, city), "forum": f, "forum_name": f.display_name(translation.get_language()),
        "form": form})
