"""The disclosure matrix: every number every outward surface shows, attacked together, recovers nothing.

Beside the permission matrix (who may open what), this test asks what an outsider learns by opening *everything*
they may open and combining it. It seeds the demo city with many small cells in each dataset that leaves the city
team — community report counts (area × category × year), counts of people in plans (indicator × year × sex ×
age band × group, baselines, national roll-ups) and people reached by services (women, men, the rest) — then,
for every outsider audience (a member focal point, the country's national liaison, another country's liaison, a
peer city's user, a signed-in stranger and the anonymous public):

1. every declared surface's *collector* fetches its pages, API answers and exports as that audience and turns
   what they show into linear observations about the true cells: (cells whose sum is shown, lowest, highest
   value). "<k" is 0..k-1, "x" is k or more, a number is itself, a missing number says nothing;
2. a linear-programming attacker (scipy's HiGHS) takes every observation of every surface together, with the
   cells' non-negativity, and computes for every protected quantity (a cell some surface hid, any count from 1
   to k-1, a category the audience may not see) the smallest and largest value it can have. A quantity is
   *recovered* when that interval is narrower than one.

The figure to reach is 0 recovered quantities for every audience. The test also checks that each observation is
true of the data (a collector that misreads a surface, or a surface that shows a wrong number, fails loudly), and
that every URL an outsider may open (from the permission matrix) is declared here, with a collector or with the
reason it carries none of these numbers: a new outward surface fails `test_every_outward_surface_is_declared`
until someone decides which.

IATI XML is collected as the city team downloads it and counted as seen by every audience: the file is made to
be published on the IATI registry.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pytest
from lxml import etree
from lxml import html as lxml_html
from scipy.optimize import linprog

from conftest import ROLES

SLUG = "mombasa"
# Outsider audiences: the role's username in conftest, and whom they stand for.
AUDIENCES = {
    "member": "a member focal point of the city's network",
    "national": "the country's national liaison",
    "national_other": "another country's national liaison",
    "peer": "a peer city's administrator",
    "outsider": "a signed-in user of no city (the public)",
    "anonymous": "the anonymous public",
}
OUTSIDER_ROLES = tuple(AUDIENCES)
REPORT_CATEGORIES = ["tension", "incident", "hate_speech", "grievance", "security_grievance"]
NEW_REPORT_YEAR = 2024  # a year of reports the demo does not have, filled with small cells


# ---------------------------------------------------------------------------------------------------------------
# the truth: base cells and linear forms over them
# ---------------------------------------------------------------------------------------------------------------

Form = tuple  # ((cell key, coefficient), ...) sorted: the quantity sum(coef * cell)


def form_of(keys) -> Form:
    """A linear form from cell keys (repeated keys add up their coefficients)."""
    coef: dict = defaultdict(int)
    for key in keys:
        coef[key] += 1
    return tuple(sorted(coef.items(), key=lambda kv: repr(kv[0])))


def add_forms(*forms: Form) -> Form:
    coef: dict = defaultdict(int)
    for f in forms:
        for key, c in f:
            coef[key] += c
    return tuple(sorted(((k, c) for k, c in coef.items() if c), key=lambda kv: repr(kv[0])))


@dataclasses.dataclass(frozen=True)
class Obs:
    """What one surface showed about one quantity: lo <= form <= hi (hi None: unbounded). ``hidden`` marks a
    quantity the surface chose not to show exactly (a marker, or an explicit "withheld")."""

    surface: str
    form: Form
    lo: float
    hi: float | None
    hidden: bool
    label: str
    text: str


class World:
    """The seeded city's true cells, and how each recorded or derived quantity sums them."""

    def __init__(self, city):
        self.city = city
        self.k = city.suppression_k
        self.cells: dict = {}
        self.labels: dict = {}
        self.sensitive_categories: set[str] = set()
        self._load_reports()
        self._load_people()
        self._load_services()

    # --- reports ---------------------------------------------------------------------------------------------
    def _load_reports(self):
        from tamasuk.cities.models import Area
        from tamasuk.mapping import models as mapping_models
        from tamasuk.mapping.models import CommunityReport, Theme

        areas = list(Area.objects.filter(city=self.city).values_list("pk", "code", "parent_id", "level"))
        finest = max(level for *_x, level in areas)
        code_of = {pk: code for pk, code, _p, _l in areas}
        children = defaultdict(list)
        for pk, _code, parent, _l in areas:
            if parent:
                children[parent].append(pk)
        self.area_codes = sorted(code for _pk, code, _p, _l in areas)
        self.finest_codes = sorted(code for _pk, code, _p, level in areas if level == finest)
        self.descendants: dict[str, list[str]] = {}
        for pk, code, _p, _l in areas:
            stack, leaves = [pk], []
            while stack:
                node = stack.pop()
                if children[node]:
                    stack.extend(children[node])
                else:
                    leaves.append(code_of[node])
            self.descendants[code] = sorted(leaves)
        counts = defaultdict(int)
        for code, category, date in CommunityReport.objects.filter(city=self.city).values_list(
                "area__code", "category", "date"):
            counts[(date.year, code, category)] += 1
        self.report_years = sorted({y for y, _a, _c in counts})
        for year in self.report_years:
            for code in self.finest_codes:
                for category in REPORT_CATEGORIES:
                    key = ("rep", year, code, category)
                    self.cells[key] = counts.get((year, code, category), 0)
                    self.labels[key] = f"reports {year} {code} {category}"
        if hasattr(mapping_models, "CATEGORY_THEME"):  # themes carry a sensitivity
            open_codes = set(Theme.objects.filter(city=self.city, sensitivity="open").values_list("code", flat=True))
            self.sensitive_categories = {c for c in REPORT_CATEGORIES
                                         if mapping_models.CATEGORY_THEME.get(c) not in open_codes}

    def report_form(self, year: int | None, area: str, categories, *, exact: bool = False) -> Form:
        """Reports of an area (a finest area, or all its finest areas; `exact`: of that area only) in a year
        (None: every year)."""
        years = self.report_years if year is None else [year]
        leaves = [area] if exact else self.descendants.get(area, [area])
        return form_of(("rep", y, a, c) for y in years for a in leaves for c in categories
                       if ("rep", y, a, c) in self.cells)

    # --- counts of people in plans --------------------------------------------------------------------------------
    def _load_people(self):
        """Base cells per (indicator, year): the finest recorded partition of the year's total (the crossing of
        sex and age band, or one dimension's line), completed by an unrecorded remainder where the total is
        larger. Every recorded value is then a sum of base cells."""
        from tamasuk.plans.models import Actual, PlanIndicator

        self.people_indicators = {i.pk: i for i in PlanIndicator.objects.filter(
            plan__city=self.city, counts_people=True).select_related("plan", "activity")}
        self.people_rows: dict = {}  # (ind, year) → {(sex, band, group): base keys}
        self.unstructured: list[str] = []
        by_year = defaultdict(list)
        for a in Actual.objects.filter(indicator__in=list(self.people_indicators)):
            by_year[(a.indicator_id, a.year)].append(a)
        for (ind, year), rows in by_year.items():
            self._partition(ind, year, rows)
        for ind, i in self.people_indicators.items():
            if i.baseline_value is not None:
                key = ("base", ind)
                self.cells[key] = int(i.baseline_value)
                self.labels[key] = f"baseline of {i.plan.title[:20]} {i.code}"
        self._load_version_baselines()

    def _load_version_baselines(self):
        """The baseline each adopted version froze, one cell per (indicator, version): versions are snapshots."""
        from tamasuk.plans.models import PlanVersion

        for v in PlanVersion.objects.filter(plan__city=self.city):
            for item in v.snapshot.get("structure", {}).get("indicators", []):
                pk = int(str(item.get("key", "")).partition(":")[2] or 0)
                if pk in self.people_indicators and item.get("baseline_value") is not None:
                    key = ("basev", pk, v.number)
                    self.cells[key] = int(Decimal(str(item["baseline_value"])))
                    self.labels[key] = f"baseline of {self.people_indicators[pk].code} in version {v.number}"

    def _partition(self, ind, year, rows):
        values = {(a.sex, a.age_band, a.group): int(a.value) for a in rows}
        total = values.get(("", "", ""))
        crossing = {k: v for k, v in values.items() if k[0] and k[1] and not k[2]}
        lines = [{k: v for k, v in values.items() if sum(map(bool, k)) == 1 and k[d]} for d in range(3)]
        code = self.people_indicators[ind].code
        if crossing:
            base = dict(crossing)
        else:
            present = [d for d in range(3) if lines[d]]
            base = dict(lines[present[0]]) if len(present) == 1 else {}
            if len(present) > 1:
                self.unstructured.append(f"{code} {year}")
        whole = sum(base.values())
        if total is not None and total > whole:
            base[("", "", "")] = total - whole
        elif total is None and not base:
            return
        keys = {}
        for (sex, band, group), v in base.items():
            key = ("ppl", ind, year, sex, band, group)
            self.cells[key] = v
            self.labels[key] = f"people {code} {year} {sex or '-'}/{band or '-'}/{group or '-'}"
            keys[(sex, band, group)] = key
        self.people_rows[(ind, year)] = keys
        # Every recorded value must be a sum of base cells, or the model is wrong for this indicator-year.
        for dims, v in values.items():
            if self.people_value(self.people_form(ind, year, *dims)) != v:
                self.unstructured.append(f"{code} {year} {dims}")

    def people_form(self, ind, year, sex="", band="", group="") -> Form:
        """The recorded value of an indicator in a year for the given dimensions (blank: any)."""
        keys = self.people_rows.get((ind, year), {})
        return form_of(key for (s, b, g), key in keys.items()
                       if (not sex or s == sex) and (not band or b == band) and (not group or g == group))

    def people_value(self, form: Form) -> int:
        return sum(self.cells[k] * c for k, c in form)

    # --- services ----------------------------------------------------------------------------------------------
    def _load_services(self):
        from tamasuk.network.models import Service

        self.services: dict[int, dict] = {}
        self.service_keys: dict[tuple[str, str], int | None] = {}
        for s in Service.objects.filter(city=self.city).select_related("organisation"):
            if s.reached_f is None and s.reached_m is None and s.reached_total is None:
                continue
            parts = {}
            if s.reached_f is not None:
                parts["f"] = s.reached_f
            if s.reached_m is not None:
                parts["m"] = s.reached_m
            if s.reached_total is not None:
                parts["rest"] = s.reached_total - (s.reached_f or 0) - (s.reached_m or 0)
            for part, v in parts.items():
                self.cells[("svc", s.pk, part)] = v
                self.labels[("svc", s.pk, part)] = f"reached by service {s.pk} ({s.name[:25]}) {part}"
            self.services[s.pk] = {"total": s.reached_total is not None, "org": s.organisation.name,
                                   "name": s.name}
            key = (s.organisation.name, s.name)
            self.service_keys[key] = None if key in self.service_keys else s.pk  # None: ambiguous

    def service_form(self, pk: int, part: str) -> Form:
        """'f', 'm' or 'total' of a service."""
        if pk not in self.services:
            return ()
        if part == "total":
            return form_of(k for k in self.cells if k[:2] == ("svc", pk)) if self.services[pk]["total"] else ()
        return form_of([("svc", pk, part)]) if ("svc", pk, part) in self.cells else ()

    # --- values ------------------------------------------------------------------------------------------------
    def value(self, form: Form) -> int:
        return sum(self.cells[k] * c for k, c in form)

    def describe(self, form: Form) -> str:
        if len(form) == 1 and form[0][1] == 1:
            return self.labels.get(form[0][0], repr(form[0][0]))
        return " + ".join(f"{'' if c == 1 else f'{c}×'}{self.labels.get(k, repr(k))}" for k, c in form[:4]) + (
            f" + … ({len(form)} cells)" if len(form) > 4 else "")


