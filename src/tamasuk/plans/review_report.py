"""A review's report as PDF (WeasyPrint; Arabic shaped right-to-left through Pango), in the active language.

The report is for the city team: it shows unsuppressed numbers, so the caller checks VIEW_SMALL_CELLS. Its
print stylesheet lives next to its template (`templates/plans/review_report.css`) and never travels in a page
sent to a browser. WeasyPrint fetches nothing while rendering: the charts and the map are inline SVG already
in the HTML (CSP does not apply to a PDF), their Arabic text rewritten in the visual order WeasyPrint's SVG
drawing needs (see svg_for_pdf).
"""

from __future__ import annotations

import hashlib
import math
import re
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language, get_language_bidi, pgettext
from django.utils.translation import gettext as _

from tamasuk.analysis.svg import SEQUENTIAL_PALETTES
from tamasuk.audit.models import GENESIS_HASH, AuditHead, chain_of
from tamasuk.cities import publication
from tamasuk.cities import queries as city_queries
from tamasuk.cities.area_maps import area_map
from tamasuk.cities.models import City
from tamasuk.cities.reading import for_reader, text_dir

from . import dashboard as monitoring
from . import queries
from .diff import RUNNING_FIELDS, diff
from .models import ActivityStatus, IndicatorKind, PlanVersion, RenderStatus, ReportRender, Review
from .snapshots import plan_snapshot
from .svg_for_pdf import for_weasyprint

PDF_CSS = Path(__file__).resolve().parent / "templates" / "plans" / "review_report.css"
# Years of the indicators table: enough for a five-year plan without the table overflowing the page.
MAX_YEARS = 6
# Long free text in the list of changes (an activity's description) is cut: the diff page has it whole.
MAX_VALUE_CHARS = 90
NUMERIC_FIELDS = {"budget", "baseline_value"}
CHOICES = {"status": ActivityStatus, "kind": IndicatorKind}
NONE_FILL = "#f4f4f1"


def review_in_city(user, city: City, pk: int) -> Review:
    """The review, if its plan is one of the city's plans the user may read."""
    plan_id = Review.objects.filter(pk=pk, plan__city=city).values_list("plan_id", flat=True).first()
    if plan_id is None:
        raise Http404
    return queries.review(user, queries.plan(user, city, plan_id), pk)


# ---- versions and what changed ----

def versions_of(review: Review) -> tuple[PlanVersion | None, PlanVersion | None]:
    """The version in force while the review ran, and the version it produced (None unless adopted)."""
    produced = PlanVersion.objects.filter(review=review).first()
    versions = review.plan.versions.order_by("-number")
    if produced is not None:
        return versions.filter(number__lt=produced.number).first(), produced
    return versions.filter(adopted_at__lte=review.opened_at).first(), None


def _field_label(name: str) -> str:
    labels = {
        "title": _("title"), "name": _("name"), "code": _("code"), "description": _("description"),
        "lead": _("lead organisation"), "partners": _("partners"), "areas": _("areas"), "budget": _("budget"),
        "start": _("start"), "end": _("end"), "status": _("status"), "national_pillars": _("national pillars"),
        "unit": _("unit"), "kind": _("kind"), "attached_to": _("attached to"),
        "mapping_indicator": _("mapping indicator"), "baseline_value": _("baseline"),
        "baseline_date": _("baseline date"), "targets": _("targets"), "disaggregation": _("disaggregated by"),
        "higher_is_better": _("higher is better"),
    }
    return labels.get(name, name)


def _value(value, field: str = "") -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if field in CHOICES and value in CHOICES[field].values:
        return str(CHOICES[field](value).label)
    if field in NUMERIC_FIELDS and isinstance(value, str):
        try:
            return _number(Decimal(value))
        except ArithmeticError:
            pass
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        text = ", ".join(f"{k}: {v}" for k, v in value.items())
    elif isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"


def _field_change(change) -> dict:
    was, now = change.before, change.after
    if isinstance(was, dict) and isinstance(now, dict):  # targets by year: only the years that changed
        years = [k for k in sorted(set(was) | set(now)) if was.get(k) != now.get(k)]
        was, now = {k: was[k] for k in years if k in was}, {k: now[k] for k in years if k in now}
    before, after = _value(was, change.field), _value(now, change.field)
    return {"label": _field_label(change.field), "before": before, "after": after,
            "before_dir": text_dir(before), "after_dir": text_dir(after)}


