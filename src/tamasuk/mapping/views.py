"""Mapping pages: prioritisation and saved profiles, hotspots, community reports. Thin: parse, query, render."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from shapely.geometry import shape

from tamasuk.analysis import hotspots as hs
from tamasuk.analysis.small_charts import bar_chart
from tamasuk.cities import queries as city_queries
from tamasuk.cities.area_maps import area_link, area_map
from tamasuk.cities.permissions import Action, can
from tamasuk.cities.personal_data import PersonalDataFound, kind_label
from tamasuk.interop.tabular import write_csv
from tamasuk.web.decorators import city_page
from tamasuk.web.downloads import attachment
from tamasuk.web.errors import put_on_form
from tamasuk.web.nav import city_nav

from . import queries, services
from .forms import (
    AGGREGATION_LABELS,
    IMPUTE_LABELS,
    NORMALISATION_LABELS,
    HotspotForm,
    ModerateForm,
    PriorityForm,
    ReportForm,
    SaveProfileForm,
)
from .models import CommunityReport, ReportCategory
from .priorities import Choices, coverage_of


def _priority_form(page: queries.PrioritiesPage, data) -> PriorityForm:
    # Each period is offered with its share of ward × indicator values, and the default is the latest period
    # with enough of them: a new year with a few wards' figures must not become the ranking by being new.
    return PriorityForm(data, periods=page.periods, indicators=page.indicators, themes=page.used_themes,
                        coverage=page.coverage, threshold=page.city.coverage_threshold,
                        initial={"period": page.default_period,
                                 "indicators": [i.code for i in page.indicators], "preset": "balanced"})


def _choices(page: queries.PrioritiesPage, form: PriorityForm) -> Choices:
    chosen = page.chosen(form.cleaned_data["indicators"])
    theme_groups = {page.themes[i.theme_id].code: page.themes[i.theme_id].group for i in chosen}
    return Choices(period=form.cleaned_data["period"], indicators=[i.code for i in chosen],
                   theme_weights=form.theme_weights(theme_groups), normalisation=form.cleaned_data["normalisation"],
                   aggregation=form.cleaned_data["aggregation"], impute=form.cleaned_data["impute"],
                   preset=form.cleaned_data.get("preset") or "")


def _score_map(city, areas, rows, *, title):
    by_code = {r["code"]: r for r in rows}

    def score(a):
        return by_code[a.code]["score"] if a.code in by_code else None

    def tooltip(a, name):
        if (s := score(a)) is None:
            return name
        return _("%(name)s: need score %(score)s, rank %(rank)s") % {
            "name": name, "score": f"{s:.1f}", "rank": by_code[a.code]["rank"]}

    return area_map(areas, value=score, tooltip=tooltip, href=area_link(city), title=title,
                    description=_("Darker areas have a higher need score."), legend_title=_("Need score (0–100)"),
                    value_format=lambda v: f"{v:.0f}", id_prefix="scores")


def _sensitivity_chart(sensitivity):
    labels = {"weights": _("Weights ±25 %"), "normalisation": _("Normalisation method"),
              "aggregation": _("Aggregation method"), "leave_one_out": _("One indicator left out")}
    return bar_chart([(labels.get(s["factor"], s["factor"]), s["total"] or 0.0) for s in sensitivity],
                     title=_("How much each method choice moves the ranking (total Sobol index)"),
                     rtl=get_language_bidi(), value_format=lambda v: f"{v:.2f}")


def _localise(rows):
    lang = get_language()
    for r in rows:
        r["label"] = r["names"].get(lang) or r["name"]
        for d in r["drivers"]:
            d["label"] = d.get("names", {}).get(lang) or d["name"]
            # Profiles saved before drivers were limited to a ward's own values: no value means the average.
            d.setdefault("imputed", d.get("value") is None)
        for n in r.get("no_data", []):
            n["label"] = n.get("names", {}).get(lang) or n["name"]
    return rows


def _coverage_context(results: dict) -> dict:
    """What a ranking stands on, for the coverage panel beside it: overall and per indicator."""
    lang = get_language()
    indicators = [{**i, "label": (i.get("names") or {}).get(lang) or i["name"]} for i in results.get("indicators", [])
                  if "present" in i]
    if not indicators and results.get("missing"):  # profiles saved before coverage was kept
        n = len(results.get("areas", []))
        names = {i["code"]: i["name"] for i in results.get("indicators", [])}
        indicators = [{"code": c, "label": names.get(c, c), "present": n - m, "of": n,
                       "share": (n - m) / n if n else 0.0} for c, m in results["missing"].items()]
    coverage = coverage_of(results)
    if coverage:
        # Whole percents rounded down, so 69.6 % under a 70 % minimum never reads as "70 %".
        coverage = {**coverage, "percent": math.floor((coverage["share"] or 0) * 100)}
    indicators = [{**i, "percent": math.floor((i.get("share") or 0) * 100)} for i in indicators]
    return {"coverage": coverage, "coverage_indicators": indicators}


@login_required
@city_page(Action.RUN_ANALYSIS)
def priorities(request, city):
    page = queries.priorities_page(request.user, city)
    form = _priority_form(page, request.GET or None)
    context = {**city_nav(request, city), "form": form, "outcome": None}
    if form.is_bound and form.is_valid():
        outcome = page.rank(_choices(page, form))
        context.update(
            outcome=outcome, rows=_localise(outcome.areas), save_form=SaveProfileForm(),
            map_svg=_score_map(city, page.areas, outcome.areas, title=_("Need for services and investment, by ward")),
            sensitivity_svg=_sensitivity_chart(outcome.sensitivity),
            query=request.GET.urlencode(), may_save_low_coverage=page.may_save_low_coverage,
            low=not outcome.sufficient,
            **_coverage_context(outcome.to_dict()),
        )
    return render(request, "mapping/priorities.html", context)


@require_POST
@login_required
@city_page(Action.RUN_ANALYSIS)
def save_profile(request, city):
    """Recompute from the submitted choices (never trust posted results) and save, unchangeable."""
    page = queries.priorities_page(request.user, city)
    form = _priority_form(page, request.POST)
    save = SaveProfileForm(request.POST)
    if not (form.is_valid() and save.is_valid()):
        messages.error(request, _("The profile was not saved: give it a name and valid choices."))
        return redirect(f"/c/{city.slug}/priorities/?{request.POST.get('query', '')}")
    outcome = page.rank(_choices(page, form))
    try:
        profile = services.save_profile(actor=request.user, city=city, name=save.cleaned_data["name"],
                                        period=outcome.choices.period, spec=outcome.choices.to_dict(),
                                        results=outcome.to_dict(),
                                        save_low_coverage=save.cleaned_data["save_low_coverage"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"/c/{city.slug}/priorities/?{request.POST.get('query', '')}")
    if profile.low_coverage:
        messages.warning(request, _("Saved as “%(name)s”, flagged as low coverage: everyone who opens or cites it "
                                    "sees the flag.") % {"name": profile.name})
    else:
        messages.success(request, _("Saved as “%(name)s”. It will not change; run again to make a new one.")
                         % {"name": profile.name})
    return redirect("mapping:profile", city.slug, profile.pk)


@login_required
@city_page(Action.VIEW_PROFILES)
def profiles(request, city):
    return render(request, "mapping/profiles.html", {**city_nav(request, city),
                                                     "profiles": queries.profiles(request.user, city)})


@login_required
@city_page(Action.VIEW_PROFILES)
def profile(request, city, pk):
    p = queries.profile(request.user, city, pk)
    level = p.spec.get("level") or max(city_queries.levels(city) or [1])
    areas = list(city_queries.areas(request.user, city, level=level))
    rows = _localise(p.results["areas"])
    theme_names = {t.code: t.name for t in queries.themes(request.user, city).values()}
    return render(request, "mapping/profile.html", {
        **city_nav(request, city), "profile": p, "rows": rows, "results": p.results,
        "method": {"normalisation": NORMALISATION_LABELS.get(p.spec.get("normalisation"), p.spec.get("normalisation")),
                   "aggregation": AGGREGATION_LABELS.get(p.spec.get("aggregation"), p.spec.get("aggregation")),
                   "impute": IMPUTE_LABELS.get(p.spec.get("impute"), p.spec.get("impute"))},
        "weights": [(theme_names.get(code, code), w) for code, w in p.spec.get("theme_weights", {}).items()],
        "map_svg": _score_map(city, areas, rows, title=p.name),
        "sensitivity_svg": _sensitivity_chart(p.results.get("sensitivity", [])),
        **_coverage_context(p.results), "low": p.low_coverage,
    })


@login_required
@city_page(Action.EXPORT)
def profile_csv(request, city, pk):
    """Scores with an HXL hashtag row, so humanitarian tools read the columns without a mapping."""
    p = queries.profile(request.user, city, pk)
    rows = [["Area code", "Area", "Need score", "Rank", "Rank 5%", "Rank 95%", "Top driver", "Profile", "Period",
             "Indicators with data", "No data (city average used)", "Low coverage profile"],
            ["#adm2+code", "#adm2+name", "#severity+score", "#severity+rank", "#severity+rank+low",
             "#severity+rank+high", "#indicator+driver", "#meta+profile", "#date", "#meta+coverage",
             "#indicator+imputed", "#meta+low_coverage"]]
    for r in p.results["areas"]:
        cov = r.get("coverage")
        observed = [d for d in r["drivers"] if not d.get("imputed", d.get("value") is None)]
        rows.append([r["code"], r["name"], r["score"], r["rank"], r["rank_low"], r["rank_high"],
                     observed[0]["code"] if observed else "", p.name, p.period,
                     f"{cov['present']}/{cov['of']}" if cov else "",
                     " ".join(n["code"] for n in r.get("no_data", [])), "yes" if p.low_coverage else "no"])
    # The profile's name is typed by an analyst: the one writer guards it (and every text) against formulas.
    return attachment(write_csv(rows), f"{city.slug}-profile-{p.pk}.csv", "text/csv; charset=utf-8")


@login_required
@city_page(Action.EXPORT)
def profile_geojson(request, city, pk):
    p = queries.profile(request.user, city, pk)
    areas = {a.code: a for a in city_queries.areas(request.user, city)}
    features = []
    for r in p.results["areas"]:
        a = areas.get(r["code"])
        if a is None:
            continue
        features.append({"type": "Feature", "id": a.code, "geometry": a.geometry, "properties": {
            "code": a.code, "name": a.name, "need_score": r["score"], "rank": r["rank"],
            "rank_low": r["rank_low"], "rank_high": r["rank_high"],
            "top_drivers": [d["code"] for d in r["drivers"] if not d.get("imputed", d.get("value") is None)],
            "coverage": r.get("coverage"), "no_data": [n["code"] for n in r.get("no_data", [])]}})
    body = {"type": "FeatureCollection", "name": p.name, "period": p.period, "low_coverage": p.low_coverage,
            "coverage": coverage_of(p.results), "features": features}
    return attachment(json.dumps(body), f"{city.slug}-profile-{p.pk}.geojson", "application/geo+json")


CLASS_COLOURS = {3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", 0: "#f7f7f7", -1: "#d1e5f0", -2: "#67a9cf", -3: "#2166ac"}


@login_required
@city_page(Action.RUN_ANALYSIS)
def hotspots(request, city):
    """Getis-Ord Gi* on community-report counts (or an indicator), classes after FDR correction."""
    indicators = list(queries.indicators(request.user, city))
    choices = [(f"reports:{c.value}", _("Reports: %(category)s") % {"category": c.label}) for c in ReportCategory]
    choices = [("reports:", _("Reports: all categories"))] + choices
    choices += [(f"indicator:{i.code}", i.display_name(get_language())) for i in indicators]
    today = dt.date.today()
    form = HotspotForm(request.GET or None, initial={"variable": "reports:hate_speech"})
    form.fields["variable"].choices = choices
    level = max(city_queries.levels(city) or [1])
    areas = list(city_queries.areas(request.user, city, level=level))
    variable, since, until, per_pop = "reports:hate_speech", today - dt.timedelta(days=92), today, False
    if form.is_bound and form.is_valid():
        variable = form.cleaned_data["variable"]
        since, until = form.cleaned_data["since"] or since, form.cleaned_data["until"] or until
        per_pop = form.cleaned_data["per_population"]
    kind, _sep, code = variable.partition(":")
    if kind == "reports":
        counts = queries.report_counts(request.user, city, since=since, until=until, category=code or None)
        y = np.array([sum(n for (a, _c), n in counts.items() if a == area.code) for area in areas], dtype=float)
        if per_pop:
            y = hs.rates(y, np.array([a.population or np.nan for a in areas], dtype=float), per=10_000)
    else:
        periods = queries.periods(request.user, city)
        ind = next(i for i in indicators if i.code == code)
        values = queries.period_values(request.user, city, periods[0], [ind.pk]) if periods else {}
        y = np.array([values.get((a.pk, ind.pk), np.nan) for a in areas], dtype=float)
    result = None
    classes = None
    ok = np.isfinite(y)
    if ok.sum() >= 3 and np.nanstd(y) > 0:
        y_filled = np.where(ok, y, np.nanmean(y))
        w = hs.queen_weights([shape(a.geometry) for a in areas], method="strtree", tolerance=1e-6)
        result = hs.local_g(y_filled, w, star=True, permutations=999, seed=7, alternative="two-sided")
        classes = hs.classify(result.Zs, result.p_sim, fdr=True)
    labels = {3: _("Hot spot, 99 %"), 2: _("Hot spot, 95 %"), 1: _("Hot spot, 90 %"), 0: _("Not significant"),
              -1: _("Cold spot, 90 %"), -2: _("Cold spot, 95 %"), -3: _("Cold spot, 99 %")}
    lang = get_language()
    bins = {a.code: int(classes.bins[i]) if classes is not None else 0 for i, a in enumerate(areas)}
    rows = []
    for i, a in enumerate(areas):
        b = bins[a.code]
        name = a.display_name(lang)
        if b != 0:
            rows.append({"area": a, "name": name, "label": labels[b], "bin": b,
                         "z": float(result.Zs[i]), "p": float(classes.p_used[i])})
    rows.sort(key=lambda r: -r["bin"])
    order = (3, 2, 1, 0, -1, -2, -3)
    svg = area_map(areas, category=lambda a: labels[bins[a.code]],
                   tooltip=lambda a, name: f"{name}: {labels[bins[a.code]]}", href=area_link(city),
                   mode="categorical", categories=[labels[b] for b in order], palette=[CLASS_COLOURS[b] for b in order],
                   title=_("Hot and cold spots"), description=_("Getis–Ord Gi* with 999 permutations, "
                                                                "false discovery rate controlled."),
                   id_prefix="hot")
    return render(request, "mapping/hotspots.html", {
        **city_nav(request, city), "form": form, "map_svg": svg, "rows": rows, "since": since, "until": until,
        "enough": result is not None,
    })


@login_required
@city_page(Action.VIEW_SMALL_CELLS)
def reports(request, city):
    """The report list with its free text: city team only (moderated text may go further)."""
    qs = queries.reports(request.user, city)
    category = request.GET.get("category")
    if category in ReportCategory.values:
        qs = qs.filter(category=category)
    return render(request, "mapping/reports.html", {
        **city_nav(request, city), "reports": qs[:200], "categories": ReportCategory.choices, "category": category,
        "may_moderate": can(request.user, Action.EDIT_CITY_DATA, city), "moderate_form": ModerateForm(),
    })


@login_required
@city_page(Action.RECORD_REPORT)
def new_report(request, city):
    """Focal points of the network record what residents tell them; auditors and outsiders write nothing."""
    areas = list(city_queries.areas(request.user, city).order_by("code"))
    form = ReportForm(request.POST or None, areas=areas, initial={"date": dt.date.today()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        area = next((a for a in areas if a.code == d["area"]), None)
        point = (d["lon"], d["lat"]) if d.get("lon") is not None and d.get("lat") is not None else None
        try:
            report = services.create_report(actor=request.user, city=city, category=d["category"], date=d["date"],
                                            channel=d["channel"], text=d["text"], area=area,
                                            point=None if area else point)
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            messages.success(request, _("Report recorded for %(area)s. Only the city team sees its text.")
                             % {"area": report.area.name})
            return redirect("mapping:new_report", city.slug)
    return render(request, "mapping/report_form.html", {**city_nav(request, city), "form": form})


@require_POST
@login_required
@city_page(Action.EDIT_CITY_DATA)
def moderate_report(request, city, pk):
    """Saves the text cleared for sharing; when it looks like it holds personal data, shows the report again
    with what was found and a box to confirm it is not personal data."""
    report = get_object_or_404(CommunityReport, pk=pk, city=city)
    form = ModerateForm(request.POST)
    if form.is_valid():
        try:
            services.moderate_report(actor=request.user, report=report, **form.cleaned_data)
        except PersonalDataFound as exc:
            put_on_form(form, exc)
            form.ask_to_confirm()
            return render(request, "mapping/moderate.html", {
                **city_nav(request, city), "report": report, "form": form,
                "findings": [(kind_label(f.kind), f.text) for f in exc.findings]})
        messages.success(request, _("Report moderated."))
    return redirect("mapping:reports", city.slug)