# ---------------------------------------------------------------------------------------------------------------
# reading what a surface shows
# ---------------------------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")  # 3E+1: how Decimal.normalize() writes 30
_MARKER = re.compile(r"^<\s*(\d+)$")
NOTHING = {"", "—", "–", "-", "None", "n/a"}


def reading(text, k: int):
    """(lo, hi, hidden) of a shown value, or None if it shows no number."""
    if text is None:
        return None
    if isinstance(text, int | float | Decimal) and not isinstance(text, bool):
        return float(text), float(text), False
    t = str(text).replace("\u00a0", "").replace("\u202f", "").replace("\u2009", "").replace(",", "").strip()
    t = t.replace("&lt;", "<")
    if t in NOTHING:
        return None
    if _NUMBER.match(t):
        return float(Decimal(t)), float(Decimal(t)), False
    if m := _MARKER.match(t):
        return 0.0, float(int(m.group(1)) - 1), True
    if t.lower() == "x":
        return float(k), None, True
    raise AssertionError(f"cannot read {text!r} as a count or a marker")


class Collector:
    """Observations of one surface as seen by one audience."""

    def __init__(self, world: World, surface: str):
        self.world, self.surface, self.out = world, surface, []

    def add(self, form: Form, text, label: str, *, withheld: bool = False):
        if not form:
            return
        if withheld:
            self.out.append(Obs(self.surface, form, 0.0, None, True, label, str(text)))
            return
        r = reading(text, self.world.k)
        if r is not None:
            self.out.append(Obs(self.surface, form, r[0], r[1], r[2], label, str(text)))

    def add_interval(self, form: Form, lo: float, hi: float, label: str, text: str):
        if form:
            self.out.append(Obs(self.surface, form, lo, hi, False, label, text))


def _get(client, name: str, **kwargs):
    from django.urls import reverse

    return client.get(reverse(name, kwargs=kwargs))


def _doc(response):
    return lxml_html.fromstring(response.content.decode("utf-8"))


def _text(el) -> str:
    return " ".join(el.text_content().split())


# ---------------------------------------------------------------------------------------------------------------
# collectors, one per surface
# ---------------------------------------------------------------------------------------------------------------

def collect_ward_pages(c: Collector, client, role, ctx):
    from tamasuk.mapping.models import ReportCategory

    w = c.world
    by_label = {str(label): value for value, label in ReportCategory.choices}
    for code in w.area_codes:
        r = _get(client, "mapping:area", slug=SLUG, code=code)
        if r.status_code != 200:
            continue
        doc = _doc(r)
        tables = doc.xpath('//table[@data-dataset="report-counts"]')
        for table in tables:
            area = table.get("data-area") or code
            cats = [th.get("data-category") for th in table.xpath("./thead/tr/th[@data-category]")]
            shown = [x for x in cats if x]
            for tr in table.xpath("./tbody/tr[@data-year]"):
                year = int(tr.get("data-year"))
                tds = tr.xpath("./td")
                assert len(tds) == len(cats), f"ward page {code}: {len(tds)} cells for {len(cats)} columns"
                for cat, td in zip(cats, tds, strict=True):
                    withheld = bool(td.xpath('.//*[@title="withheld"]'))
                    c.add(w.report_form(year, area, [cat] if cat else shown), _text(td),
                          f"ward page {area} {year} {cat or 'all shown categories'}", withheld=withheld)
        if not tables:  # the page before data attributes: one table of all-time counts by category label
            for table in doc.xpath('//h2[contains(., "Community reports")]/following-sibling::table[1]'):
                rows = [(_text(tr.xpath("./th")[0]), _text(tr.xpath("./td")[0])) for tr in table.xpath(".//tr")
                        if tr.xpath("./th") and tr.xpath("./td")]
                cats = [by_label[label] for label, _v in rows if label in by_label]
                for label, value in rows:
                    cat = by_label.get(label)  # (reports of this very area, not of the areas within it)
                    c.add(w.report_form(None, code, [cat] if cat else cats, exact=True), value,
                          f"ward page {code} all years {cat or 'all categories'}")


