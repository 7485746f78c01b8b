"""Plan pages: the list, the implementation matrix, editing with conflict detection, progress and evidence.

Thin: queries for reads, services for writes. A stale save (someone else saved the item after this form was
opened) re-renders the form with the user's values kept and the other person's saved values beside them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from tamasuk.cities.permissions import Action, can, require
from tamasuk.cities.personal_data import PersonalDataFound
from tamasuk.mapping.models import Indicator
from tamasuk.network.directory import queries as network_queries
from tamasuk.web.conflicts import show_conflict
from tamasuk.web.decorators import city_page
from tamasuk.web.errors import as_text, put_on_form
from tamasuk.web.nav import city_nav
from tamasuk.web.params import whole_number

from . import dashboard as dashboards
from . import queries, services
from .forms import (
    ActivityForm,
    ActualsForm,
    IndicatorForm,
    ObjectiveForm,
    PillarForm,
    PlanForm,
    ProgressForm,
    plain,
)
from .models import Activity, Objective, Pillar, PlanIndicator, ProgressStatus

KINDS = {"pillar": Pillar, "objective": Objective, "activity": Activity, "indicator": PlanIndicator}


@login_required
@city_page(Action.VIEW_CITY)
def plans(request, city):
    may_create = can(request.user, Action.EDIT_PLAN, city)
    form = None
    if may_create:
        form = PlanForm(request.POST if request.method == "POST" else None,
                        frameworks=queries.frameworks(request.user, city.country))
        if request.method == "POST" and form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                plan = services.create_plan(actor=request.user, city=city, **data)
            except ValidationError as exc:
                put_on_form(form, exc)
            else:
                messages.success(request, _("Plan created as a draft. Add its pillars, objectives and activities."))
                return redirect("plans:plan", city.slug, plan.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "plans/plans.html", {**city_nav(request, city), "plans": queries.plans(request.user, city),
                                                "form": form})


def _plan_links(user, city, plan) -> list[dict]:
    """The plan's other pages this reader may open."""
    links = [("plans:dashboard", _("Dashboard"), True),
             ("plans:reporting", _("Reporting by quarter"), True),
             ("plans:reviews", _("Reviews"), True),
             ("plans:versions", _("Versions and changes"), True),
             ("plans:iati", _("IATI XML"), can(user, Action.EXPORT, plan)),
             ("plans:evidence_pack", _("Evidence pack for auditors"), can(user, Action.VIEW_AUDIT, plan))]
    out = []
    for name, label, allowed in links:
        if allowed:
            try:
                out.append({"url": reverse(name, args=[city.slug, plan.pk]), "label": label})
            except NoReverseMatch:
                continue
    return out


def _matrix(user, plan, today):
    """Pillars → objectives → activities, each activity with its status by the dashboard's rule (a stale report
    is not news that it is on track), for the matrix table."""
    by_objective = {}
    for state in dashboards.activity_states(user, plan, today=today):
        a = state.activity
        by_objective.setdefault(a.objective_id, []).append({
            "activity": a, "state": state, "may_edit": can(user, Action.EDIT_ACTIVITY, a)})
    rows = []
    for pillar in plan.pillars.prefetch_related("objectives"):
        rows.append({"pillar": pillar, "objectives": [
            {"objective": o, "activities": by_objective.get(o.pk, [])} for o in pillar.objectives.all()]})
    return rows


