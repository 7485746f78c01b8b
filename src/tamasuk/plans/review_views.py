"""Review cycles, plan versions and the diff between any two of them. Thin: queries read, services write.

Reading follows the plan (whoever may read it reads its reviews, versions and diffs); every write needs
Action.EDIT_PLAN. Errors from services come back as messages on the page the user was on.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tamasuk.cities import queries as city_queries
from tamasuk.cities.models import Visibility
from tamasuk.cities.permissions import Action, can
from tamasuk.web.decorators import city_page
from tamasuk.web.errors import as_text, put_on_form
from tamasuk.web.nav import city_nav
from tamasuk.web.params import whole_number

from . import queries, services
from .diff import RUNNING_FIELDS, diff
from .models import (
    Activity,
    ActivityStatus,
    Disaggregation,
    IndicatorKind,
    Objective,
    Pillar,
    Plan,
    PlanIndicator,
    PlanStatus,
    ReviewStatus,
    Target,
)
from .review_forms import TEXT_FIELDS, OpenReviewForm, ReviewForm
from .snapshots import plan_snapshot

CURRENT = "current"


# ---- reading helpers ----

def _review(user, city, pk: int):
    """The review, if the user may read its plan (reviews are addressed by their own id within the city)."""
    plan = queries.plans(user, city).filter(reviews__pk=pk).first()
    if plan is None:
        raise Http404
    review = queries.review(user, plan, pk)
    review.plan = plan
    return review


def _context(request, city, plan: Plan) -> dict:
    return {**city_nav(request, city), "plan": plan, "plan_title": plan.display_title(translation.get_language())}


def _in_force(plan: Plan):
    return plan.versions.filter(number=plan.adopted_version).first()


# ---- how changes are shown: item types and field names in the user's language, lists as members ----

ITEM_MODELS = {"pillar": Pillar, "objective": Objective, "activity": Activity, "indicator": PlanIndicator,
               "plan": Plan}
# Keys of a snapshot that are not model fields of the same name.
SNAPSHOT_LABELS = {
    "attached_to": gettext_lazy("attached to"),
    "targets": Target._meta.verbose_name_plural,
    "framework": gettext_lazy("national action plan"),
}
MEMBER_FIELDS = {"partners", "areas", "national_pillars", "disaggregation"}
CHOICES = {"status": ActivityStatus, "kind": IndicatorKind, "visibility": Visibility}


def _field_label(item_type: str, name: str) -> str:
    if name in SNAPSHOT_LABELS:
        return capfirst(SNAPSHOT_LABELS[name])
    try:
        field = ITEM_MODELS[item_type]._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return capfirst(getattr(field, "verbose_name", name))


def _type_label(item_type: str) -> str:
    return capfirst(ITEM_MODELS[item_type]._meta.verbose_name)


class _Names:
    """What codes in a snapshot stand for, looked up once per page: areas and national pillars by code."""

    def __init__(self, user, plan: Plan):
        self.user, self.plan = user, plan
        self._areas = None
        self._pillars = None

    def area(self, code: str) -> str:
        if self._areas is None:
            self._areas = dict(city_queries.areas(self.user, self.plan.city).values_list("code", "name"))
        name = self._areas.get(code)
        return f"{name} ({code})" if name else code

    def national_pillar(self, code: str) -> str:
        if self._pillars is None:
            self._pillars = ({p.code: p.title for p in self.plan.framework.pillars.all()}
                             if self.plan.framework_id else {})
        title = self._pillars.get(code)
        return f"{code} {title}" if title else code


def _value(name: str, value, names: _Names, currency: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in CHOICES:
        try:
            return str(CHOICES[name](value).label)
        except ValueError:
            return str(value)
    if name in ("budget", "baseline_value"):
        try:
            number = number_format(Decimal(value), force_grouping=True)
        except (InvalidOperation, TypeError):
            return str(value)
        return f"{number} {currency}" if name == "budget" else number
    return str(value)


def _member(name: str, value, names: _Names) -> str:
    if name == "areas":
        return names.area(value)
    if name == "national_pillars":
        return names.national_pillar(value)
    if name == "disaggregation":
        try:
            return str(Disaggregation(value).label)
        except ValueError:
            return str(value)
    return str(value)


def _field_row(item_type: str, name: str, before, after, names: _Names, currency: str) -> dict:
    row = {"name": name, "label": _field_label(item_type, name)}
    if name in MEMBER_FIELDS:
        was, now = list(before or []), list(after or [])
        row.update(kind="members", added=[_member(name, v, names) for v in now if v not in was],
                   removed=[_member(name, v, names) for v in was if v not in now])
    elif name == "targets":
        was, now = dict(before or {}), dict(after or {})
        row.update(kind="targets", years=[
            {"year": year, "before": _value("baseline_value", was.get(year), names, currency),
             "after": _value("baseline_value", now.get(year), names, currency)}
            for year in sorted(set(was) | set(now)) if was.get(year) != now.get(year)])
    else:
        row.update(kind="value", before=_value(name, before, names, currency),
                   after=_value(name, after, names, currency))
    return row


def present_changes(old: dict, new: dict, *, user, plan: Plan) -> dict:
    """Two snapshots' differences as the diff template shows them: grouped as added, removed and changed."""
    old, new = queries.readable_snapshot(user, plan, old), queries.readable_snapshot(user, plan, new)
    names = _Names(user, plan)
    currency = new.get("plan", {}).get("currency") or plan.currency
    # Status, dates, partners and description change as lead organisations run their activities: shown apart,
    # so the review's own decisions stand out.
    groups = {"added": [], "removed": [], "changed": [], "running": []}
    was_plan, now_plan = old.get("plan", {}), new.get("plan", {})
    plan_fields = [_field_row("plan", k, was_plan.get(k), now_plan.get(k), names, currency)
                   for k in sorted(set(was_plan) | set(now_plan)) if was_plan.get(k) != now_plan.get(k)]
    if plan_fields:
        groups["changed"].append({"type": _("Plan"), "item": "plan", "code": "", "title": now_plan.get("title", ""),
                                  "parent": "", "fields": plan_fields})
    parents = {"objective": _("in pillar %(code)s"), "activity": _("in objective %(code)s")}
    for change in diff(old.get("structure", {}), new.get("structure", {})):
        running = change.kind == "changed" and change.item_type == "activity" and \
            all(f.field in RUNNING_FIELDS for f in change.fields)
        groups["running" if running else change.kind].append({
            "type": _type_label(change.item_type), "item": change.item_type, "code": change.code, "title": change.title,
            "parent": (parents[change.item_type] % {"code": change.parent})
            if change.parent and change.item_type in parents else "",
            "fields": [_field_row(change.item_type, f.field, f.before, f.after, names, currency)
                       for f in change.fields],
        })
    return {"groups": [{"kind": kind, "items": items} for kind, items in groups.items() if kind != "running"],
            "running": groups["running"], "count": sum(len(items) for items in groups.values()),
            "design_count": sum(len(items) for kind, items in groups.items() if kind != "running")}