def collect_report_counts_api(c: Collector, client, role, ctx):
    w = c.world
    answers = [client.get(f"/api/v1/cities/{SLUG}/reports/counts")]
    if answers[0].status_code != 200:
        return
    if "year" in answers[0].json():
        answers += [client.get(f"/api/v1/cities/{SLUG}/reports/counts", {"year": y}) for y in w.report_years]
    else:  # before calendar years: any span, so each whole year is one more table
        answers += [client.get(f"/api/v1/cities/{SLUG}/reports/counts", {"since": f"{y}-01-01", "until": f"{y}-12-31"})
                    for y in w.report_years]
    # Arbitrary spans: outside the city team they must be refused (422), or they are observations too.
    spans = [("since", f"{y}-07-01") for y in w.report_years] + [("until", f"{y}-06-30") for y in w.report_years]
    span_answers = [(p, v, client.get(f"/api/v1/cities/{SLUG}/reports/counts", {p: v})) for p, v in spans]
    surface = c.surface
    for r in answers:
        if r.status_code != 200:
            continue
        data = r.json()
        c.surface = surface + (" ?since&until" if data.get("since") else "")  # spans told apart in the report
        year = data.get("year") or (int(data["since"][:4]) if data.get("since") else None)
        cats = data["categories"]
        for row in data["areas"]:
            for cat, v in row["counts"].items():
                c.add(w.report_form(year, row["code"], [cat]), v, f"API {year or 'all years'} {row['code']} {cat}")
        for cat, v in data["totals"].items():
            form = form_of(k for a in w.finest_codes for k, _c in w.report_form(year, a, cats if cat == "all"
                                                                                   else [cat]))
            c.add(form, v, f"API {year or 'all years'} total {cat}")
    ctx.setdefault("span_answers", []).extend(
        (role, p, v, r.status_code) for p, v, r in span_answers if r.status_code == 200)


def collect_plan_page(c: Collector, client, role, ctx):
    """Indicator rows by their data hooks: data-indicator on the row, data-kind="baseline" on its baseline, and
    per year a cell with data-year holding data-kind="target" and data-kind="actual"."""
    w = c.world
    for plan in ctx["plans"]:
        r = _get(client, "plans:plan", slug=SLUG, pk=plan.pk)
        if r.status_code != 200:
            continue
        doc = _doc(r)
        by_code = {i.code: pk for pk, i in w.people_indicators.items() if i.plan_id == plan.pk}
        rows = doc.xpath('//table[contains(@class, "plan-indicators")]/tbody/tr[@data-indicator]')
        assert rows or not by_code, f"plan page {plan.pk}: no indicator row carries data-indicator"
        for tr in rows:
            code = tr.get("data-indicator")
            ind = by_code.get(code)
            if ind is None:
                continue
            baseline = tr.xpath('.//*[@data-kind="baseline"]')
            assert len(baseline) == 1, f"plan page {plan.pk} {code}: {len(baseline)} baseline cells"
            c.add(w.people_form_baseline(ind), _text(baseline[0]), f"plan page {plan.pk} {code} baseline")
            for cell in tr.xpath("./td[@data-year]"):
                year = int(cell.get("data-year"))
                actual = cell.xpath('./*[@data-kind="actual"]')
                assert len(actual) == 1, f"plan page {plan.pk} {code} {year}: {len(actual)} actual values"
                c.add(w.people_form(ind, year), _text(actual[0]), f"plan page {code} {year}")


def collect_plan_api(c: Collector, client, role, ctx):
    w = c.world
    for plan in ctx["plans"]:
        r = client.get(f"/api/v1/cities/{SLUG}/plans/{plan.pk}")
        if r.status_code != 200:
            continue
        data = r.json()
        by_code = {i.code: pk for pk, i in w.people_indicators.items() if i.plan_id == plan.pk}
        for item in data["indicators"]:
            ind = by_code.get(item["code"])
            if ind is None:
                continue
            c.add(w.people_form_baseline(ind), item["baseline"], f"plan API {item['code']} baseline")
            for v in item["values"]:
                c.add(w.people_form(ind, v["year"]), v["actual"], f"plan API {item['code']} {v['year']}")
        for item in data["structure"].get("indicators", []):
            pk = int(str(item.get("key", "")).partition(":")[2] or 0)
            if pk in w.people_indicators and item.get("baseline_value") is not None:
                c.add(w.people_form_baseline(pk), item["baseline_value"], f"plan API structure {item['code']}")


def collect_dashboard(c: Collector, client, role, ctx):
    w = c.world
    for plan in ctx["plans"]:
        r = _get(client, "plans:dashboard", slug=SLUG, pk=plan.pk)
        if r.status_code != 200:
            continue
        doc = _doc(r)
        by_code = {i.code: pk for pk, i in w.people_indicators.items() if i.plan_id == plan.pk}
        for tr in doc.xpath('//section[@aria-labelledby="dash-indicators"]//table/tbody/tr[@data-indicator]'):
            code = tr.get("data-indicator")
            ind = by_code.get(code)
            if ind is None:
                continue
            tds = list(tr.xpath("./td"))  # baseline, year, value, target, progress
            assert len(tds) == 5, f"dashboard {plan.pk} {code}: {len(tds)} cells, not baseline … progress"
            baseline_text = (tds[0].xpath("text()") or [""])[0]
            c.add(w.people_form_baseline(ind), baseline_text, f"dashboard {code} baseline")
            year = re.match(r"\d{4}", _text(tds[1]))
            if not year:
                continue
            year = int(year.group())
            form = w.people_form(ind, year)
            c.add(form, _text(tds[2]), f"dashboard {code} {year}")
            # "NN % of the way to the target": the value lies NN–NN+1 % of the way from the baseline to the target
            # (rounded down), which bounds it whenever the baseline and the target are exact.
            target = reading((tds[3].xpath("text()") or [""])[0], w.k)
            baseline = reading(baseline_text, w.k)
            percent = re.match(r"^(\d+)\s*% of the way", _text(tds[4]).replace("\u00a0", " ").replace(",", ""))
            if (target and baseline and target[0] == target[1] and baseline[0] == baseline[1]
                    and target[0] != baseline[0] and percent and not tds[3].xpath(".//span")):
                p, b, t = int(percent.group(1)), baseline[0], target[0]
                ends = sorted([b + p / 100 * (t - b), b + (p + 1) / 100 * (t - b)])
                c.add_interval(form, ends[0], ends[1], f"dashboard {code} {year} progress", _text(tds[4]))


IATI_SEX = {"female": "f", "male": "m"}