@require_safe
@login_required
@city_page(Action.VIEW_CITY)
def plan(request, city, pk):
    p = queries.plan(request.user, city, pk)
    years = list(range(p.start_year, p.end_year + 1))
    today = dashboards.city_today(city)
    indicators = dashboards.indicator_table(
        request.user, p, today=today, may_record=lambda i: p.is_in_force and _may_record_actuals(request.user, i))
    may_edit = can(request.user, Action.EDIT_PLAN, p) and p.is_editable
    return render(request, "plans/plan.html", {
        "plan_links": _plan_links(request.user, city, p),
        **city_nav(request, city), "plan": p, "plan_title": p.display_title(translation.get_language()),
        "rows": _matrix(request.user, p, today), "indicators": indicators, "years": years,
        "may_edit": may_edit, "may_manage": can(request.user, Action.EDIT_PLAN, p),
        "may_export": can(request.user, Action.EXPORT, p), "may_audit": can(request.user, Action.VIEW_AUDIT, p),
        "structure_token": services.structure_token(p) if p.status == "draft" else "",
        "is_city_team": can(request.user, Action.VIEW_SMALL_CELLS, p),
        "versions": p.versions.order_by("-number"),
    })


@login_required
@city_page(Action.EDIT_PLAN)
def edit_plan(request, city, pk):
    p = queries.plan(request.user, city, pk)
    initial = {"title": p.title, "start_year": p.start_year, "end_year": p.end_year, "framework": p.framework,
               "currency": p.currency, "visibility": p.visibility, "iati_organisation": p.iati_organisation,
               "version": p.version}
    form = _versioned(PlanForm(request.POST if request.method == "POST" else None, initial=initial,
                               frameworks=queries.frameworks(request.user, city.country)))
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.update_plan(actor=request.user, plan=p, expected_version=form.cleaned_data["version"], **data)
        except services.StaleEdit as stale:
            conflict = _conflict(form, stale)
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            messages.success(request, _("Plan saved."))
            return redirect("plans:plan", city.slug, p.pk)
    return render(request, "plans/item_form.html", {
        **city_nav(request, city), "plan": p, "form": form, "conflict": conflict,
        "heading": _("Plan details")})


@login_required
@city_page(Action.EDIT_PLAN)
@require_POST
def adopt(request, city, pk):
    p = queries.plan(request.user, city, pk)
    try:
        version = services.adopt_plan(actor=request.user, plan=p, reason=request.POST.get("reason", ""),
                                      expected_version=whole_number(request.POST.get("version")) or -1,
                                      expected_structure=request.POST.get("structure", ""))
    except services.StaleEdit:
        messages.error(request, _("Someone changed the plan meanwhile: check it, then adopt again."))
    except ValidationError as exc:
        messages.error(request, as_text(exc))
    else:
        messages.success(request, _("Plan adopted: version %(n)s is in force.") % {"n": version.number})
    return redirect("plans:plan", city.slug, p.pk)


def _versioned(form):
    """An editing form must say which version it was opened on: without it a save could overwrite unseen."""
    form.fields["version"].required = True
    form.fields["version"].error_messages["required"] = _("This form is out of date: open it again.")
    return form


def _item_form(kind, plan, user, data=None, initial=None, running_only=False, files=None):
    city = plan.city
    if kind == "pillar":
        return PillarForm(data, initial=initial)
    if kind == "objective":
        return ObjectiveForm(data, initial=initial, plan=plan)
    if kind == "activity":
        return ActivityForm(data, initial=initial, plan=plan,
                            organisations=network_queries.organisations(user, city).order_by("name"),
                            areas=city.areas.order_by("level", "code"), running_only=running_only)
    return IndicatorForm(data, initial=initial, plan=plan,
                         mapping_indicators=Indicator.objects.filter(city=city).order_by("code"))


def _item_initial(kind, item) -> dict:
    if kind == "pillar":
        return {"code": item.code, "title": item.title, "version": item.version}
    if kind == "objective":
        return {"pillar": item.pillar, "code": item.code, "title": item.title, "version": item.version}
    if kind == "activity":
        return {"objective": item.objective, "code": item.code, "title": item.title, "description": item.description,
                "lead": item.lead, "partners": list(item.partners.all()), "areas": list(item.areas.all()),
                "budget": item.budget, "start": item.start, "end": item.end, "status": item.status,
                "national_pillars": list(item.national_pillars.all()), "version": item.version}
    attached = (f"activity:{item.activity_id}" if item.activity_id else
                f"objective:{item.objective_id}" if item.objective_id else "")
    data = {"code": item.code, "name": item.name, "unit": item.unit, "kind": item.kind, "attached_to": attached,
            "mapping_indicator": item.mapping_indicator, "counts_people": item.counts_people,
            "higher_is_better": item.higher_is_better, "baseline_value": plain(item.baseline_value),
            "baseline_date": item.baseline_date, "disaggregation": item.disaggregation, "version": item.version}
    data.update({f"target_{t.year}": plain(t.value) for t in item.targets.all()})
    return data


