"""Meeting pages: recording and correcting a meeting (with its decisions and action items), reading it, its
minutes as Markdown and PDF, and an action item's status. Thin: queries for reads, services for writes, minutes
for exports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamasuk.audit.conflicts import StaleEdit
from tamasuk.cities.models import Area
from tamasuk.cities.permissions import Action, can
from tamasuk.cities.personal_data import PersonalDataFound
from tamasuk.web.conflicts import OPENED, require_opened, show_conflict
from tamasuk.web.decorators import city_page
from tamasuk.web.downloads import attachment
from tamasuk.web.nav import city_nav

from ..directory import queries as directory_queries
from ..models import ActionStatus
from . import minutes, queries, services
from .forms import (
    ActionItemForm,
    ActionItemFormSet,
    DecisionForm,
    DecisionFormSet,
    MeetingForm,
    StatusForm,
)


def _row_kwargs(request, city, f) -> dict:
    """What the decision and action-item rows offer: the profiles a decision may cite; an item's owner may be
    any organisation, the forum's members first; its areas are the city's wards."""
    orgs = list(directory_queries.organisations(request.user, city))
    member_ids = set(f.members.values_list("pk", flat=True))
    wards = directory_queries.leaf_areas(request.user, city)
    areas = Area.objects.filter(pk__in=[a.pk for a in wards]).order_by("code")
    return {"decisions": {"profiles": queries.profiles_to_cite(request.user, city)},
            "items": {"members": [o for o in orgs if o.pk in member_ids],
                      "others": [o for o in orgs if o.pk not in member_ids], "areas": areas}}


MAX_ROWS = {"decisions": 30, "items": 50}


def _meeting_forms(request, city, f, data, meeting=None):
    """The meeting form and its two formsets. Attendees are the forum's members (every organisation of the
    directory when the forum lists none; a corrected meeting keeps those it recorded)."""
    member_ids = set(f.members.values_list("pk", flat=True))
    attendee_qs = directory_queries.organisations(request.user, city)
    if member_ids:
        recorded = set(meeting.attendees.values_list("pk", flat=True)) if meeting else set()
        attendee_qs = attendee_qs.filter(pk__in=member_ids | recorded)
    initial = decision_rows = item_rows = None
    if meeting is not None:
        initial = {"date": meeting.date, "attendees": list(meeting.attendees.all()),
                   "people_present": meeting.people_present, "staff_present": meeting.staff_present,
                   "agenda": meeting.agenda, "information": meeting.information, "visibility": meeting.visibility,
                   OPENED: services.meeting_token(meeting)}
        decision_rows = [{"id": d.pk, "text": d.text, "profile": d.profile, "analysis_ref": d.analysis_ref}
                         for d in meeting.decisions.select_related("profile")]
        item_rows = [{"id": i.pk, "text": i.text, "owner": str(i.owner_id), "due": i.due, "areas": list(i.areas.all())}
                     for i in meeting.action_items.prefetch_related("areas")]
    form = MeetingForm(data, initial=initial, organisations=attendee_qs.order_by("name"))
    if meeting is not None:
        require_opened(form)
    kwargs = _row_kwargs(request, city, f)
    editing = meeting is not None
    decisions = DecisionFormSet(data, prefix="decisions", initial=decision_rows,
                                form_kwargs={**kwargs["decisions"], "editing": editing})
    items = ActionItemFormSet(data, prefix="items", initial=item_rows,
                              form_kwargs={**kwargs["items"], "editing": editing})
    return form, decisions, items


def _one_more_row(data) -> bool:
    """"One more row" without JavaScript: the form comes back with an extra row and what was typed."""
    more = data.get("more")
    if more not in MAX_ROWS:
        return False
    key = f"{more}-TOTAL_FORMS"
    try:
        data[key] = str(min(int(data.get(key, "0")) + 1, MAX_ROWS[more]))
    except ValueError:
        pass
    return True


def _decision_inputs(decisions):
    return [services.DecisionInput(text=d["text"], profile=d.get("profile"), analysis_ref=d.get("analysis_ref")
                                   or "", id=d.get("id"))
            for d in decisions.cleaned_data if d and not d.get("remove")]


def _item_inputs(items):
    return [services.ActionItemInput(text=i["text"], owner=i["owner"], due=i["due"],
                                     areas=list(i.get("areas") or []), id=i.get("id"))
            for i in items.cleaned_data if i and not i.get("remove")]


def _meeting_page(request, city, f, *, meeting=None):
    """Recording a meeting and correcting one: the same forms, checks and page; only the service differs."""
    data = None
    show_errors = request.method == "POST"
    if request.method == "POST":
        data = request.POST.copy()
        if _one_more_row(data):
            show_errors = False
    form, decisions, items = _meeting_forms(request, city, f, data, meeting=meeting)
    conflict = None
    if show_errors and form.is_valid() and decisions.is_valid() and items.is_valid():
        opened = form.cleaned_data.pop(OPENED)
        fields = {**form.cleaned_data, "decisions": _decision_inputs(decisions), "action_items": _item_inputs(items)}
        try:
            if meeting is None:
                saved = services.record_meeting(actor=request.user, forum=f, **fields)
            else:
                saved = services.update_meeting(
                    actor=request.user, meeting=meeting, opened=opened, **fields,
                    remove_decisions=[d["id"] for d in decisions.cleaned_data
                                      if d and d.get("remove") and d.get("id")],
                    remove_action_items=[i["id"] for i in items.cleaned_data if i and i.get("remove") and i.get("id")])
        except StaleEdit as stale:
            form.cleaned_data[OPENED] = opened
            conflict = show_conflict(form, stale, token=stale.token)
        except PersonalDataFound as exc:
            form.ask_to_confirm()
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Meeting recorded.") if meeting is None else
                             _("Meeting corrected. The audit log keeps what it was before."))
            return redirect("network:meeting", city.slug, saved.pk)
    return render(request, "network/meeting_form.html", {
        **city_nav(request, city), "forum": f, "forum_name": f.display_name(translation.get_language()),
        **({"meeting": meeting} if meeting else {}),
        "form": form, "decisions": decisions, "items": items, "show_errors": show_errors, "conflict": conflict,
    })


@login_required
@city_page(Action.EDIT_CITY_DATA)
def new_meeting(request, city, pk):
    return _meeting_page(request, city, queries.forum(request.user, city, pk))


@login_required
@city_page(Action.EDIT_CITY_DATA)
def edit_meeting(request, city, pk):
    m = queries.meeting(request.user, city, pk)
    return _meeting_page(request, city, m.forum, meeting=m)


@login_required
@city_page(Action.EDIT_CITY_DATA)
def meeting_row(request, city, pk, kind):
    """One more empty decision or action-item row, for htmx to append without reloading the page (the form's
    row count is swapped in beside it); the page's "one more row" button does the same without JavaScript."""
    f = queries.forum(request.user, city, pk)
    if kind not in MAX_ROWS:
        raise Http404
    try:
        n = max(0, int(request.GET.get(f"{kind}-TOTAL_FORMS", "0")))
    except ValueError:
        n = 0
    row = None
    if n < MAX_ROWS[kind]:
        form_class = DecisionForm if kind == "decisions" else ActionItemForm
        row = form_class(prefix=f"{kind}-{n}", **_row_kwargs(request, city, f)[kind])
        row.fields["text"].widget.attrs["autofocus"] = True  # htmx moves the focus into the new row
        n += 1
    return render(request, "network/_meeting_row.html", {"f": row, "n": n, "kind": kind, "total": n})