def collect_iati(c: Collector, client, role, ctx):
    """The IATI file is published: collected once as the city team downloads it, seen by everyone."""
    w = c.world
    for plan in ctx["plans"]:
        root = ctx["iati"].get(plan.pk)
        if root is None:
            continue
        by_code = {i.code: pk for pk, i in w.people_indicators.items() if i.plan_id == plan.pk}
        for el in root.iter("indicator"):
            ref = el.find("reference")
            ind = by_code.get(ref.get("code")) if ref is not None else None
            if ind is None:
                continue
            b = el.find("baseline")
            if b is not None and b.get("value") is not None:
                c.add(w.people_form_baseline(ind), b.get("value"), f"IATI {ref.get('code')} baseline")
            for period in el.iter("period"):
                year = int(period.find("period-start").get("iso-date")[:4])
                for actual in period.iter("actual"):
                    dims = {d.get("name"): d.get("value") for d in actual.iter("dimension")}
                    if set(dims) - {"sex", "age", "group"}:
                        continue
                    form = w.people_form(ind, year, IATI_SEX.get(dims.get("sex", ""), dims.get("sex", "")),
                                         dims.get("age", ""), dims.get("group", ""))
                    if actual.get("value") is not None:
                        c.add(form, actual.get("value"), f"IATI {ref.get('code')} {year} {dims or 'total'}")


def collect_national(c: Collector, client, role, ctx):
    """The roll-up of people reached by national pillar, for every year offered."""
    from tamasuk.plans.models import PlanIndicator

    w = c.world
    first = _get(client, "plans:national", country="KEN")
    if first.status_code != 200:
        return
    doc = _doc(first)
    years = [int(o.get("value")) for o in doc.xpath('//select[@name="year"]/option')]
    framework = ctx["framework"]
    pages = [(None, doc)] + [(y, _doc(client.get(first.wsgi_request.path, {"year": y}))) for y in years]
    pillars = {p.code: p.pk for p in framework.pillars.all()}
    indicators = list(PlanIndicator.objects.filter(plan__framework=framework, plan__city=w.city, counts_people=True,
                                                   plan__visibility__in=["national", "peers", "public"])
                      .select_related("activity").prefetch_related("activity__national_pillars"))
    rows: dict = defaultdict(list)  # pillar pk (None: not linked) → indicators counted under it
    for i in indicators:
        served = [p.pk for p in i.activity.national_pillars.all() if p.framework_id == framework.pk] \
            if i.activity else []
        for p in served or [None]:
            rows[p].append(i.pk)
    for year, page in pages:
        heading = page.xpath('//h2[@id="rollup-heading"]')
        m = re.search(r"(\d{4})", _text(heading[0])) if heading else None
        if not m:
            continue
        year = int(m.group(1))
        for table in page.xpath('//table[contains(@class, "rollup")]'):
            dimension = table.get("data-dimension")
            assert dimension in ("sex", "age_band", ""), f"national roll-up: data-dimension {dimension!r}"
            dim = {"sex": "sex", "age_band": "band"}.get(dimension)
            heads = table.xpath("./thead/tr/th")[1:]
            keys = [th.get("data-column") for th in heads]
            assert None not in keys, "national roll-up: a column without data-column"
            body_forms = []
            for tr in table.xpath("./tbody/tr"):
                code = tr.get("data-pillar")
                assert code is not None, "national roll-up: a row without data-pillar"
                pillar = "unlinked" if code == "" else pillars.get(code, "?")
                assert pillar != "?", f"national roll-up: unknown pillar {code!r}"
                members = rows.get(None if pillar == "unlinked" else pillar, [])
                forms = []
                for key in keys:
                    if key == "total":
                        f = add_forms(*(w.people_form(i, year) for i in members))
                    else:
                        f = add_forms(*(_dimension_form(w, i, year, dim, key) for i in members))
                    forms.append(f)
                body_forms.append(forms)
                for key, f, td in zip(keys, forms, tr.xpath("./td"), strict=True):
                    c.add(f, _text(td), f"national {year} {dimension or 'totals'} {code or 'not linked'} {key}")
            foot = table.xpath("./tfoot/tr/td")
            for j, td in enumerate(foot):
                c.add(add_forms(*(row[j] for row in body_forms)), _text(td),
                      f"national {year} {dimension or 'totals'} sum of the rows {keys[j]}")


def _dimension_form(w: World, ind, year, dim, key) -> Form:
    """Base cells of an indicator-year whose sex (or age band) is `key` ('' = not recorded)."""
    keys = w.people_rows.get((ind, year), {})
    index = 0 if dim == "sex" else 1
    return form_of(k for dims, k in keys.items() if dims[index] == key)


def _services_by_org(w: World, org_pk):
    from tamasuk.network.models import Service

    return {s.name: s.pk for s in Service.objects.filter(organisation_id=org_pk)}


def collect_organisation_pages(c: Collector, client, role, ctx):
    from tamasuk.network.models import Organisation

    w = c.world
    for org in Organisation.objects.filter(city=w.city).order_by("pk"):
        r = _get(client, "network:organisation", slug=SLUG, pk=org.pk)
        if r.status_code != 200:
            if r.status_code in (302, 403, 401):
                return  # this audience reads no organisation page
            continue
        doc = _doc(r)
        names = _services_by_org(w, org.pk)
        for tr in doc.xpath('//h2[contains(., "Services")]/following-sibling::table[1]/tbody/tr'):
            tds = tr.xpath("./td")
            if len(tds) < 5:
                continue
            name_el = tds[0].xpath("./a") or [tds[0]]
            name = (name_el[0].text or "").strip() if name_el[0].tag == "a" else (tds[0].text or "").strip()
            pk = names.get(name)
            if pk is None:
                continue
            parts = [p.strip() for p in _text(tds[4]).split("/")]
            assert len(parts) == 3, f"organisation page: reached column {_text(tds[4])!r}"
            for part, text in zip(("f", "m", "total"), parts, strict=True):
                c.add(w.service_form(pk, part), text, f"organisation page service {pk} {part}")


def collect_organisations_api(c: Collector, client, role, ctx):
    w = c.world
    r = client.get(f"/api/v1/cities/{SLUG}/organisations")
    if r.status_code != 200:
        return
    for org in r.json():
        for s in org["services"]:
            for part, field in (("f", "reached_f"), ("m", "reached_m"), ("total", "reached_total")):
                c.add(w.service_form(s["id"], part), s.get(field), f"directory API service {s['id']} {part}")


def collect_threew(c: Collector, client, role, ctx):
    w = c.world
    r = _get(client, "network:threew_export", slug=SLUG)
    if r.status_code != 200:
        return
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    tags = rows[1]
    col = {t: i for i, t in enumerate(tags)}
    assert "#reached+f" in col, f"3W export without #reached+f: {tags}"
    seen = set()
    for row in rows[2:]:
        pk = w.service_keys.get((row[col["#org"]], row[col["#subsector"]]))
        if pk is None:
            continue
        for part, tag in (("f", "#reached+f"), ("m", "#reached+m"), ("total", "#reached+total")):
            if row[col[tag]].strip() and (pk, part) not in seen:
                seen.add((pk, part))
                c.add(w.service_form(pk, part), row[col[tag]], f"3W service {pk} {part}")


def collect_hsds(c: Collector, client, role, ctx):
    """HSDS 3.0 has no field for people reached: check it stays so (a number there would need a collector)."""
    r = _get(client, "network:hsds_export", slug=SLUG)
    if r.status_code != 200:
        return
    text = r.content.decode("utf-8")
    json.loads(text)
    assert "reached" not in text, "the HSDS export now carries people-reached counts: collect them here"