def changes(before: PlanVersion | None, after: PlanVersion | None) -> tuple[list[dict], list[dict]]:
    """The adopted changes as short lines (what kind of item, its code and title, each field before → after):
    changes to the plan's design, and apart from them, what lead organisations changed while running their
    activities (status, dates, partners), which a review adopts without deciding it."""
    if before is None or after is None:
        return [], []
    kinds = {"added": _("Added"), "removed": _("Removed"), "changed": _("Changed")}
    types = {"pillar": _("pillar"), "objective": _("objective"), "activity": _("activity"),
             "indicator": _("indicator")}
    design, running = [], []
    for c in diff(before.snapshot["structure"], after.snapshot["structure"]):
        row = {"kind": c.kind, "kind_label": kinds[c.kind], "type": types.get(c.item_type, c.item_type),
               "code": c.code, "title": c.title, "dir": text_dir(c.title),
               "fields": [_field_change(f) for f in c.fields]}
        only_running = c.kind == "changed" and c.item_type == "activity" and \
            all(f.field in RUNNING_FIELDS for f in c.fields)
        (running if only_running else design).append(row)
    return design, running


# ---- the map of activities by area ----

def count_classes(top: int, n: int = 4) -> list[tuple[int, int]]:
    """Integer classes for counts 1…top: one per count while they fit in n, else n equal-width ranges."""
    if top <= n:
        return [(i, i) for i in range(1, top + 1)]
    step = math.ceil(top / n)
    return [(lo, min(lo + step - 1, top)) for lo in range(1, top + 1, step)]


def _class_label(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}–{hi}"


def activities_by_area(user, city: City, structure: dict) -> tuple[int, list, dict[str, int]]:
    """The map's level, its areas and how many of the structure's activities work in each.

    An activity counts in an area it names, in the areas above one it names (its ward lies in them) and in
    those below (it names their whole sub-county). Cancelled activities do not count.
    """
    levels = [lv for lv in city_queries.levels(city) if lv <= 2]
    all_areas = list(city_queries.areas(user, city))
    with_shape = {a.level for a in all_areas if a.geometry}
    level = max((lv for lv in levels if lv in with_shape), default=None)
    if level is None:
        return 0, [], {}
    by_code = {a.code: a for a in all_areas}
    by_pk = {a.pk: a for a in all_areas}

    def at_level(area) -> set[str]:
        """The map-level areas this area lies in or contains."""
        if area.level == level:
            return {area.code}
        if area.level > level:
            up = area
            while up is not None and up.level > level:
                up = by_pk.get(up.parent_id)
            return {up.code} if up is not None and up.level == level else set()
        found = set()
        for a in all_areas:
            if a.level != level:
                continue
            up = a
            while up is not None and up.level > area.level:
                up = by_pk.get(up.parent_id)
            if up is not None and up.pk == area.pk:
                found.add(a.code)
        return found

    counts: dict[str, int] = {}
    for pillar in structure.get("pillars", []):
        for objective in pillar.get("objectives", []):
            for activity in objective.get("activities", []):
                if activity.get("status") == ActivityStatus.CANCELLED:
                    continue
                touched = set()
                for code in activity.get("areas", []):
                    if code in by_code:
                        touched |= at_level(by_code[code])
                for code in touched:
                    counts[code] = counts.get(code, 0) + 1
    shown = [a for a in all_areas if a.level == level and a.geometry]
    return level, shown, counts


def activity_map(city: City, areas: list, counts: dict[str, int], *, level_name: str) -> str:
    top = max(counts.values(), default=0)
    classes = count_classes(top)
    none_label = pgettext("number of activities", "none")
    categories = [none_label] + [_class_label(lo, hi) for lo, hi in classes]
    # "None" in a pale neutral, then the scale without its palest colour, which "none" would be mistaken for.
    scale = SEQUENTIAL_PALETTES[min(max(3, len(classes) + 1), 9)]
    palette = (NONE_FILL, *(scale[-len(classes):] if classes else ()))

    def category(a):
        n = counts.get(a.code, 0)
        return none_label if n == 0 else next(_class_label(lo, hi) for lo, hi in classes if lo <= n <= hi)

    return area_map(
        areas, category=category,
        tooltip=lambda a, name: _("%(area)s: %(n)s activities") % {"area": name, "n": counts.get(a.code, 0)},
        width=640, mode="categorical", categories=categories, palette=palette,
        title=_("Activities by %(level)s") % {"level": level_name.lower()},
        description=_("Each %(level)s is shaded by the number of the plan's activities working in it.")
        % {"level": level_name.lower()},
        legend_title=_("Number of activities"), id_prefix="activities",
    )


