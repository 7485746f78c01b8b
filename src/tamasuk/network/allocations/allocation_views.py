"""Campaign allocation page: wards by need, within each organisation's wards and capacity, row by row."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tamasuk.analysis.allocation import AreaNeed, Participant, allocate
from tamasuk.cities import queries as city_queries
from tamasuk.cities.permissions import Action, require
from tamasuk.interop.tabular import write_csv
from tamasuk.mapping import queries as mapping_queries
from tamasuk.web.decorators import city_page
from tamasuk.web.downloads import attachment
from tamasuk.web.nav import city_nav

from ..directory import queries as directory_queries
from ..models import Allocation, Meeting, Sector
from . import services

REASONS = {
    "served": lambda: _("served"),
    "no participating organisation covers it": lambda: _("no participating organisation covers it"),
    "partly served: the campaign's total capacity ran out": lambda: _("partly served: the campaign's total capacity ran out"),
    "not served: the campaign's total capacity ran out": lambda: _("not served: the campaign's total capacity ran out"),
    "partly served: the organisations covering it have no capacity left":
        lambda: _("partly served: the organisations covering it have no capacity left"),
    "not served: the organisations covering it have no capacity left":
        lambda: _("not served: the organisations covering it have no capacity left"),
}


def _inputs(request, city, data):
    profiles = list(mapping_queries.profiles(request.user, city)[:50])
    profile = next((p for p in profiles if str(p.pk) == data.get("profile")), profiles[0] if profiles else None)
    sector = data.get("sector") if data.get("sector") in Sector.values else Sector.HEALTH
    # The ticks and capacities sent belong to the organisations of the sector the list was drawn for: once the
    # sector changes they mean nothing, and reading them would silently leave every new organisation out.
    stale = bool(data.get("run")) and data.get("listed_sector") != sector
    fresh_list = not data.get("run") or stale or bool(data.get("refresh"))
    # (Only the city team opens this page; it still reads services as the reader may see them.)
    views = [v for v in directory_queries.services(request.user, city)
             if v.service.sector == sector and v.organisation is not None]
    by_org = {}
    for v in views:
        entry = by_org.setdefault(v.organisation.pk, {"org": v.organisation, "capacity": 0, "areas": set()})
        entry["capacity"] += v.service.capacity or 0
        entry["areas"] |= {a.code for a in v.areas}
    participants = []
    for org_id, entry in sorted(by_org.items(), key=lambda kv: kv[1]["org"].name):
        key = f"cap_{org_id}"
        # On a fresh list every organisation of the sector takes part; afterwards, the ticked ones.
        taking_part = True if fresh_list else data.get(f"take_{org_id}") == "on"
        try:
            capacity = entry["capacity"] if fresh_list else max(0, int(data.get(key, entry["capacity"])))
        except (TypeError, ValueError):
            capacity = entry["capacity"]
        participants.append({"id": org_id, "name": entry["org"].name, "capacity": capacity,
                             "areas": sorted(entry["areas"]), "taking_part": taking_part})
    try:
        total = max(0, int(data.get("total", sum(p["capacity"] for p in participants))))
    except (TypeError, ValueError):
        total = sum(p["capacity"] for p in participants)
    return profiles, profile, sector, participants, total, stale


def _run(request, city, profile, participants, total, demand_rate):
    level = max(city_queries.levels(city) or [1])
    areas = {a.code: a for a in city_queries.areas(request.user, city, level=level)}
    needs = [AreaNeed(area=r["code"], need=r["score"] or 0.0,
                      demand=round((areas[r["code"]].population or 0) * demand_rate))
             for r in profile.results.get("areas", []) if r["code"] in areas]
    result = allocate(needs, [Participant(p["id"], p["capacity"], frozenset(p["areas"]))
                              for p in participants if p["taking_part"]], total)
    names = {p["id"]: p["name"] for p in participants}
    lang = get_language()
    return [{"area": r.area, "name": areas[r.area].display_name(lang), "need": r.need, "rank": r.rank,
             "demand": r.demand, "allocated": r.allocated, "unmet": r.unmet,
             "given": [{"organisation": names[o], "id": o, "amount": amt} for o, amt in r.given],
             "reason": r.reason} for r in result.rows], result


def _unit(data) -> str:
    """The campaign's own unit (places, kits, sessions, doses…), typed by the user; "units" when left empty."""
    return " ".join(str(data.get("unit", "")).split())[:40] or _("units")