# ---- reviews ----

@login_required
@city_page(Action.VIEW_CITY)
def reviews(request, city, pk):
    plan = queries.plan(request.user, city, pk)
    may_edit = can(request.user, Action.EDIT_PLAN, plan)
    may_open = may_edit and plan.status in (PlanStatus.ADOPTED, PlanStatus.REVISED)
    form = None
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        form = OpenReviewForm(request.POST)
        if form.is_valid():
            try:
                review = services.open_review(actor=request.user, plan=plan, **form.cleaned_data)
            except ValidationError as exc:
                put_on_form(form, exc)
            else:
                messages.success(request, _("Review opened: the plan's structure can now be changed. Adopt the "
                                            "changes as a new version, or close the review without changes."))
                return redirect("plans:review", city.slug, review.pk)
    elif may_open:
        form = OpenReviewForm()
    rows = queries.reviews(request.user, plan).select_related("opened_by", "resulting_version")
    return render(request, "plans/reviews.html", {
        **_context(request, city, plan), "reviews": rows, "form": form, "may_edit": may_edit,
        "open_review": next((r for r in rows if r.status == ReviewStatus.OPEN), None),
    })


def _review_page(request, city, review, *, form=None, conflict=None, status=200):
    plan = review.plan
    may_edit = can(request.user, Action.EDIT_PLAN, plan) and review.status == ReviewStatus.OPEN
    if form is None and may_edit:
        form = ReviewForm.for_review(review)
    live = None
    in_force = _in_force(plan)
    if review.status == ReviewStatus.OPEN and in_force is not None:
        live = present_changes(in_force.snapshot, plan_snapshot(plan), user=request.user, plan=plan)
    resulting = getattr(review, "resulting_version", None) if review.status == ReviewStatus.ADOPTED else None
    by_field = {row["name"]: row for row in (conflict or {}).get("rows", [])}
    text_fields = [{"field": form[name], "conflict": by_field.get(name)} for name in TEXT_FIELDS] \
        if form is not None and may_edit else []
    saved_texts = [{"label": ReviewForm.base_fields[name].label, "text": getattr(review, name)}
                   for name in TEXT_FIELDS]
    return render(request, "plans/review.html", {
        **_context(request, city, plan), "review": review, "form": form if may_edit else None,
        "may_edit": may_edit, "conflict": conflict, "text_fields": text_fields, "saved_texts": saved_texts,
        "live": live, "in_force": in_force, "resulting": resulting,
        "current_diff": _diff_url(city, plan, in_force.number if in_force else 1, CURRENT),
        "resulting_diff": _diff_url(city, plan, resulting.number - 1, resulting.number) if resulting else "",
        "structure_token": services.structure_token(plan) if may_edit else "",
        # The report shows unsuppressed numbers: the city team's.
        "may_download_report": can(request.user, Action.VIEW_SMALL_CELLS, city),
    }, status=status)