# ---- indicators against targets ----

def _number(value) -> str:
    """Grouped in the report's language, as the dashboard writes them; no trailing zeros."""
    if value is None:
        return "—"
    value = Decimal(value)
    decimals = 0 if value == value.to_integral_value() else min(-value.normalize().as_tuple().exponent, 4)
    return number_format(value, decimal_pos=decimals, force_grouping=True)


def _review_year(review: Review) -> int | None:
    digits = "".join(ch for ch in review.period if ch.isdigit())
    return int(digits[-4:]) if len(digits) >= 4 else None


def indicator_rows(user, plan, *, until: int | None, latest: dict | None = None) -> tuple[list[int], list[dict]]:
    """Each indicator's baseline and, per year up to the one after the review's (the next target), its total
    actual against its target (reached or not by the one progress rule), and its progress as the dashboard
    shows it (`latest`: the dashboard's rows by indicator code)."""
    last = min(plan.end_year, until + 1) if until else plan.end_year
    years = list(range(max(plan.start_year, last - MAX_YEARS + 1), last + 1))
    lang = get_language()
    rows = []
    for ind in queries.indicators(user, plan):
        targets = {t.year: t.value for t in ind.targets.all()}
        actuals = {a.year: a.value for a in ind.actuals.all() if a.is_total}
        cells = []
        for year in years:
            target, actual = targets.get(year), actuals.get(year)
            met = None
            if target is not None and actual is not None:
                met = monitoring.indicator_progress(ind, value=actual, target=target,
                                                    baseline=ind.baseline_value).reached
            cells.append({"actual": _number(actual) if actual is not None else "",
                          "target": _number(target) if target is not None else "", "met": met})
        name = ind.display_name(lang)
        board_row = (latest or {}).get(ind.code)
        rows.append({"code": ind.code, "name": name, "dir": text_dir(name), "unit": ind.unit,
                     "progress": board_row.progress_text if board_row is not None else "",
                     "progress_year": board_row.year if board_row is not None else None,
                     "higher_is_better": ind.higher_is_better,
                     "kind": ind.get_kind_display(), "baseline": _number(ind.baseline_value),
                     "baseline_year": ind.baseline_date.year if ind.baseline_date else "", "cells": cells})
    return years, rows


# ---- the whole report ----

def _lines(text: str) -> list[dict]:
    """Free text line by line, each with its own direction: an English line in Arabic findings reads
    left-to-right (one direction for the whole text would put its full stop at the wrong end)."""
    return [{"text": line.strip(), "dir": text_dir(line)} for line in str(text).splitlines() if line.strip()]


def _audit_head(city) -> tuple[int, str]:
    """The head of the city's own audit chain: what an auditor compares with the evidence pack's."""
    head = AuditHead.objects.filter(chain=chain_of(city.pk)).first()
    return (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)