def _service_data(kind, form) -> dict:
    if kind == "indicator":
        return form.service_kwargs()
    return {k: v for k, v in form.cleaned_data.items() if k != "version"}


def _conflict(form, stale: services.StaleEdit) -> dict:
    """What the other person saved beside what this user typed (web.conflicts); the form now carries the new
    version. A plan indicator's targets and attachment are named as its form names them."""
    current = dict(stale.current)
    for year, value in (current.pop("targets", None) or {}).items():
        current[f"target_{year}"] = value
    if "objective" in current and "activity" in current and "attached_to" in form.fields:
        current["attached_to"] = (f"activity:{current['activity']}" if current["activity"] else
                                  f"objective:{current['objective']}" if current["objective"] else "")
    return show_conflict(form, stale, token=stale.item.version, current=current, field="version")


@login_required
@city_page(Action.EDIT_PLAN)
def new_item(request, city, pk, kind):
    p = queries.plan(request.user, city, pk)
    if kind not in KINDS:
        raise Http404
    if not p.is_editable:
        messages.error(request, _("The plan's structure changes only while it is a draft or under review."))
        return redirect("plans:plan", city.slug, p.pk)
    initial = {}
    if kind == "objective" and (pk_ := whole_number(request.GET.get("pillar"))):
        initial["pillar"] = p.pillars.filter(pk=pk_).first()
    if kind == "activity" and (pk_ := whole_number(request.GET.get("objective"))):
        initial["objective"] = p.objectives.filter(pk=pk_).first()
    if kind == "activity":
        initial.update({"start": f"{p.start_year}-01-01", "end": f"{p.end_year}-12-31"})
    form = _item_form(kind, p, request.user, request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = _service_data(kind, form)
        try:
            if kind == "pillar":
                services.add_pillar(actor=request.user, plan=p, **data)
            elif kind == "objective":
                services.add_objective(actor=request.user, **data)
            elif kind == "activity":
                services.add_activity(actor=request.user, **data)
            else:
                services.add_indicator(actor=request.user, plan=p, **data)
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            messages.success(request, _("Added."))
            return redirect(f"{_plan_url(city, p)}#{kind}s")
    return render(request, "plans/item_form.html", {
        **city_nav(request, city), "plan": p, "form": form, "kind": kind,
        "heading": {"pillar": _("New pillar"), "objective": _("New objective"), "activity": _("New activity"),
                    "indicator": _("New indicator")}[kind]})


def _plan_url(city, plan) -> str:
    return reverse("plans:plan", args=[city.slug, plan.pk])


@login_required
@city_page(Action.VIEW_CITY)
def edit_item(request, city, pk, kind, item_pk):
    p = queries.plan(request.user, city, pk)
    model = KINDS.get(kind)
    if model is None:
        raise Http404
    item = model.objects.filter(plan=p, pk=item_pk).first()
    if item is None:
        raise Http404
    # A focal point edits the activities its organisation leads; the rest of the structure is the coordinators'.
    if kind == "activity":
        require(request.user, Action.EDIT_ACTIVITY, item)
    else:
        require(request.user, Action.EDIT_PLAN, p)
    # The design of an activity (lead, budget, objective, areas) is the coordinators'; a focal point, and anyone
    # while the plan is in force, changes how it runs.
    running_only = kind == "activity" and (not p.is_editable or not can(request.user, Action.EDIT_PLAN, p))
    if not p.is_editable and not (running_only and p.is_in_force):
        messages.error(request, _("The plan's structure changes only while it is a draft or under review."))
        return redirect("plans:plan", city.slug, p.pk)
    form = _versioned(_item_form(kind, p, request.user, request.POST if request.method == "POST" else None,
                                 initial=_item_initial(kind, item), running_only=running_only))
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = _service_data(kind, form)
        try:
            services.update_item(actor=request.user, item=item, expected_version=form.cleaned_data["version"],
                                 **data)
        except services.StaleEdit as stale:
            conflict = _conflict(form, stale)
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            if kind == "activity":
                return redirect("plans:activity", city.slug, p.pk, item.pk)
            return redirect(f"{_plan_url(city, p)}#{kind}s")
    return render(request, "plans/item_form.html", {
        **city_nav(request, city), "plan": p, "form": form, "kind": kind, "item": item, "conflict": conflict,
        "running_only": running_only,
        "may_remove": p.is_editable and can(request.user, Action.EDIT_PLAN, p),
        "heading": _("Edit %(item)s") % {"item": item}})


@login_required
@city_page(Action.EDIT_PLAN)
@require_POST
def remove_item(request, city, pk, kind, item_pk):
    p = queries.plan(request.user, city, pk)
    model = KINDS.get(kind)
    item = model.objects.filter(plan=p, pk=item_pk).first() if model else None
    if item is None:
        raise Http404
    try:
        services.remove_item(actor=request.user, item=item, expected_version=whole_number(request.POST.get("version")) or -1)
    except services.StaleEdit:
        messages.error(request, _("Someone changed it meanwhile: look again before removing it."))
    except ValidationError as exc:
        messages.error(request, as_text(exc))
    else:
        messages.success(request, _("Removed."))
    return redirect("plans:plan", city.slug, p.pk)


def _may_record_actuals(user, indicator) -> bool:
    if indicator.activity_id:
        return can(user, Action.EDIT_ACTIVITY, indicator.activity)
    return can(user, Action.EDIT_PLAN, indicator.plan)


@require_safe
@login_required
@city_page(Action.VIEW_CITY)
def activity(request, city, pk, activity_pk):
    p = queries.plan(request.user, city, pk)
    a = queries.activity(request.user, p, activity_pk)
    details = queries.reads_details(request.user, p)
    may_edit = can(request.user, Action.EDIT_ACTIVITY, a)
    language = translation.get_language()
    return render(request, "plans/activity.html", {
        **city_nav(request, city), "plan": p, "activity": a, "title": a.display_title(language),
        "updates": queries.progress(request.user, p, activity=a) if details else [],
        "state": dashboards.activity_states(request.user, p, activities=[a])[0],
        "details": details, "may_read_evidence": queries.may_read_evidence(request.user, a),
        "may_edit": may_edit and (p.is_editable or p.is_in_force),
        "may_record": may_edit and p.is_in_force,
        "indicators": [{"indicator": i, "may_record": p.is_in_force and _may_record_actuals(request.user, i)}
                       for i in queries.indicators(request.user, p).filter(activity=a)],
        "areas": [x.display_name(language) for x in a.areas.all()],
        "may_audit": can(request.user, Action.VIEW_AUDIT, city),
    })


@login_required
@city_page(Action.VIEW_CITY)
def record_progress(request, city, pk, activity_pk):
    p = queries.plan(request.user, city, pk)
    a = queries.activity(request.user, p, activity_pk)
    require(request.user, Action.EDIT_ACTIVITY, a)
    if not p.is_in_force:
        messages.error(request, _("Progress is recorded once the plan is adopted."))
        return redirect("plans:activity", city.slug, p.pk, a.pk)
    # A correction is opened for one quarter; a new update names its quarter when saved.
    period = request.POST.get("opened_period") if request.method == "POST" else request.GET.get("period")
    existing = a.progress.filter(period=period).first() if period else None
    initial = {"status": ProgressStatus.ON_TRACK}
    if existing:
        initial = {"period": existing.period, "status": existing.status, "narrative": existing.narrative,
                   "spent": existing.spent, "version": existing.version, "opened_period": existing.period}
    max_mb = round(settings.EVIDENCE_MAX_BYTES / 1048576, 1)
    form = ProgressForm(request.POST if request.method == "POST" else None,
                        request.FILES if request.method == "POST" else None,
                        initial=initial, currency=p.currency, max_mb=max_mb, max_bytes=settings.EVIDENCE_MAX_BYTES)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        uploads = [services.EvidenceInput(name=f.name, data=f.read(), content_type=f.content_type or "")
                   for f in data["evidence"]]
        try:
            services.record_progress(actor=request.user, activity=a, period=data["period"], status=data["status"],
                                     narrative=data["narrative"], spent=data["spent"], evidence=uploads,
                                     expected_version=data["version"],
                                     confirmed_not_personal=data["confirmed_not_personal"])
        except services.StaleEdit as stale:
            conflict = _conflict(form, stale)
            form.data["opened_period"] = data["period"]  # saving again corrects the quarter now known to exist
        except ValidationError as exc:
            put_on_form(form, exc)
            if isinstance(exc, PersonalDataFound):
                form.ask_to_confirm()
        else:
            messages.success(request, _("Progress for %(period)s recorded.") % {"period": data["period"]})
            return redirect("plans:activity", city.slug, p.pk, a.pk)
    return render(request, "plans/progress_form.html", {
        **city_nav(request, city), "plan": p, "activity": a, "form": form, "existing": existing,
        "conflict": conflict})


@require_safe
@login_required
@city_page(Action.VIEW_CITY)
def evidence(request, city, pk):
    item = queries.evidence(request.user, city, pk)
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name,
                            content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@city_page(Action.VIEW_CITY)
def actuals(request, city, pk, indicator_pk):
    p = queries.plan(request.user, city, pk)
    indicator = queries.indicators(request.user, p).filter(pk=indicator_pk).first()
    if indicator is None:
        raise Http404
    if not _may_record_actuals(request.user, indicator):
        raise PermissionDenied
    if not p.is_in_force:
        messages.error(request, _("Indicator values are recorded once the plan is adopted."))
        return redirect("plans:plan", city.slug, p.pk)
    year = whole_number(request.POST.get("year") if request.method == "POST" else request.GET.get("year"))
    if year is None or not p.start_year <= year <= p.end_year:
        year = min(max(timezone.localdate().year, p.start_year), p.end_year)
    recorded = list(indicator.actuals.filter(year=year).order_by("sex", "age_band", "group"))
    total = next((a for a in recorded if a.is_total), None)
    initial = {"year": year, "seen": services.actuals_token(indicator, year),
               "total": plain(total.value) if total else None, "note": total.note if total else ""}
    form = ActualsForm(request.POST if request.method == "POST" else None, initial=initial, indicator=indicator,
                       cells=[a for a in recorded if not a.is_total])
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.record_actuals(actor=request.user, indicator=indicator, year=form.cleaned_data["year"],
                                    values=form.values(), note=form.cleaned_data["note"],
                                    expected_token=form.cleaned_data["seen"])
        except services.StaleEdit as stale:
            conflict = {"by": stale.by, "at": stale.at, "rows": []}
            data = form.data.copy()
            data["seen"] = services.actuals_token(indicator, form.cleaned_data["year"])
            form.data = data
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            messages.success(request, _("Values for %(year)s recorded.") % {"year": form.cleaned_data["year"]})
            return redirect(f"{_plan_url(city, p)}#indicators")
    return render(request, "plans/actuals_form.html", {
        **city_nav(request, city), "plan": p, "indicator": indicator, "form": form, "conflict": conflict,
        "years": range(p.start_year, p.end_year + 1), "year": year,
        "recorded": indicator.actuals.order_by("-year", "sex", "age_band", "group")})