def _conflict(form: ReviewForm, exc: services.StaleEdit) -> tuple[list[dict], dict]:
    """Field by field: what this writer typed, what the other person saved meanwhile, and what goes back into
    the box. A field only one of them changed takes that one's text; a field both changed keeps the writer's
    text in the box and shows the other text beside it, to be merged by hand."""
    yours, base = form.texts(), form.base()
    theirs = {f: (exc.current.get(f) or "").replace("\r\n", "\n") for f in TEXT_FIELDS}
    rows, boxes = [], {}
    for name in TEXT_FIELDS:
        if yours[name] == theirs[name] or theirs[name] == base[name]:
            state, boxes[name] = "same" if yours[name] == theirs[name] else "yours", yours[name]
        elif yours[name] == base[name]:
            state, boxes[name] = "theirs", theirs[name]
        else:
            state, boxes[name] = "both", yours[name]
        rows.append({"name": name, "label": form.fields[name].label, "state": state, "theirs": theirs[name],
                     "yours": yours[name]})
    return rows, boxes


@login_required
@city_page(Action.VIEW_CITY)
def review(request, city, pk):
    r = _review(request.user, city, pk)
    if request.method != "POST":
        return _review_page(request, city, r)
    if not can(request.user, Action.EDIT_PLAN, r.plan):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _review_page(request, city, r, form=form, status=400)
    try:
        services.update_review(actor=request.user, review=r, expected_version=form.cleaned_data["version"],
                               **form.texts())
    except services.StaleEdit as exc:
        fresh = exc.item
        fresh.plan = r.plan
        rows, boxes = _conflict(form, exc)
        # The new form starts from what the other person saved: saving it again is a deliberate overwrite.
        merged = ReviewForm.for_review(fresh, texts=boxes)
        conflict = {"rows": rows, "by": exc.by, "at": exc.at, "both": any(x["state"] == "both" for x in rows)}
        return _review_page(request, city, fresh, form=merged, conflict=conflict, status=409)
    except ValidationError as exc:
        messages.error(request, as_text(exc))
        r.refresh_from_db()
        return _review_page(request, city, r, form=form if r.status == ReviewStatus.OPEN else None, status=400)
    messages.success(request, _("Review saved."))
    return redirect("plans:review", city.slug, r.pk)


def _seen(request) -> dict:
    """The review's version and the plan's structure as the deciding page showed them (never trusted blank:
    a form without them is treated as one that saw nothing)."""
    version = whole_number(request.POST.get("version"))
    return {"expected_version": -1 if version is None else version,
            "expected_structure": request.POST.get("structure", "")}