def context(user, review: Review) -> dict:
    plan, city = review.plan, review.plan.city
    language = get_language()
    before, produced = versions_of(review)
    design_changes, running_changes = changes(before, produced)
    structure = produced.snapshot["structure"] if produced is not None else plan_snapshot(plan)["structure"]
    level, areas, counts = activities_by_area(user, city, structure)
    level_name = city.level_name(level) if level else ""
    map_svg = activity_map(city, areas, counts, level_name=level_name) if areas else ""
    names = {a.code: a.display_name(language) for a in areas}
    area_counts = sorted(((names[c], n) for c, n in counts.items() if c in names), key=lambda r: (-r[1], r[0]))
    board = monitoring.build(user, plan)
    years, indicators = indicator_rows(user, plan, until=_review_year(review),
                                       latest={r.indicator.code: r for r in board.indicators})
    seq, head_hash = _audit_head(city)
    plan_title = plan.display_title(language)
    return {
        "review": review, "plan": plan, "city": city, "plan_title": plan_title, "plan_dir": text_dir(plan_title),
        "title_dir": text_dir(review.title), "reviewers_dir": text_dir(review.reviewers),
        "sections": [{"key": key, "title": title, "lines": _lines(getattr(review, key))}
                     for key, title in (("findings", _("Findings")), ("recommendations", _("Recommendations")),
                                        ("decisions", _("Decisions")))],
        "version_before": before, "version_produced": produced,
        "changes": design_changes, "running_changes": running_changes,
        "dashboard": board,
        "charts": {key: for_weasyprint(svg) for key, svg in monitoring.charts(board, rtl=get_language_bidi()).items()},
        "map_svg": for_weasyprint(map_svg), "map_level": level_name, "area_counts": area_counts,
        "years": years, "indicators": indicators,
        "audit_seq": seq, "audit_hash": head_hash,
        "generated_at": timezone.localtime(), "time_zone": timezone.get_current_timezone_name(),
        "framework_name": plan.framework.display_name(language) if plan.framework else "",
        # U+2192 does not mirror: in a right-to-left line "before → after" would point back at "before".
        "arrow": "←" if get_language_bidi() else "→",
        "LANG": language, "BIDI": get_language_bidi(), "k": publication.threshold(city),
    }


def html(user, review: Review) -> str:
    """The report's HTML, its dates and times in the city's time zone."""
    zone = review.plan.city.time_zone
    with timezone.override(ZoneInfo(zone) if zone else None):
        # Arabic: the city's digits and Arabic separators, as on its pages (cities.reading).
        return for_reader(render_to_string("plans/review_report.html", context(user, review)), review.plan.city)


def _refuse(url, *args, **kwargs):
    raise ValueError(f"the review report fetches nothing: {url[:60]}")


# ---- rendered once per content, in the background ----

_WHEN = re.compile(r"<!--when-->.*?<!--/when-->", re.S)


def digest(report_html: str) -> str:
    """What makes two renders the same PDF: the report's HTML without when and at which audit event it was made
    (the footer), the print stylesheet and WeasyPrint's version. The same digest is the same report."""
    h = hashlib.sha256()
    # the installed version, read without importing WeasyPrint (slow to import: this runs on every download)
    for part in (_WHEN.sub("", report_html), PDF_CSS.read_text(encoding="utf-8"), metadata.version("weasyprint")):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def render_html(report_html: str) -> bytes:
    """The PDF of a report's HTML (WeasyPrint fetches nothing)."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):
        fetch = staticmethod(_refuse)

    fetcher = NoFetch()
    stylesheet = CSS(string=PDF_CSS.read_text(encoding="utf-8"), url_fetcher=fetcher)
    return HTML(string=report_html, base_url="about:blank", url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])


def pdf(user, review: Review) -> bytes:
    """The report rendered now, in the active language (the pages use services.request_review_report, which
    keeps it)."""
    return render_html(html(user, review))


def run_render(render_id: int) -> str:
    """The task worker's part: draw the PDF of a queued render, then drop this report's older renders in the same
    language (their content is out of date)."""
    with transaction.atomic():
        render = ReportRender.objects.select_for_update().filter(pk=render_id).first()
        if render is None or render.status == RenderStatus.READY:
            return "nothing to do"
        render.status, render.started_at = RenderStatus.RUNNING, timezone.now()
        render.save(update_fields=["status", "started_at"])
    try:
        data = render_html(render.html)
    except Exception as exc:  # any failure is shown on the waiting page, and a new request queues it again
        ReportRender.objects.filter(pk=render_id).update(status=RenderStatus.FAILED, error=str(exc)[:2000],
                                                         finished_at=timezone.now())
        raise
    ReportRender.objects.filter(pk=render_id).update(status=RenderStatus.READY, pdf=data, html="",
                                                     finished_at=timezone.now())
    ReportRender.objects.filter(review_id=render.review_id, language=render.language,
                                requested_at__lt=render.requested_at).exclude(pk=render_id).delete()
    return f"{len(data)} bytes"


def typical_seconds(city) -> int | None:
    """How long the city's last renders took: what the waiting page tells the reader to expect."""
    done = [r.seconds for r in ReportRender.objects.filter(city=city, status=RenderStatus.READY)
            .exclude(started_at=None).only("started_at", "finished_at").order_by("-finished_at")[:5]]
    done = [s for s in done if s is not None]
    return round(sum(done) / len(done)) if done else None