def collect_service_forms(c: Collector, client, role, ctx):
    """A focal point's own services, as the edit form shows them: what that audience knows for certain."""
    from tamasuk.network.models import Service

    w = c.world
    for s in Service.objects.filter(city=w.city, organisation__focal_points__username=role):
        r = _get(client, "network:edit_service", slug=SLUG, pk=s.organisation_id, service_pk=s.pk)
        if r.status_code != 200:
            continue
        doc = _doc(r)
        for part, field in (("f", "reached_f"), ("m", "reached_m"), ("total", "reached_total")):
            inputs = doc.xpath(f'//input[@name="{field}"]')
            if inputs:
                c.add(w.service_form(s.pk, part), inputs[0].get("value") or "", f"own service form {s.pk} {part}")


def _people_form_baseline(self, ind, version=None) -> Form:
    """The current baseline of an indicator, or (`version`) the one that version froze."""
    key = ("base", ind) if version is None else ("basev", ind, version)
    return form_of([key]) if key in self.cells else ()


World.people_form_baseline = _people_form_baseline


def _collect_changes(c: Collector, doc, plan, old, new, label: str):
    """Baselines of counts of people in a list of changes (plans/review_change_items.html): each changed
    indicator's li carries data-item and data-code, its baseline's dd data-field="baseline_value", and the two
    values data-kind="before" and "after". `old`/`new`: version numbers, None for the plan as it stands."""
    w = c.world
    by_code = {i.code: pk for pk, i in w.people_indicators.items() if i.plan_id == plan.pk}
    for li in doc.xpath('//li[contains(@class, "diff-item")][@data-item="indicator"]'):
        ind = by_code.get(li.get("data-code"))
        if ind is None:
            continue
        for dd in li.xpath('.//dd[@data-field="baseline_value"]'):
            for kind, version in (("before", old), ("after", new)):
                shown = dd.xpath(f'.//*[@data-kind="{kind}"]')
                assert len(shown) == 1, f"{label}: {len(shown)} {kind} values of {li.get('data-code')}'s baseline"
                c.add(w.people_form_baseline(ind, version), _text(shown[0]),
                      f"{label} {li.get('data-code')} baseline {kind} (version {version or 'current'})")


def collect_diffs(c: Collector, client, role, ctx):
    """Every pair of consecutive versions, and the last version against the plan as it stands."""
    from django.urls import reverse

    from tamasuk.plans.models import PlanVersion

    for plan in ctx["plans"]:
        numbers = sorted(PlanVersion.objects.filter(plan=plan).values_list("number", flat=True))
        pairs = list(zip(numbers, numbers[1:], strict=False)) + [(n, None) for n in numbers[-1:]]
        url = reverse("plans:diff", kwargs={"slug": SLUG, "pk": plan.pk})
        for old, new in pairs:
            r = client.get(url, {"from": old, "to": new or "current"})
            if r.status_code != 200:
                break
            _collect_changes(c, _doc(r), plan, old, new, f"diff {plan.pk} {old}→{new or 'current'}")


def collect_reviews(c: Collector, client, role, ctx):
    """A review still open lists what it changed so far: the version in force against the plan as it stands."""
    from tamasuk.plans.models import Plan, Review

    for plan in ctx["plans"]:
        in_force = Plan.objects.get(pk=plan.pk).adopted_version
        for review in Review.objects.filter(plan=plan).order_by("pk"):
            r = _get(client, "plans:review", slug=SLUG, pk=review.pk)
            if r.status_code != 200:
                continue
            if review.status == "open":
                _collect_changes(c, _doc(r), plan, in_force, None, f"review {review.pk}")
            else:
                assert not _doc(r).xpath('//dd[@data-field="baseline_value"]'), \
                    f"review {review.pk} (finished) now shows baselines: collect them here"


# ---------------------------------------------------------------------------------------------------------------
# the declaration of every outward surface
# ---------------------------------------------------------------------------------------------------------------

NO_COUNTS = "carries none of these datasets' numbers"
SURFACES: dict[str, Callable | str] = {
    # collectors
    "mapping:area": collect_ward_pages,
    "api-1:report_counts": collect_report_counts_api,
    "plans:plan": collect_plan_page,
    "api-1:get_plan": collect_plan_api,
    "plans:dashboard": collect_dashboard,
    "plans:iati": collect_iati,
    "plans:national": collect_national,
    "network:organisation": collect_organisation_pages,
    "api-1:list_organisations": collect_organisations_api,
    "network:threew_export": collect_threew,
    "network:hsds_export": collect_hsds,
    "network:edit_service": collect_service_forms,
    # surfaces without these numbers, and why
    "web:home": f"{NO_COUNTS}: links to cities and national views",
    "web:healthz": f"{NO_COUNTS}: a liveness answer",
    "web:login": f"{NO_COUNTS}: the sign-in form",
    "web:password_change": f"{NO_COUNTS}: the reader's own password form",
    "web:password_reset": f"{NO_COUNTS}: the form to set a new password from a one-time link",
    "api:tokens": f"{NO_COUNTS}: the reader's own API tokens",
    "web:city": f"{NO_COUNTS}: the city map coloured by sub-county or population density, area names",
    "api-1:me": f"{NO_COUNTS}: the reader's own account",
    "api-1:list_cities": f"{NO_COUNTS}: city names",
    "api-1:get_city": f"{NO_COUNTS}: the city's name, country, languages",
    "api-1:list_areas": f"{NO_COUNTS}: areas with their population totals (census figures, not small cells)",
    "api-1:get_area": f"{NO_COUNTS}: one area with its population total",
    "api-1:list_plans": f"{NO_COUNTS}: plan titles, years, status",
    "api-1:openapi-json": f"{NO_COUNTS}: the API's description",
    "api-1:openapi-view": f"{NO_COUNTS}: the API's documentation page",
    "api-1:list_indicators": f"{NO_COUNTS}: indicator definitions (series are checked by "
                             "test_no_city_team_series_reach_outsiders)",
    "api-1:list_observations": "observation series, not counts of people: checked by "
                               "test_no_city_team_series_reach_outsiders",
    "mapping:indicators": f"{NO_COUNTS}: the list of themes and indicators",
    "mapping:new_report": f"{NO_COUNTS}: the form to record a report",
    "network:directory": f"{NO_COUNTS}: numbers of services by sector and ward, capacities (not people reached)",
    "network:edit_organisation": f"{NO_COUNTS}: the focal point's own organisation's details",
    "network:new_service": f"{NO_COUNTS}: an empty service form",
    "network:network": f"{NO_COUNTS}: the drawing of organisations and links",
    "network:forums": f"{NO_COUNTS}: forums and their meetings",
    "network:forum": f"{NO_COUNTS}: one forum's meetings",
    "network:meeting": f"{NO_COUNTS}: a meeting's agenda, decisions, action items",
    "plans:plans": f"{NO_COUNTS}: plan titles and status",
    "plans:activity": f"{NO_COUNTS}: an activity, its progress narratives and the names of its indicators",
    "plans:edit_item": f"{NO_COUNTS}: the focal point's own activity (how it runs)",
    "plans:record_progress": f"{NO_COUNTS}: the quarterly progress form",
    "plans:evidence": f"{NO_COUNTS}: an evidence file of the focal point's own activity",
    "plans:reviews": f"{NO_COUNTS}: reviews and their status",
    "plans:reporting": f"{NO_COUNTS}: which activity reported which quarter (no values)",
    "plans:review": collect_reviews,
    "plans:diff": collect_diffs,
    "plans:versions": f"{NO_COUNTS}: the list of versions, who adopted them and why (the changes are on "
                      "plans:diff)",
    "plans:frameworks": f"{NO_COUNTS}: the country's National Action Plans",
    "plans:framework": f"{NO_COUNTS}: one National Action Plan's pillars",
}


