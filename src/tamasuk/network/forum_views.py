"""Coordination forum pages. Thin: forum_queries for reads, forum_services for writes, forum_minutes for exports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamasuk.cities.models import Area
from tamasuk.cities.permissions import Action, can
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav

from . import forum_minutes, forum_queries, forum_services, queries
from .forum_forms import ActionItemFormSet, DecisionFormSet, ForumForm, MeetingForm, StatusForm
from .forums import ActionStatus
from .personal_data import PersonalDataFound
from .views import _leaf_areas


@login_required
@city_page(Action.READ_CITY_DATA)
def forums(request, city):
    may_add = can(request.user, Action.EDIT_CITY_DATA, city)
    form = None
    if may_add:
        form = ForumForm(request.POST if request.method == "POST" else None,
                         organisations=queries.organisations(request.user, city).filter(is_member=True))
        if request.method == "POST" and form.is_valid():
            try:
                forum = forum_services.create_forum(actor=request.user, city=city, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Forum created."))
                return redirect("network:forum", city.slug, forum.pk)
    elif request.method == "POST":
        raise PermissionDenied
    today = timezone.localdate()
    items = list(forum_queries.action_items(request.user, city, status=ActionStatus.OPEN))
    rows = []
    for f in forum_queries.forums(request.user, city):
        mine = [i for i in items if i.meeting.forum_id == f.pk]
        meetings = forum_queries.meetings(request.user, city, f)
        rows.append({"forum": f, "name": f.display_name(translation.get_language()),
                     "last": meetings.filter(date__lte=today).first(),
                     "next": meetings.filter(date__gt=today).order_by("date").first(),
                     "open": len(mine), "overdue": sum(i.is_overdue(today) for i in mine)})
    return render(request, "network/forums.html", {**city_nav(request, city), "rows": rows, "form": form})


@login_required
@city_page(Action.READ_CITY_DATA)
def forum(request, city, pk):
    f = forum_queries.forum(request.user, city, pk)
    today = timezone.localdate()
    meetings = list(forum_queries.meetings(request.user, city, f))
    items = list(forum_queries.action_items(request.user, city, forum=f, status=ActionStatus.OPEN))
    items.sort(key=lambda i: (not i.is_overdue(today), i.due, i.pk))
    return render(request, "network/forum.html", {
        **city_nav(request, city), "forum": f, "forum_name": f.display_name(translation.get_language()),
        "members": f.members.all(), "today": today,
        "upcoming": sorted((m for m in meetings if m.date > today), key=lambda m: m.date),
        "past": [m for m in meetings if m.date <= today],
        "items": [{"item": i, "overdue": i.is_overdue(today), "may_close": forum_queries.may_set_status(
            request.user, i)} for i in items],
        "digest": forum_queries.digest(items, today),
        "may_record": can(request.user, Action.EDIT_CITY_DATA, city),
        "is_city_team": can(request.user, Action.VIEW_SMALL_CELLS, city),
    })


def _meeting_forms(request, city, f, data):
    """The meeting form and its two formsets. Attendees are the forum's members (every organisation of the
    directory when the forum lists none); an action item's owner may be any organisation, members first."""
    orgs = list(queries.organisations(request.user, city))
    member_ids = set(f.members.values_list("pk", flat=True))
    members = [o for o in orgs if o.pk in member_ids]
    others = [o for o in orgs if o.pk not in member_ids]
    attendee_qs = queries.organisations(request.user, city)
    if member_ids:
        attendee_qs = attendee_qs.filter(pk__in=member_ids)
    form = MeetingForm(data, organisations=attendee_qs.order_by("name"))
    decisions = DecisionFormSet(data, prefix="decisions",
                                form_kwargs={"profiles": forum_queries.profiles_to_cite(request.user, city)})
    areas = Area.objects.filter(pk__in=[a.pk for a in _leaf_areas(request.user, city)]).order_by("code")
    items = ActionItemFormSet(data, prefix="items", form_kwargs={"members": members, "others": others,
                                                                  "areas": areas})
    return form, decisions, items