@login_required
@city_page(Action.EDIT_CITY_DATA)
def new_allocation(request, city):
    data = request.POST if request.method == "POST" else request.GET
    profiles, profile, sector, participants, total, stale = _inputs(request, city, data)
    unit = _unit(data)
    try:
        rate = min(1.0, max(0.0, float(data.get("rate", "0.1"))))
    except ValueError:
        rate = 0.1
    rows = result = None
    problem = ""
    if profile is not None and data and not data.get("refresh"):
        if not participants:
            problem = _("No organisation in the directory offers a service in this sector: choose another sector "
                        "or add their services first.")
        elif stale:
            # Never allocate from a list drawn for another sector: show the new list and let them check it.
            problem = _("The list of organisations now shows those serving “%(sector)s”. Check who takes part "
                        "and their capacity, then allocate.") % {"sector": Sector(sector).label}
        elif not any(p["taking_part"] for p in participants):
            problem = _("Tick at least one organisation taking part.")
        else:
            rows, result = _run(request, city, profile, participants, total, rate)
    if request.method == "POST" and rows is not None:
        try:
            allocation = services.save_allocation(
                actor=request.user, city=city, name=request.POST.get("name", ""), profile=profile, sector=sector,
                unit=unit, total_capacity=total,
                participants=[p for p in participants if p["taking_part"]], rows=rows)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Allocation saved. It will not change; cite it in a meeting decision."))
            return redirect("network:allocation", city.slug, allocation.pk)
    for r in rows or []:
        r["reason_text"] = REASONS.get(r["reason"], lambda r=r: r["reason"])()
    context = {
        **city_nav(request, city), "profiles": profiles, "profile": profile, "sector": sector,
        "sector_label": Sector(sector).label, "sectors": Sector.choices, "participants": participants,
        "total": total, "rate": rate, "unit": unit, "rows": rows, "result": result, "problem": problem,
        "refreshed": bool(data.get("refresh")),
        "unit_suggestions": [_("places"), _("kits"), _("sessions"), _("visits"), _("doses")],
    }
    if request.htmx and data.get("refresh") and not request.htmx.history_restore_request:
        # The sector or profile changed: only the list of organisations is redrawn (results of the old list go).
        return render(request, "network/_allocation_participants.html", {**context, "clear_results": True})
    return render(request, "network/allocation_form.html", context)


@login_required
@city_page(Action.VIEW_SMALL_CELLS)
def allocation(request, city, pk):
    a = get_object_or_404(Allocation, pk=pk, city=city)
    meetings = Meeting.objects.filter(forum__city=city).select_related("forum").order_by("-date")[:20]
    if request.method == "POST":
        require(request.user, Action.EDIT_CITY_DATA, city)
        meeting = get_object_or_404(Meeting, pk=request.POST.get("meeting"), forum__city=city)
        services.cite_in_meeting(actor=request.user, allocation=a, meeting=meeting,
                                 text=request.POST.get("text") or _("Run the campaign as allocated in “%(name)s”.") % {"name": a.name})
        messages.success(request, _("Attached to the meeting's decisions."))
        return redirect("network:allocation", city.slug, a.pk)
    for r in a.rows:
        r["reason_text"] = REASONS.get(r["reason"], lambda r=r: r["reason"])()
    return render(request, "network/allocation.html", {**city_nav(request, city), "a": a, "meetings": meetings,
                                                       "unit": a.unit,
                                                       "decisions": a.decisions.select_related("meeting__forum")})


@login_required
@city_page(Action.VIEW_SMALL_CELLS)
def allocation_csv(request, city, pk):
    a = get_object_or_404(Allocation, pk=pk, city=city)
    rows = [["Rank", "Area code", "Area", "Need score", "Demand", "Allocated", "Unmet", "Organisations", "Reason"],
            ["#severity+rank", "#adm2+code", "#adm2+name", "#severity+score", "#targeted", "#reached+planned",
             "#targeted+unmet", "#org", "#meta+reason"]]
    rows += [[r["rank"], r["area"], r["name"], r["need"], r["demand"], r["allocated"], r["unmet"],
              "; ".join(f"{g['organisation']}: {g['amount']:.0f}" for g in r["given"]), r["reason"]]
             for r in a.rows]
    # Organisation names are typed by their focal points: the one writer guards them against running as formulas.
    return attachment(write_csv(rows), f"{city.slug}-allocation-{a.pk}.csv", "text/csv; charset=utf-8")