@require_POST
@login_required
@city_page(Action.EDIT_PLAN)
def adopt_review(request, city, pk):
    r = _review(request.user, city, pk)
    try:
        version = services.adopt_review(actor=request.user, review=r, **_seen(request))
    except services.StaleEdit:
        messages.error(request, _("Someone changed the review meanwhile: read it again, then decide."))
        return redirect("plans:review", city.slug, r.pk)
    except ValidationError as exc:
        messages.error(request, as_text(exc))
        return redirect("plans:review", city.slug, r.pk)
    messages.success(request, _("The review's changes are adopted as version %(n)s of the plan.")
                     % {"n": version.number})
    return redirect(_diff_url(city, r.plan, version.number - 1, version.number))


@require_POST
@login_required
@city_page(Action.EDIT_PLAN)
def close_review(request, city, pk):
    r = _review(request.user, city, pk)
    try:
        services.close_review(actor=request.user, review=r, **_seen(request))
    except services.StaleEdit:
        messages.error(request, _("Someone changed the review meanwhile: read it again, then decide."))
    except ValidationError as exc:
        messages.error(request, as_text(exc))
    else:
        messages.success(request, _("The review is closed without changes; the plan stays at version %(n)s.")
                         % {"n": r.plan.adopted_version})
    return redirect("plans:review", city.slug, r.pk)


# ---- versions and diffs ----

def _diff_url(city, plan, old, new) -> str:
    return reverse("plans:diff", args=[city.slug, plan.pk]) + "?" + urlencode({"from": old, "to": new})


@login_required
@city_page(Action.VIEW_CITY)
def versions(request, city, pk):
    plan = queries.plan(request.user, city, pk)
    rows = list(plan.versions.select_related("review", "adopted_by").order_by("-number"))
    return render(request, "plans/versions.html", {
        **_context(request, city, plan), "versions": rows,
        "rows": [{"version": v, "diff": _diff_url(city, plan, v.number - 1, v.number) if v.number > 1 else ""}
                 for v in rows],
        "choices": [str(v.number) for v in reversed(rows)],
        "pick_from": str(rows[1].number) if len(rows) > 1 else (str(rows[0].number) if rows else ""),
        "pick_to": str(rows[0].number) if len(rows) > 1 else CURRENT,
        "editable": plan.is_editable,
    })


def _pick(value: str, numbers: list[int]):
    if value == CURRENT:
        return CURRENT
    number = whole_number(value)
    return number if number in numbers else None


@login_required
@city_page(Action.VIEW_CITY)
def diff_page(request, city, pk):
    plan = queries.plan(request.user, city, pk)
    all_versions = list(plan.versions.select_related("review", "adopted_by").order_by("number"))
    numbers = [v.number for v in all_versions]
    context = {**_context(request, city, plan), "choices": [str(n) for n in numbers]}
    if not all_versions:
        return render(request, "plans/diff.html", {**context, "no_versions": True})
    default_from = numbers[-2] if len(numbers) > 1 else numbers[-1]
    default_to = numbers[-1] if len(numbers) > 1 else CURRENT
    old = _pick(request.GET.get("from", str(default_from)), numbers)
    new = _pick(request.GET.get("to", str(default_to)), numbers)
    if old is None or new is None:
        messages.error(request, _("Pick two of the plan's versions (%(numbers)s) or its current state.")
                       % {"numbers": ", ".join(map(str, numbers))})
        return render(request, "plans/diff.html", {**context, "pick_from": str(default_from),
                                                   "pick_to": str(default_to), "bad_pick": True}, status=400)
    # Newer on the right, whichever way round the two were picked.
    if old == CURRENT or (new != CURRENT and old > new):
        old, new = new, old
    by_number = {v.number: v for v in all_versions}
    before = by_number[old].snapshot if old != CURRENT else plan_snapshot(plan)
    after = by_number[new].snapshot if new != CURRENT else plan_snapshot(plan)
    last = numbers[-1] if new == CURRENT else new
    first = old if old != CURRENT else last
    reasons = [v for v in all_versions if first < v.number <= last]
    open_review = None
    if new == CURRENT:
        open_review = next((r for r in queries.reviews(request.user, plan) if r.status == ReviewStatus.OPEN), None)
    return render(request, "plans/diff.html", {
        **context, "old": old, "new": new, "old_version": by_number.get(old), "new_version": by_number.get(new),
        "reasons": reasons, "open_review": open_review, "changes": present_changes(before, after,
                                                                                    user=request.user, plan=plan),
        "pick_from": str(old), "pick_to": str(new), "current": CURRENT,
    })