@login_required
@city_page(Action.EDIT_CITY_DATA)
def new_meeting(request, city, pk):
    f = forum_queries.forum(request.user, city, pk)
    data = None
    show_errors = request.method == "POST"
    if request.method == "POST":
        data = request.POST.copy()
        more = data.get("more")
        if more in {"decisions", "items"}:  # "one more row", without JavaScript: keep what was typed
            key = f"{more}-TOTAL_FORMS"
            try:
                data[key] = str(min(int(data.get(key, "0")) + 1, 30 if more == "decisions" else 50))
            except ValueError:
                pass
            show_errors = False
    form, decisions, items = _meeting_forms(request, city, f, data)
    if show_errors and form.is_valid() and decisions.is_valid() and items.is_valid():
        try:
            meeting = forum_services.record_meeting(
                actor=request.user, forum=f, **form.cleaned_data,
                decisions=[forum_services.DecisionInput(text=d["text"], profile=d.get("profile"),
                                                        analysis_ref=d.get("analysis_ref") or "")
                           for d in decisions.cleaned_data if d],
                action_items=[forum_services.ActionItemInput(text=i["text"], owner=i["owner"], due=i["due"],
                                                             areas=list(i.get("areas") or []))
                              for i in items.cleaned_data if i])
        except PersonalDataFound as exc:
            form.ask_to_confirm()
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect("network:meeting", city.slug, meeting.pk)
    return render(request, "network/meeting_form.html", {
        **city_nav(request, city), "forum": f, "forum_name": f.display_name(translation.get_language()),
        "form": form, "decisions": decisions, "items": items, "show_errors": show_errors,
    })


@login_required
@city_page(Action.READ_CITY_DATA)
def meeting(request, city, pk):
    m = forum_queries.meeting(request.user, city, pk)
    today = timezone.localdate()
    notes = forum_queries.may_read_notes(request.user, m)
    items = list(forum_queries.action_items(request.user, city, meeting=m))
    return render(request, "network/meeting.html", {
        **city_nav(request, city), "meeting": m, "forum": m.forum,
        "forum_name": m.forum.display_name(translation.get_language()), "notes": notes,
        "decisions": [{"d": d, "allocation": forum_minutes.allocation_summary(d.allocation, translation.get_language())
                       if d.allocation_id else None}
                      for d in m.decisions.select_related("profile", "allocation")] if notes else [],
        "items": [{"item": i, "overdue": i.is_overdue(today), "may_close": forum_queries.may_set_status(
            request.user, i)} for i in items],
        "other_languages": [(c, n) for c, n in settings.LANGUAGES if c != translation.get_language()],
    })


def _minutes_language(request) -> str:
    lang = request.GET.get("lang", "")
    return lang if lang in dict(settings.LANGUAGES) else translation.get_language()


def _file_name(m, ext: str) -> str:
    return f"minutes-{slugify(m.forum.name) or 'forum'}-{m.date.isoformat()}.{ext}"


@login_required
@city_page(Action.READ_CITY_DATA)
def minutes_md(request, city, pk):
    m = forum_queries.meeting(request.user, city, pk)
    forum_queries.require_notes(request.user, m)
    with translation.override(_minutes_language(request)):
        text = forum_minutes.markdown(m)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(m, "md")}"'
    return response


@login_required
@city_page(Action.READ_CITY_DATA)
def minutes_pdf(request, city, pk):
    m = forum_queries.meeting(request.user, city, pk)
    forum_queries.require_notes(request.user, m)
    with translation.override(_minutes_language(request)):
        data = forum_minutes.pdf(m)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(m, "pdf")}"'
    return response


@require_POST
@login_required
@city_page(Action.READ_CITY_DATA)
def action_item_status(request, city, pk):
    item = forum_queries.action_item(request.user, city, pk)
    if not forum_queries.may_set_status(request.user, item):
        raise PermissionDenied
    form = StatusForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown status."))
    status = form.cleaned_data["status"] or ActionStatus.DONE  # the plain button marks the item done
    forum_services.set_action_item_status(actor=request.user, item=item, status=status)
    said = {ActionStatus.DONE: _("Marked done: %(text)s"), ActionStatus.DROPPED: _("Dropped: %(text)s"),
            ActionStatus.OPEN: _("Reopened: %(text)s")}[ActionStatus(status)]
    messages.success(request, said % {"text": item.text[:80]})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = ""
    return redirect(target or "network:forum", *([] if target else [city.slug, item.meeting.forum_id]))