# ---------------------------------------------------------------------------------------------------------------
# seeding a city with many small cells
# ---------------------------------------------------------------------------------------------------------------

def seed(city, users) -> dict:
    from tamasuk.mapping import services as mapping_services
    from tamasuk.mapping.models import CommunityReport
    from tamasuk.network.directory import services as network_services
    from tamasuk.plans import services as plan_services
    from tamasuk.plans.models import Plan

    rng = random.Random(9)
    coordinator = users["coordinator"]
    wards = sorted(city.areas.filter(level=2), key=lambda a: a.code)
    # The issue's ward is the one with the fewest demo reports, so that its counts are the issue's in every span.
    demo_reports = {w.pk: CommunityReport.objects.filter(area=w).count() for w in wards}
    wards.sort(key=lambda w: (demo_reports[w.pk] > 0, w.code))
    # Reports: the issue's ward (9 / 15 / 1 / 0 / 0) and random small tables, in a new year and the demo's years.
    rows = []

    def add(year, ward, category, n):
        for j in range(n):
            rows.append(mapping_services.ReportInput(row=len(rows) + 2, date=f"{year}-{1 + (j % 12):02d}-{1 + j % 28:02d}",
                                                     category=category, area=ward.code, channel="forum"))

    for category, n in zip(REPORT_CATEGORIES, [9, 15, 1, 0, 0], strict=True):
        add(NEW_REPORT_YEAR, wards[0], category, n)
    for ward in wards[1:13]:
        for category in REPORT_CATEGORIES:
            add(NEW_REPORT_YEAR, ward, category, rng.choice([0, 0, 1, 1, 2, 3, 4, 5, 6, 9]))
    for year in (NEW_REPORT_YEAR + 1, NEW_REPORT_YEAR + 2):
        for ward in rng.sample(wards, 6):
            add(year, ward, rng.choice(REPORT_CATEGORIES), rng.choice([1, 2, 3]))
    summary = mapping_services.import_reports(actor=coordinator, city=city, rows=rows, source_name="matrix.csv")
    assert not summary.errors, summary.errors

    # People reached by services: a new organisation with small counts, and one small service of the member's.
    member_org = users["member"].organisations.get()
    org = network_services.create_organisation(actor=coordinator, city=city, name="Matrix Youth Trust",
                                               type="youth", sectors=["youth"])
    for n, (f, m, total) in enumerate([(1, 3, 4), (2, 9, 15), (None, None, 2), (6, 0, 6), (3, 4, None),
                                       (7, 8, 17), (12, 1, 13)]):
        network_services.save_service(actor=coordinator, organisation=org, areas=wards[n % 5: n % 5 + 1 + n % 2],
                                      name=f"Matrix service {n}", sector="youth", reached_f=f, reached_m=m,
                                      reached_total=total)
    network_services.save_service(actor=coordinator, organisation=member_org, areas=wards[:1],
                                  name="Matrix mentoring", sector="youth", reached_f=2, reached_m=2, reached_total=4)

    # Counts of people in a plan shared at the national level, aligned with the demo's national framework.
    demo_plan = Plan.objects.filter(city=city).exclude(framework=None).order_by("pk").first()
    framework = demo_plan.framework
    npillars = list(framework.pillars.order_by("order", "code"))
    other_org = city.organisations.exclude(pk__in=[member_org.pk, org.pk]).order_by("pk").first()
    plan = plan_services.create_plan(actor=coordinator, city=city, title="Disclosure matrix plan",
                                     start_year=NEW_REPORT_YEAR + 1, end_year=NEW_REPORT_YEAR + 2,
                                     framework=framework, visibility="national", currency="KES")
    pillar = plan_services.add_pillar(actor=coordinator, plan=plan, code="1", title="Small groups")
    objective = plan_services.add_objective(actor=coordinator, pillar=pillar, code="1.1", title="Reach")
    start, end = dt.date(NEW_REPORT_YEAR + 1, 1, 1), dt.date(NEW_REPORT_YEAR + 2, 12, 31)
    a1 = plan_services.add_activity(actor=coordinator, objective=objective, code="1.1.1", title="Mentoring circles",
                                    lead=member_org, start=start, end=end, national_pillars=npillars[:2])
    a2 = plan_services.add_activity(actor=coordinator, objective=objective, code="1.1.2", title="Return support",
                                    lead=other_org, start=start, end=end, national_pillars=npillars[:1])
    ind = {}
    for code, at, disaggregation, baseline in [("D1", a1, ["sex", "age_band"], 3), ("D2", a2, ["sex"], 0),
                                               ("D3", None, ["group"], 12), ("D4", a1, [], 2),
                                               ("D5", a2, ["age_band"], 7)]:
        ind[code] = plan_services.add_indicator(
            actor=coordinator, plan=plan, code=code, name=f"People reached {code}", unit="people",
            counts_people=True, activity=at, objective=objective if at is None else None,
            disaggregation=disaggregation, baseline_value=Decimal(baseline),
            baseline_date=dt.date(NEW_REPORT_YEAR, 12, 31), targets={NEW_REPORT_YEAR + 1: 20})
    plan_services.adopt_plan(actor=coordinator, plan=plan)
    A = plan_services.ActualInput
    y1, y2 = NEW_REPORT_YEAR + 1, NEW_REPORT_YEAR + 2
    values = {
        ("D1", y1): [A(Decimal(21)), A(Decimal(9), sex="f"), A(Decimal(12), sex="m"), A(Decimal(13), age_band="15-24"),
                     A(Decimal(8), age_band="25-34"), A(Decimal(2), sex="f", age_band="15-24"),
                     A(Decimal(7), sex="f", age_band="25-34"), A(Decimal(11), sex="m", age_band="15-24"),
                     A(Decimal(1), sex="m", age_band="25-34")],
        ("D1", y2): [A(Decimal(17)), A(Decimal(0), sex="f", age_band="15-24"), A(Decimal(3), sex="f", age_band="25-34"),
                     A(Decimal(6), sex="m", age_band="15-24"), A(Decimal(8), sex="m", age_band="25-34")],
        ("D2", y1): [A(Decimal(14)), A(Decimal(4), sex="f"), A(Decimal(8), sex="m")],
        ("D2", y2): [A(Decimal(30)), A(Decimal(12), sex="f"), A(Decimal(18), sex="m")],
        ("D3", y1): [A(Decimal(25)), A(Decimal(3), group="refugees"), A(Decimal(20), group="host community")],
        ("D4", y1): [A(Decimal(3))],
        ("D4", y2): [A(Decimal(9))],
        ("D5", y2): [A(Decimal(11)), A(Decimal(1), age_band="15-24"), A(Decimal(10), age_band="25-34")],
    }
    for (code, year), vals in values.items():
        plan_services.record_actuals(actor=coordinator, indicator=ind[code], year=year, values=vals)
    # Baselines that change between versions (version 2 adopts a review), and a review left open that changes
    # more: the diffs and the open review's page show them before and after, small and not.
    for changes, adopt in (({"D1": 8, "D4": 1, "D5": 3}, True), ({"D3": 4, "D2": 6, "D4": 9}, False)):
        review = plan_services.open_review(actor=coordinator, plan=plan, title="Matrix review",
                                           period=str(y1))
        for code, baseline in changes.items():
            ind[code].refresh_from_db()
            plan_services.update_item(actor=coordinator, item=ind[code], expected_version=ind[code].version,
                                      baseline_value=Decimal(baseline))
        if adopt:
            plan_services.update_review(actor=coordinator, review=review, decisions="New baselines.")
            review.refresh_from_db()
            plan_services.adopt_review(actor=coordinator, review=review)
            plan.refresh_from_db()
    plans = list(Plan.objects.filter(city=city).order_by("pk"))
    return {"plans": plans, "framework": framework, "plan": plan}