@login_required
@city_page(Action.READ_CITY_DATA)
def meeting(request, city, pk):
    m = queries.meeting(request.user, city, pk)
    today = timezone.localdate()
    notes = queries.may_read_notes(request.user, m)
    items = list(queries.action_items(request.user, city, meeting=m))
    return render(request, "network/meeting.html", {
        **city_nav(request, city), "meeting": m, "forum": m.forum,
        "forum_name": m.forum.display_name(translation.get_language()), "notes": notes,
        "decisions": [{"d": d, "allocation": minutes.allocation_summary(d.allocation, translation.get_language())
                       if d.allocation_id else None}
                      for d in m.decisions.select_related("profile", "allocation")] if notes else [],
        "items": [{"item": i, "overdue": i.is_overdue(today), "may_close": queries.may_set_status(
            request.user, i)} for i in items],
        "other_languages": [(c, n) for c, n in settings.LANGUAGES if c != translation.get_language()],
        "may_correct": can(request.user, Action.EDIT_CITY_DATA, city),
    })


def _minutes_language(request) -> str:
    lang = request.GET.get("lang", "")
    return lang if lang in dict(settings.LANGUAGES) else translation.get_language()


def _file_name(m, ext: str) -> str:
    return f"minutes-{slugify(m.forum.name) or 'forum'}-{m.date.isoformat()}.{ext}"


@login_required
@city_page(Action.READ_CITY_DATA)
def minutes_md(request, city, pk):
    m = queries.meeting(request.user, city, pk)
    queries.require_notes(request.user, m)
    with translation.override(_minutes_language(request)):
        text = minutes.markdown(m)
    return attachment(text, _file_name(m, "md"), "text/markdown; charset=utf-8")


@login_required
@city_page(Action.READ_CITY_DATA)
def minutes_pdf(request, city, pk):
    m = queries.meeting(request.user, city, pk)
    queries.require_notes(request.user, m)
    with translation.override(_minutes_language(request)):
        data = minutes.pdf(m)
    return attachment(data, _file_name(m, "pdf"), "application/pdf")


@require_POST
@login_required
@city_page(Action.READ_CITY_DATA)
def action_item_status(request, city, pk):
    item = queries.action_item(request.user, city, pk)
    if not queries.may_set_status(request.user, item):
        raise PermissionDenied
    form = StatusForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown status."))
    status = form.cleaned_data["status"] or ActionStatus.DONE  # the plain button marks the item done
    services.set_action_item_status(actor=request.user, item=item, status=status)
    said = {ActionStatus.DONE: _("Marked done: %(text)s"), ActionStatus.DROPPED: _("Dropped: %(text)s"),
            ActionStatus.OPEN: _("Reopened: %(text)s")}[ActionStatus(status)]
    messages.success(request, said % {"text": item.text[:80]})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = ""
    return redirect(target or "network:forum", *([] if target else [city.slug, item.meeting.forum_id]))
