"""IATI 2.03 activity XML for a Local Action Plan. No Django: plain data in (:class:`Export`), bytes out.

    xml = activities_xml(export)          # an <iati-activities version="2.03"> document, UTF-8
    iso2("KEN")                           # "KE"; None for a country this module does not know

The plan is one *hierarchy 1* activity carrying the results of its objectives (indicators attached to an
objective, or to the plan as a whole); each activity of the plan is a *hierarchy 2* activity linked to it
with ``related-activity`` (type 1, parent; the plan lists its children with type 2), carrying the results
of its own indicators. The output validates against the official 2.03 schema
(``iati-activities-schema.xsd``); elements are written in the order the schema's sequences demand.

Identifiers
    ``<organisation>-<plan code>`` for the plan and ``<organisation>-<plan code>-<activity code>`` for an
    activity. Whitespace and the characters IATI forbids in identifiers (``/ & | ?``) become ``-``; two
    activities ending up with the same identifier raise :class:`ValueError`.

Languages
    A text is a ``{language: text}`` dict. The document's language (``Export["language"]``) is written as
    ``xml:lang`` on each ``iati-activity``; its narrative comes first, without ``xml:lang``, and every
    other language present follows as a narrative with its own ``xml:lang``. Blank texts are left out.

Codes written (IATI codelists)
    activity-status: plan draft → 1 (pipeline), in force → 2 (implementation), closed → 4 (closed);
    activity planned → 1, ongoing → 2, completed → 3 (finalisation: still monitored while the plan runs)
    or 4 (closed) once the plan is closed, cancelled → 5. activity-date: 1/2/3/4 for planned start,
    actual start, planned end, actual end; an actual date later than ``generated`` is never written.
    participating-org roles: 1 funding, 2 accountable (the reporting organisation on every activity),
    4 implementing (the lead organisation, then the partners). result type: 1 output, 2 outcome, 3
    impact. indicator measure: 2 (percentage) when the unit is a percentage, else 1 (unit); ``ascending``
    is "higher is better". Dimensions of disaggregated values are ``sex`` (female/male), ``age`` and
    ``group``. Sectors with vocabulary 98/99 always carry a narrative (IATI requires one); when an
    activity lists several sectors of one vocabulary their percentages are split to add up to 100.

Budgets
    IATI budget periods may not be longer than a year, so an activity's budget is split over the
    calendar years it spans in proportion to its days in each, rounded to cents with the remainder in
    the last year (the parts add up exactly to the budget entered). Such a split is an estimate, so the
    budgets are reported as original (type 1) and indicative (status 1); each ``value`` carries the
    currency and a value-date (the period's first day). Budgets are on the activities only, never also
    on the plan, so that nothing is counted twice.

Withheld values
    A target, actual or baseline whose ``value`` is None is written without a value attribute and with
    its ``comment`` (the caller says why, e.g. a count hidden below the small-cell threshold).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import NotRequired, TypedDict

from lxml import etree

__all__ = [
    "ActivityData", "Baseline", "Cell", "Export", "Indicator", "Location", "Organisation", "Period", "PlanData",
    "Result", "Sector", "activities_xml", "budget_periods", "identifier", "iso2", "measure_for",
]

Text = dict[str, str]  # language code → text


class Organisation(TypedDict):
    name: Text
    ref: NotRequired[str]  # its IATI organisation identifier, when it has one
    type: NotRequired[str]  # IATI OrganisationType code, e.g. "11" local government


class Sector(TypedDict):
    vocabulary: str  # "1" OECD DAC 5-digit, "98"/"99" the reporting organisation's own
    code: str
    name: NotRequired[Text]


class Location(TypedDict):
    ref: str  # the reporting organisation's code for the place (an area code)
    name: Text
    point: NotRequired[tuple[float, float] | None]  # (latitude, longitude), WGS84


class Cell(TypedDict):
    value: Decimal | None  # None: withheld (see comment)
    dimensions: NotRequired[dict[str, str]]  # {"sex": "female", "age": "15-24"}; none for the total
    comment: NotRequired[str]


class Period(TypedDict):
    year: int  # a calendar year: 1 January to 31 December
    target: NotRequired[Decimal | None]
    actuals: NotRequired[list[Cell]]


class Baseline(TypedDict):
    year: int
    value: Decimal | None
    date: NotRequired[dt.date | None]
    comment: NotRequired[str]


class Indicator(TypedDict):
    code: str
    title: Text
    unit: str
    kind: str  # "output" or "outcome" ("impact" also understood)
    ascending: bool
    description: NotRequired[Text]
    baseline: NotRequired[Baseline | None]
    periods: NotRequired[list[Period]]


class Result(TypedDict):
    title: Text
    indicators: list[Indicator]  # a result without indicators is not written (IATI needs one)
    description: NotRequired[Text]


class ActivityData(TypedDict):
    code: str
    title: Text
    description: Text  # required by IATI: give the title again rather than nothing
    status: str  # planned, ongoing, completed, cancelled
    planned_start: dt.date
    planned_end: dt.date
    lead: Organisation
    objective: NotRequired[Text]  # written as the description of type 2 (objectives)
    actual_start: NotRequired[dt.date | None]
    actual_end: NotRequired[dt.date | None]
    partners: NotRequired[list[Organisation]]
    funders: NotRequired[list[Organisation]]
    budget: NotRequired[Decimal | None]
    locations: NotRequired[list[Location]]
    sectors: NotRequired[list[Sector]]
    results: NotRequired[list[Result]]


class PlanData(TypedDict):
    code: str  # stable: it is part of every identifier
    title: Text
    description: Text
    status: str  # draft, adopted, under_review, revised, closed
    planned_start: dt.date
    planned_end: dt.date
    actual_start: NotRequired[dt.date | None]
    actual_end: NotRequired[dt.date | None]
    sectors: NotRequired[list[Sector]]
    results: NotRequired[list[Result]]


class Export(TypedDict):
    reporting_org: Organisation  # ref and type required: the city as the publisher
    language: str  # the document's default language
    currency: str  # ISO 4217
    country: str  # ISO 3166-1 alpha-3 of the recipient country
    generated: dt.datetime
    plan: PlanData
    activities: list[ActivityData]
    warnings: NotRequired[list[str]]  # written as XML comments at the top of the file


VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"

# The countries the platform's cities are in, and their neighbours in the network; add as cities join.
ISO2 = {
    "KEN": "KE", "LBN": "LB", "MWI": "MW", "UGA": "UG", "TZA": "TZ", "SOM": "SO", "ETH": "ET", "RWA": "RW",
    "ZMB": "ZM", "MOZ": "MZ", "ZAF": "ZA", "NGA": "NG", "JOR": "JO", "SYR": "SY", "IRQ": "IQ", "PSE": "PS",
    "EGY": "EG", "TUN": "TN", "MAR": "MA",
}

PLAN_STATUS = {"draft": "1", "adopted": "2", "under_review": "2", "revised": "2", "closed": "4"}
ACTIVITY_STATUS = {"planned": "1", "ongoing": "2", "completed": "3", "cancelled": "5"}
RESULT_TYPE = {"output": "1", "outcome": "2", "impact": "3"}
SEX = {"f": "female", "m": "male"}
ROLE_FUNDING, ROLE_ACCOUNTABLE, ROLE_IMPLEMENTING = "1", "2", "4"
BUDGET_ORIGINAL, BUDGET_INDICATIVE = "1", "1"

_FORBIDDEN_IN_ID = re.compile(r"[\s/&|?]+")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CENT = Decimal("0.01")


def iso2(alpha3: str) -> str | None:
    return ISO2.get((alpha3 or "").strip().upper())


def identifier(organisation: str, plan_code: str, activity_code: str | None = None) -> str:
    parts = [organisation, plan_code] + ([activity_code] if activity_code is not None else [])
    return "-".join(_FORBIDDEN_IN_ID.sub("-", p.strip()).strip("-") for p in parts)


def measure_for(unit: str) -> str:
    u = (unit or "").strip().lower()
    return "2" if u.endswith("%") or u in {"percent", "per cent", "percentage", "percentage points"} else "1"


def budget_periods(total: Decimal, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date, Decimal]]:
    """The budget split over the calendar years from start to end, pro rata by days; the parts sum to it."""
    if end < start:
        raise ValueError(f"the budget period ends ({end}) before it starts ({start})")
    spans = []
    s = start
    while s <= end:
        e = min(dt.date(s.year, 12, 31), end)
        spans.append((s, e))
        s = dt.date(s.year + 1, 1, 1)
    whole = Decimal(str(total)).quantize(_CENT, rounding=ROUND_HALF_EVEN)
    days = (end - start).days + 1
    out, given = [], Decimal(0)
    for i, (s, e) in enumerate(spans):
        if i == len(spans) - 1:
            part = whole - given
        else:
            part = (whole * ((e - s).days + 1) / days).quantize(_CENT, rounding=ROUND_HALF_EVEN)
            given += part
        out.append((s, e, part))
    return out


def activities_xml(export: Export) -> bytes:
    """The plan and its activities as an IATI 2.03 ``iati-activities`` document (UTF-8 bytes)."""
    generated = export["generated"]
    root = etree.Element("iati-activities", {"version": VERSION,
                                             "generated-datetime": generated.replace(microsecond=0).isoformat()})
    org = export["reporting_org"]
    if not org.get("ref") or not org.get("type"):
        raise ValueError("the reporting organisation needs an identifier (ref) and an IATI type")
    plan = export["plan"]
    plan_id = identifier(org["ref"], plan["code"])
    child_ids = [identifier(org["ref"], plan["code"], a["code"]) for a in export["activities"]]
    seen: dict[str, str] = {plan_id: "the plan"}
    for a, child_id in zip(export["activities"], child_ids, strict=True):
        if child_id in seen:
            raise ValueError(f"activity {a['code']!r} gets the identifier {child_id}, already used by "
                             f"{seen[child_id]}: give it a code that differs in more than spaces or / & | ?")
        seen[child_id] = f"activity {a['code']!r}"
    writer = _Writer(export)
    writer.plan(root, plan_id, child_ids)
    for a, child_id in zip(export["activities"], child_ids, strict=True):
        writer.activity(root, a, child_id, plan_id)
    for warning in export.get("warnings") or []:
        root.addprevious(etree.Comment(" " + _comment_safe(warning) + " "))
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8", pretty_print=True)


class _Writer:
    def __init__(self, export: Export):
        self.export = export
        self.lang = _lang(export["language"]) or "en"
        self.today = export["generated"].date()
        self.country = iso2(export["country"])

    # ---- the two kinds of activity ----

    def plan(self, root, plan_id: str, child_ids: list[str]) -> None:
        p = self.export["plan"]
        el = self._open(root, plan_id, hierarchy=1)
        self._text(el, "title", p["title"], required="the plan's title")
        self._description(el, p["description"], "1", required="the plan's description")
        self._org(el, self.export["reporting_org"], ROLE_ACCOUNTABLE)
        _sub(el, "activity-status", code=PLAN_STATUS[p["status"]])
        self._dates(el, p["planned_start"], p.get("actual_start"), p["planned_end"], p.get("actual_end"))
        self._country(el)
        self._sectors(el, p.get("sectors") or [])
        for child_id in child_ids:
            _sub(el, "related-activity", ref=child_id, type="2")
        self._results(el, p.get("results") or [])

    def activity(self, root, a: ActivityData, activity_id: str, plan_id: str) -> None:
        el = self._open(root, activity_id, hierarchy=2)
        self._text(el, "title", a["title"], required=f"activity {a['code']}'s title")
        self._description(el, a["description"] if _present(a["description"]) else a["title"], "1", required=f"activity {a['code']}'s description")
        if _present(a.get("objective")):
            self._description(el, a["objective"], "2")
        for funder in a.get("funders") or []:
            self._org(el, funder, ROLE_FUNDING)
        self._org(el, self.export["reporting_org"], ROLE_ACCOUNTABLE)
        self._org(el, a["lead"], ROLE_IMPLEMENTING)
        for partner in a.get("partners") or []:
            self._org(el, partner, ROLE_IMPLEMENTING)
        status = ACTIVITY_STATUS[a["status"]]
        if status == "3" and self.export["plan"]["status"] == "closed":
            status = "4"
        _sub(el, "activity-status", code=status)
        self._dates(el, a["planned_start"], a.get("actual_start"), a["planned_end"], a.get("actual_end"))
        self._country(el)
        for loc in a.get("locations") or []:
            self._location(el, loc)
        self._sectors(el, a.get("sectors") or [])
        budget = a.get("budget")
        if budget is not None:
            for start, end, value in budget_periods(budget, a["planned_start"], a["planned_end"]):
                b = _sub(el, "budget", type=BUDGET_ORIGINAL, status=BUDGET_INDICATIVE)
                _sub(b, "period-start", **{"iso-date": start.isoformat()})
                _sub(b, "period-end", **{"iso-date": end.isoformat()})
                v = _sub(b, "value", currency=self.export["currency"], **{"value-date": start.isoformat()})
                v.text = format(value, "f")
        _sub(el, "related-activity", ref=plan_id, type="1")
        self._results(el, a.get("results") or [])

    def _open(self, root, activity_id: str, *, hierarchy: int):
        el = _sub(root, "iati-activity", hierarchy=str(hierarchy), **{"default-currency": self.export["currency"]})
        el.set(XML_LANG, self.lang)
        _sub(el, "iati-identifier").text = activity_id
        org = self.export["reporting_org"]
        rep = _sub(el, "reporting-org", ref=org["ref"], type=org["type"])
        self._narratives(rep, org["name"], required="the reporting organisation's name")
        return el

    # ---- pieces ----

    def _narratives(self, parent, text: Text | None, *, required: str | None = None) -> int:
        written = 0
        items = sorted(((_lang(k), _clean(v)) for k, v in (text or {}).items() if _clean(v)),
                       key=lambda kv: (kv[0] != self.lang, kv[0]))
        languages = set()
        for language, value in items:
            if language in languages:
                continue  # one narrative per language: "en" and "en-GB" would otherwise both say "en"
            languages.add(language)
            n = _sub(parent, "narrative")
            if language != self.lang:
                n.set(XML_LANG, language)
            n.text = value
            written += 1
        if not written and required:
            raise ValueError(f"{required} is empty: IATI needs a narrative")
        return written

    def _text(self, parent, tag: str, text: Text, *, required: str | None = None):
        el = _sub(parent, tag)
        self._narratives(el, text, required=required or tag)
        return el

    def _description(self, parent, text: Text, kind: str, *, required: str | None = None) -> None:
        el = _sub(parent, "description", type=kind)
        self._narratives(el, text, required=required or "a description")

    def _org(self, parent, org: Organisation, role: str) -> None:
        el = _sub(parent, "participating-org", role=role)
        if org.get("ref"):
            el.set("ref", org["ref"])
        if org.get("type"):
            el.set("type", org["type"])
        self._narratives(el, org["name"])

    def _dates(self, parent, planned_start, actual_start, planned_end, actual_end) -> None:
        for kind, day, actual in (("1", planned_start, False), ("2", actual_start, True),
                                  ("3", planned_end, False), ("4", actual_end, True)):
            if day is None or (actual and day > self.today):
                continue  # IATI: an actual date is never in the future
            _sub(parent, "activity-date", type=kind, **{"iso-date": day.isoformat()})

    def _country(self, parent) -> None:
        if self.country:
            _sub(parent, "recipient-country", code=self.country)

    def _location(self, parent, loc: Location) -> None:
        el = _sub(parent, "location", ref=_clean(loc["ref"]))
        _sub(el, "location-reach", code="1")  # the activity happens here
        if _present(loc.get("name")):
            self._text(el, "name", loc["name"])
        point = loc.get("point")
        if point is not None and -90 <= point[0] <= 90 and -180 <= point[1] <= 180:
            p = _sub(el, "point", srsName=WGS84)
            _sub(p, "pos").text = f"{point[0]:.5f} {point[1]:.5f}"
            _sub(el, "exactness", code="2")  # approximate: a point standing for an area
        _sub(el, "location-class", code="1")  # administrative region

    def _sectors(self, parent, sectors: list[Sector]) -> None:
        by_vocabulary: dict[str, list[Sector]] = OrderedDict()
        for s in sectors:
            by_vocabulary.setdefault(s["vocabulary"], []).append(s)
        for vocabulary, group in by_vocabulary.items():
            shares = _split_100(len(group)) if len(group) > 1 else [None]
            for s, share in zip(group, shares, strict=True):
                el = _sub(parent, "sector", vocabulary=vocabulary, code=s["code"])
                if share is not None:
                    el.set("percentage", format(share, "f"))
                if vocabulary in ("98", "99") and not self._narratives(el, s.get("name")):
                    _sub(el, "narrative").text = s["code"]
                elif vocabulary not in ("98", "99"):
                    self._narratives(el, s.get("name"))

    def _results(self, parent, results: list[Result]) -> None:
        for res in results:
            by_kind: dict[str, list[Indicator]] = OrderedDict()
            for ind in res["indicators"]:
                by_kind.setdefault(ind["kind"] if ind["kind"] in RESULT_TYPE else "output", []).append(ind)
            for kind, indicators in by_kind.items():
                r = _sub(parent, "result", type=RESULT_TYPE[kind])
                self._text(r, "title", res["title"], required="a result's title")
                if _present(res.get("description")):
                    self._text(r, "description", res["description"])
                for ind in indicators:
                    self._indicator(r, ind)

    def _indicator(self, parent, ind: Indicator) -> None:
        el = _sub(parent, "indicator", measure=measure_for(ind["unit"]),
                  ascending="true" if ind["ascending"] else "false")
        self._text(el, "title", ind["title"], required=f"indicator {ind['code']}'s name")
        if _present(ind.get("description")):
            self._text(el, "description", ind["description"])
        if ind.get("code"):
            _sub(el, "reference", vocabulary="99", code=_clean(ind["code"]))
        baseline = ind.get("baseline")
        if baseline is not None:
            b = _sub(el, "baseline", year=str(baseline["year"]))
            if baseline.get("date") is not None:
                b.set("iso-date", baseline["date"].isoformat())
            if baseline["value"] is not None:
                b.set("value", _number(baseline["value"]))
            self._comment(b, baseline.get("comment"))
        for period in sorted(ind.get("periods") or [], key=lambda p: p["year"]):
            target, actuals = period.get("target"), period.get("actuals") or []
            if target is None and not actuals:
                continue
            p = _sub(el, "period")
            _sub(p, "period-start", **{"iso-date": f"{period['year']:04d}-01-01"})
            _sub(p, "period-end", **{"iso-date": f"{period['year']:04d}-12-31"})
            if target is not None:
                _sub(p, "target", value=_number(target))
            for cell in sorted(actuals, key=lambda c: (bool(c.get("dimensions")), sorted((c.get("dimensions")
                                                                                         or {}).items()))):
                a = _sub(p, "actual")
                if cell["value"] is not None:
                    a.set("value", _number(cell["value"]))
                for name, value in (cell.get("dimensions") or {}).items():
                    _sub(a, "dimension", name=_clean(name), value=_clean(value))
                self._comment(a, cell.get("comment"))

    def _comment(self, parent, comment: str | None) -> None:
        if _clean(comment or ""):
            self._text(parent, "comment", {self.lang: comment})


def _sub(parent, tag: str, **attrs: str):
    el = etree.SubElement(parent, tag)
    for key, value in attrs.items():
        el.set(key, value)
    return el


def _clean(value) -> str:
    """Text XML 1.0 can carry: control characters (pasted from other programs) are dropped."""
    return _NOT_XML.sub("", str(value)).strip() if value is not None else ""


def _present(text: Text | None) -> bool:
    return bool(text) and any(_clean(v) for v in text.values())


def _lang(code: str) -> str:
    # IATI narratives take ISO 639-1 codes: "pt-BR" is written as "pt".
    return (code or "").strip().lower().replace("_", "-").split("-")[0]


def _number(value) -> str:
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if d == d.to_integral_value():
        return format(d.quantize(Decimal(1)), "f")
    return format(d.normalize(), "f")


def _split_100(n: int) -> list[Decimal]:
    share = (Decimal(100) / n).quantize(_CENT, rounding=ROUND_DOWN)
    return [share] * (n - 1) + [Decimal(100) - share * (n - 1)]


def _comment_safe(text: str) -> str:
    # An XML comment may not contain "--" nor end with "-".
    return re.sub(r"-{2,}", "-", _clean(text)).rstrip("-")