def publish_every_theme(city, users):
    from tamasuk.mapping import services as mapping_services
    from tamasuk.mapping.models import Theme

    if not hasattr(Theme, "sensitivity"):
        return  # before themes carried a sensitivity, every theme was published
    for theme in Theme.objects.filter(city=city).exclude(sensitivity="open"):
        mapping_services.update_theme(actor=users["coordinator"], theme=theme, name=theme.name, sensitivity="open")


def iati_files(ctx, client_for) -> dict:
    out = {}
    coordinator = client_for("coordinator")
    for plan in ctx["plans"]:
        from django.urls import reverse

        r = coordinator.get(reverse("plans:iati", kwargs={"slug": SLUG, "pk": plan.pk}), {"accept": "1"})
        if r.status_code == 200 and r.content.lstrip().startswith(b"<?xml"):
            out[plan.pk] = etree.fromstring(r.content)
    return out


# ---------------------------------------------------------------------------------------------------------------
# the attacker
# ---------------------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Finding:
    form: Form
    true: int
    lo: float
    hi: float
    why: str
    surfaces: list[str]


def _components(observations: list[Obs]):
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for o in observations:
        keys = [k for k, _c in o.form]
        for k in keys:
            find(k)
        for a, b in zip(keys, keys[1:], strict=False):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    groups = defaultdict(list)
    for k in parent:
        groups[find(k)].append(k)
    return find, groups


class Attack:
    """Feasible intervals of linear forms given every observation of an audience (cells >= 0)."""

    def __init__(self, observations: list[Obs]):
        self.find, groups = _components(observations)
        self.systems = {}
        by_root = defaultdict(list)
        for o in observations:
            by_root[self.find(o.form[0][0])].append(o)
        for root, keys in groups.items():
            index = {k: i for i, k in enumerate(keys)}
            rows_ub, b_ub, rows_eq, b_eq = [], [], [], []
            for o in by_root[root]:
                row = np.zeros(len(keys))
                for k, c in o.form:
                    row[index[k]] = c
                if o.hi is not None and o.lo == o.hi:
                    rows_eq.append(row)
                    b_eq.append(o.lo)
                    continue
                if o.lo > 0:
                    rows_ub.append(-row)
                    b_ub.append(-o.lo)
                if o.hi is not None:
                    rows_ub.append(row)
                    b_ub.append(o.hi)
            self.systems[root] = (index, rows_ub, b_ub, rows_eq, b_eq)
        self._cache: dict = {}

    def _extreme(self, root, coef: dict, sign: int) -> float:
        key = (root, tuple(sorted(coef.items(), key=repr)), sign)
        if key in self._cache:
            return self._cache[key]
        index, rows_ub, b_ub, rows_eq, b_eq = self.systems[root]
        c = np.zeros(len(index))
        for k, v in coef.items():
            c[index[k]] = v * sign
        kwargs = {}
        if rows_ub:
            kwargs.update(A_ub=np.array(rows_ub), b_ub=np.array(b_ub))
        if rows_eq:
            kwargs.update(A_eq=np.array(rows_eq), b_eq=np.array(b_eq))
        res = linprog(c, bounds=[(0, None)] * len(index), method="highs", **kwargs)
        if res.status == 3:
            value = np.inf
        elif res.status == 0:
            value = res.fun * sign
        else:  # not proved unbounded: ask again with a cap far above any count
            res = linprog(c, bounds=[(0, 1e7)] * len(index), method="highs", **kwargs)
            assert res.status == 0, res.message
            value = res.fun * sign if res.fun * sign < 1e6 else np.inf
        self._cache[key] = value
        return value


def attack(world: World, observations: list[Obs], known: set) -> list[Finding]:
    """Every protected quantity the observations pin to an interval narrower than one."""
    targets: dict[Form, str] = {}
    observed_keys = {k for o in observations for k, _c in o.form}
    for o in observations:
        if o.hidden and not (o.lo == 0 and o.hi is None):  # a marker ("<k", "x"), not a bare "withheld"
            targets.setdefault(o.form, f"hidden by {o.surface} as {o.text}")
        v = world.value(o.form)
        if 0 < v < world.k:
            targets.setdefault(o.form, f"a count below {world.k}")
    for key in observed_keys:
        v = world.cells[key]
        if 0 < v < world.k:
            targets.setdefault(form_of([key]), f"a count below {world.k}")
        if key[0] == "rep" and key[3] in world.sensitive_categories:
            targets.setdefault(form_of([key]), "a category that stays with the city team")
    # What the audience recorded itself (a focal point's own services) is no disclosure to it.
    targets = {f: why for f, why in targets.items() if not all(k in known for k, _c in f)}
    if not targets:
        return []
    solver = Attack(observations)
    findings = []
    for form, why in targets.items():
        lo, hi = _interval(solver, form)
        if hi - lo < 1 - 1e-6:
            findings.append(Finding(form, world.value(form), lo, hi, why, []))
    return findings


def _interval(solver: Attack, form: Form) -> tuple[float, float]:
    parts = defaultdict(dict)
    for k, c in form:
        parts[solver.find(k)][k] = c
    lo, hi = 0.0, 0.0
    for root, coef in parts.items():
        if root not in solver.systems:
            return 0.0, np.inf
        lo += solver._extreme(root, coef, 1)
        hi += solver._extreme(root, coef, -1)  # the largest value
    return lo, hi


def leaking_combination(world: World, observations: list[Obs], finding: Finding) -> list[str]:
    """The smallest set of surfaces whose observations alone pin the finding (singles, then pairs)."""
    surfaces = sorted({o.surface for o in observations})

    def pinned(chosen):
        obs = [o for o in observations if o.surface in chosen]
        if not obs:
            return False
        lo, hi = _interval(Attack(obs), finding.form)
        return hi - lo < 1 - 1e-6

    for s in surfaces:
        if pinned({s}):
            return [s]
    for i, a in enumerate(surfaces):
        for b in surfaces[i + 1:]:
            if pinned({a, b}):
                return [a, b]
    return surfaces


# ---------------------------------------------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------------------------------------------

def _outward_names() -> dict[str, list[str]]:
    from test_permission_matrix import MATRIX

    return {name: [r for r in OUTSIDER_ROLES if expected[r] == 200]
            for name, (method, _kw, expected) in MATRIX.items()
            if method == "get" and any(expected[r] == 200 for r in OUTSIDER_ROLES)}


def test_every_outward_surface_is_declared():
    """Every GET page or API route an outsider may open is declared: with a collector, or with a reason."""
    from test_permission_matrix import MATRIX

    outward = _outward_names()
    missing = sorted(set(outward) - set(SURFACES))
    assert not missing, (
        "outward surfaces not declared in tests/test_disclosure_matrix.py SURFACES (add a collector, or the "
        "reason they carry none of the report, people or service counts): "
        + ", ".join(f"{n} (open to {', '.join(outward[n])})" for n in missing))
    stale = sorted(set(SURFACES) - set(MATRIX))
    assert not stale, f"SURFACES declares URLs that no longer exist: {stale}"
    assert set(ROLES) >= set(OUTSIDER_ROLES)


REPORT_SURFACES = {"mapping:area", "api-1:report_counts"}  # what a theme's sensitivity changes


def _run(city, users, client_for, *, every_theme: bool) -> tuple[World, dict, list[str]]:
    from django.core.cache import cache

    started = time.monotonic()
    if every_theme:
        publish_every_theme(city, users)
    ctx = seed(city, users)
    cache.clear()
    ctx["iati"] = iati_files(ctx, client_for)
    world = World(city)
    assert not world.unstructured, f"the test's model of these people counts is wrong: {world.unstructured}"
    per_audience: dict[str, list[Obs]] = {}
    timing: dict = defaultdict(float)
    problems = []
    iati_obs = Collector(world, "plans:iati")
    if not every_theme:
        collect_iati(iati_obs, None, None, ctx)
    for role in OUTSIDER_ROLES:
        client = client_for(role)
        observations = list(iati_obs.out)
        for name, collector in SURFACES.items():
            if not callable(collector) or name == "plans:iati" or every_theme and name not in REPORT_SURFACES:
                continue
            c = Collector(world, name)
            t0 = time.monotonic()
            collector(c, client, role, ctx)
            timing[name] += time.monotonic() - t0
            observations += c.out
        for o in observations:
            v = world.value(o.form)
            if v < o.lo - 1e-6 or (o.hi is not None and v > o.hi + 1e-6):
                problems.append(f"{role}: {o.label} shows {o.text!r} but the data say {v} "
                                f"({world.describe(o.form)}): a collector misreads it or the surface is wrong")
        per_audience[role] = [o for o in observations
                              if o.lo - 1e-6 <= world.value(o.form) and (o.hi is None or world.value(o.form) <= o.hi + 1e-6)]
    print(f"\nseeded and collected in {time.monotonic() - started:.1f} s;",
          ", ".join(f"{n} {t:.1f} s" for n, t in sorted(timing.items(), key=lambda kv: -kv[1])))
    for role, p, v, status in ctx.get("span_answers", []):
        problems.append(f"{role}: /reports/counts?{p}={v} answered {status}: an arbitrary span outside the city "
                        "team gives a difference of spans by subtraction")
    return world, per_audience, problems


def own_cells(world: World, role: str) -> set:
    """Cells the audience recorded itself: the services of the organisations it is the focal point of."""
    from tamasuk.network.models import Service

    mine = set(Service.objects.filter(city=world.city, organisation__focal_points__username=role)
               .values_list("pk", flat=True))
    return {k for k in world.cells if k[0] == "svc" and k[1] in mine}


def _report(world: World, per_audience: dict) -> tuple[list[str], dict]:
    lines, counts = [], {}
    cache: dict = {}
    for role, observations in per_audience.items():
        known = own_cells(world, role)
        fingerprint = hash((tuple(sorted((o.form, o.lo, o.hi, o.hidden) for o in observations)),
                            tuple(sorted(known))))
        if fingerprint not in cache:
            cache[fingerprint] = attack(world, observations, known)
        findings = cache[fingerprint]
        counts[role] = len(findings)
        surfaces = sorted({o.surface for o in observations})
        print(f"\n{role} ({AUDIENCES[role]}): {len(observations)} observations from {surfaces}; "
              f"{len(findings)} recovered")
        for f in findings[:25]:
            combo = leaking_combination(world, observations, f)
            line = (f"{role}: {world.describe(f.form)} = {f.true} is pinned to [{f.lo:g}, {f.hi:g}] "
                    f"({f.why}) by {' + '.join(combo)}")
            lines.append(line)
            print("  " + line)
        if len(findings) > 25:
            lines.append(f"{role}: … and {len(findings) - 25} more")
    return lines, counts


@pytest.mark.parametrize("every_theme", [False, True], ids=["default-themes", "every-theme-published"])
def test_no_cell_is_recoverable_across_all_outward_surfaces(city, users, client_for, every_theme):
    world, per_audience, problems = _run(city, users, client_for, every_theme=every_theme)
    # The seeded city really has small cells on these surfaces, or the test would prove nothing.
    small = sum(1 for v in world.cells.values() if 0 < v < world.k)
    assert small > 100, f"only {small} small cells seeded"
    assert any(o.surface == "mapping:area" for o in per_audience["peer"]), "no ward page was collected for a peer"
    assert any(o.surface == "api-1:report_counts" for o in per_audience["peer"])
    if not every_theme:  # (publishing every theme changes the report surfaces only: the others are not read)
        assert any(o.surface == "plans:plan" for o in per_audience["national"])
        assert any(o.surface == "plans:national" for o in per_audience["national"])
        assert any(o.surface == "plans:diff" for o in per_audience["national"])
        assert any(o.surface == "plans:review" for o in per_audience["member"])
        assert any(o.surface == "plans:iati" for o in per_audience["anonymous"])
        assert any(o.surface in {"network:organisation", "api-1:list_organisations"} for o in per_audience["member"])
    t0 = time.monotonic()
    leaks, counts = _report(world, per_audience)
    print(f"attack and report: {time.monotonic() - t0:.1f} s")
    print("\nrecovered per audience:", counts)
    assert not problems, "surfaces disagree with the data:\n" + "\n".join(problems[:40])
    assert not leaks, (f"cells recoverable by combining outward surfaces ({counts}):\n" + "\n".join(leaks))


def test_no_city_team_series_reach_outsiders(city, users, client_for):
    """Series of themes that stay with the city team are on no outsider's ward page or API answer."""
    from tamasuk.mapping.models import Indicator

    hidden = {i.code: i.name for i in Indicator.objects.filter(city=city).exclude(theme__sensitivity="open")}
    assert hidden, "the demo has indicators of city-team themes"
    found = []
    for role in OUTSIDER_ROLES:
        client = client_for(role)
        for code in sorted(a.code for a in city.areas.all())[:8]:
            r = _get(client, "mapping:area", slug=SLUG, code=code)
            if r.status_code != 200:
                break
            for tr in _doc(r).xpath('//table[contains(@class, "series")]/tbody/tr'):
                shown = tr.get("data-indicator")
                assert shown, f"ward page {code}: a series row without data-indicator"
                if shown in hidden:
                    found.append(f"{role}: ward page {code} shows {shown} ({hidden[shown]})")
        for path in (f"/api/v1/cities/{SLUG}/observations?limit=10000", f"/api/v1/cities/{SLUG}/indicators"):
            r = client.get(path)
            if r.status_code == 200:
                data = r.json()
                rows = data["results"] if isinstance(data, dict) else data
                shown = {row.get("indicator") or row.get("code") for row in rows}
                found += [f"{role}: {path} gives {c}" for c in sorted(shown & set(hidden))]
    assert not found, "\n".join(found[:30])


def test_only_the_publication_layer_decides_what_a_small_count_is():
    """The city's k is read and bounded by the publication layer; the model holds it and the city services set
    it. A form, view or API that compared with it or bounded it itself would drift from what is published."""
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "tamasuk"
    allowed = {"cities/models.py", "cities/publication.py", "cities/services.py"}
    found = sorted(str(p.relative_to(src)) for p in src.rglob("*") if p.suffix in {".py", ".html"}
                   and "migrations" not in p.parts and "suppression_k" in p.read_text(encoding="utf-8")
                   and str(p.relative_to(src)) not in allowed)
    assert found == [], f"suppression_k used outside the publication layer: {found}"
