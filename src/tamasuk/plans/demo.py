"""The demo city's Local Action Plan, modelled on Kenya's County Action Plans (every name and number is made up).

Aligned with a synthetic national strategy that has the nine pillars of Kenya's NSCVE; adopted in January of
its first year (last year, counted from the day the demo is loaded); quarterly progress up to the last completed
quarter, with a little evidence and two activities that honestly miss a quarter; one annual review of the first
year that adds an activity, raises a budget and a target, and is adopted as version 2.

Every figure in a progress note or in the review's text is computed from the data the demo has just recorded
(the indicators' yearly values and targets, the activities' budgets), never typed into the prose, so the notes,
the review and the dashboard always say the same thing. Every write goes through the plan services, so the
audit chain holds it all; only the timestamps of the plan's own rows are moved back to when they would have
happened.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from tamasuk.cities.models import Area, City

from . import services
from .models import (
    Activity,
    ActivityStatus,
    Actual,
    Evidence,
    NationalFramework,
    Plan,
    PlanIndicator,
    PlanVersion,
    ProgressStatus,
    ProgressUpdate,
    Review,
)

FRAMEWORK_NAME = "National Strategy to Counter Violent Extremism (demo)"
PLAN_TITLE = "Mombasa County Action Plan (demo)"
NATIONAL_PILLARS = [
    ("N1", "Psychosocial"),
    ("N2", "Education"),
    ("N3", "Political"),
    ("N4", "Security"),
    ("N5", "Faith-based and ideological"),
    ("N6", "Training and capacity building"),
    ("N7", "Arts and culture"),
    ("N8", "Legal and policy"),
    ("N9", "Media and online"),
]

PILLARS = [
    ("1", "Police–community trust and security", "الثقة بين الشرطة والمجتمع والأمن", [
        ("1.1", "Residents and police work together on safety"),
        ("1.2", "Fewer illegal weapons in the county"),
    ]),
    ("2", "Basic needs first", "الاحتياجات الأساسية أولاً", [
        ("2.1", "Food, water and sanitation in the wards of highest need"),
        ("2.2", "Psychosocial support reaches those who need it"),
    ]),
    ("3", "Youth and economic empowerment", "تمكين الشباب اقتصادياً", [
        ("3.1", "Young entrepreneurs start and keep businesses"),
        ("3.2", "Young people gain skills for work"),
    ]),
    ("4", "Inclusion, women and faith dialogue", "الإدماج والنساء والحوار بين الأديان", [
        ("4.1", "Faith and community leaders meet across divides"),
        ("4.2", "Women take part in local decisions"),
    ]),
]

# Years are offsets from the plan's first year; (year, quarter) keys name a quarter the same way.
# lead/partners are (organisation type, index among that type by creation order); wards are indices of the
# 30 demo wards (3, 17 and 26 sit in the synthetic clusters of high need). Notes hold no figures of their own:
# "year_end" and "final" notes quote an indicator's value for the year, read from what the demo recorded.
# "missing": a quarter the lead organisation did not report ((year, quarter), or "last": the last completed one).
ACTIVITIES = [
    {"code": "1.1.1", "objective": "1.1", "lead": "MEMBER",
     "title": "Youth reform programme: mentoring and reintegration for young people leaving gangs",
     "description": "Weekly mentoring, life skills and family mediation for young people who want to leave "
                    "criminal gangs, with referrals to counselling and training.",
     "partners": [("police", 0), ("psychosocial", 0), ("civil_society", 1)], "wards": [3, 4, 17, 18],
     "budget": 4_800_000, "start": (0, 2, 1), "end": (4, 12, 31), "national": ["N1", "N4", "N6"],
     "statuses": {(0, 3): ("at_risk", "Mentors left and sessions in Kisauni paused until replacements were "
                                      "trained.")},
     "notes": ["Young people took part in weekly mentoring sessions in the programme's wards.",
               "Participants completed the life-skills module; family mediation started with their families.",
               "Mentors referred participants who asked for it to counselling.",
               "Young people who finished the programme joined training or work placements."],
     "year_end": ("I3", "{value} young people completed the programme in {year}.")},
    {"code": "1.1.2", "objective": "1.1", "lead": ("police", 0),
     "title": "Community policing barazas in every sub-county",
     "description": "Monthly open meetings (barazas) where residents raise safety concerns with the police "
                    "post commanders and agree on follow-up.",
     "partners": [("police", 1), ("civil_society", 0), ("municipal", 0)], "wards": [0, 6, 12, 17, 22, 26],
     "budget": 2_400_000, "start": (0, 1, 15), "end": (4, 12, 31), "national": ["N3", "N4"],
     "statuses": {(1, 3): ("late", "Barazas in Likoni and Jomvu were not held while the post commanders were "
                                   "replaced.")},
     "notes": ["Barazas held; street lighting and patrol times were the most raised concerns.",
               "Barazas held; commanders reported back on last quarter's follow-up items.",
               "Barazas held, with more women and young people than before.",
               "Barazas held, some of them jointly with the women's associations."]},
    {"code": "1.2.1", "objective": "1.2", "lead": ("national_agency", 0),
     "title": "Weapons amnesty: voluntary surrender of illegal firearms",
     "description": "A six-month amnesty with collection points at faith centres and chiefs' offices; "
                    "weapons are logged and destroyed in public.",
     "partners": [("police", 0), ("police", 2), ("faith", 0)], "wards": [3, 8, 17, 26],
     "budget": 1_500_000, "start": (0, 4, 1), "end": (0, 9, 30), "national": ["N4", "N8"],
     "completes": (0, 3),
     "notes": ["Collection points opened at faith centres and chiefs' offices; faith leaders announced the "
               "amnesty at Friday and Sunday prayers."],
     "final": ("I2", "The amnesty closed with {value} weapons surrendered and destroyed in a public ceremony.")},
    {"code": "1.2.2", "objective": "1.2", "lead": ("civil_society", 2),
     "title": "Safe channel for grievances about security forces",
     "description": "A free hotline and walk-in desks where residents report abuse by security forces, "
                    "followed up with the oversight authority.",
     "partners": [("national_agency", 1), ("women", 1)], "wards": [3, 17, 26],
     "budget": 900_000, "start": (0, 7, 1), "end": (3, 6, 30), "national": ["N4", "N8"],
     "statuses": {(0, 3): ("late", "The hotline's launch slipped a quarter: the call-centre contract was signed "
                                   "only in September.")},
     "notes": ["Grievances received and passed to the oversight authority; none names the caller.",
               "Grievances received; the oversight authority answered most within a month.",
               "Walk-in desks opened and received grievances in person."]},
    {"code": "2.1.1", "objective": "2.1", "lead": ("municipal", 0),
     "title": "Basic-needs package: food vouchers and water-point repairs",
     "description": "Food vouchers for households below the poverty line and repair of broken water points "
                    "in the wards of highest need, ranked with the city's priority profile.",
     "partners": [("faith", 1), ("civil_society", 3), ("business", 0)], "wards": [2, 3, 4, 16, 17, 25, 26],
     "budget": 12_000_000, "start": (0, 1, 1), "end": (1, 12, 31), "national": ["N1"],
     "statuses": {(0, 4): ("at_risk", "The drought raised requests for food vouchers sharply; at this rate the budget "
                                     "runs out before the second dry season.", "1.7")},
     "notes": ["Households received food vouchers; the first water points were repaired.",
               "Households received vouchers; repaired water points are back in use.",
               "Faith councils helped find households missed by the first round.",
               "Water committees were set up for each repaired point."],
     "year_end": ("I5", "{value} households were reached by the package in {year}.")},
    {"code": "2.1.2", "objective": "2.1", "lead": ("municipal", 1),
     "title": "Sanitation upgrades in informal settlements",
     "description": "Shared toilets and hand-washing stations built with residents' committees.",
     "partners": [("civil_society", 4), ("health", 0)], "wards": [3, 17, 26],
     "budget": 6_500_000, "start": (0, 7, 1), "end": (2, 6, 30), "national": ["N1"],
     "statuses": {(1, 2): ("late", "Building stopped in the long rains; several blocks are behind schedule.")},
     "notes": ["Residents' committees chose the sites of the toilet blocks.",
               "The first toilet blocks were finished and handed to residents' committees.",
               "Hand-washing stations installed next to schools and markets."]},
    {"code": "2.2.1", "objective": "2.2", "lead": ("psychosocial", 0),
     "title": "Community counselling and a shared referral pathway",
     "description": "Lay counsellors in each sub-county and one waiting list shared by the counselling "
                    "networks, schools and health centres.",
     "partners": [("psychosocial", 1), ("health", 1), ("school", 0)], "wards": [0, 5, 10, 15, 20, 25],
     "budget": 3_000_000, "start": (0, 1, 1), "end": (4, 12, 31), "national": ["N1", "N6"],
     "notes": ["Lay counsellors trained; the shared waiting list went live.",
               "Referrals received through the shared pathway, most from schools.",
               "The wait for a first session shortened.",
               "Counsellors now visit each secondary school once a term."],
     "missing": "last"},
    {"code": "3.1.1", "objective": "3.1", "lead": ("business", 0),
     "title": "Start-up grants and mentoring for young entrepreneurs",
     "description": "Small grants, bookkeeping training and a mentor from the traders' cooperative for young "
                    "people starting a business.",
     "partners": [("youth", 1), ("municipal", 2), ("women", 0)], "wards": [1, 3, 9, 14, 17, 26],
     "budget": 7_500_000, "start": (0, 3, 1), "end": (4, 12, 31), "national": ["N6"],
     "statuses": {(1, 1): ("at_risk", "Grant payments were delayed by the county's new payment system.")},
     "notes": ["Young entrepreneurs received start-up grants and a mentor.",
               "Young entrepreneurs completed bookkeeping training.",
               "Most businesses started with a grant are still trading; new grants awarded.",
               "Young entrepreneurs sold at the cooperative's Saturday market."],
     "year_end": ("I6", "{value} young entrepreneurs received start-up support in {year}.")},
    {"code": "3.2.1", "objective": "3.2", "lead": ("school", 1),
     "title": "Vocational training and apprenticeships",
     "description": "Six-month courses in welding, tailoring, solar installation and hospitality, with "
                    "apprenticeships at local businesses.",
     "partners": [("business", 1), ("youth", 2)], "wards": [6, 11, 17, 21],
     "budget": 5_200_000, "start": (0, 1, 1), "end": (1, 6, 30), "national": ["N2", "N6"],
     "completes": (1, 2),
     "notes": ["Trainees enrolled in the first intake.",
               "Trainees started apprenticeships at local businesses.",
               "Trainees enrolled in the second intake, many of them young women."],
     "final": "The last intake graduated; many graduates are in paid work or apprenticeships."},
    {"code": "4.1.1", "objective": "4.1", "lead": ("faith", 0),
     "title": "Interfaith dialogue forums in the wards",
     "description": "Quarterly forums where imams, pastors, youth and women discuss local tensions and agree "
                    "on joint messages.",
     "partners": [("faith", 2), ("youth", 0), ("women", 2)], "wards": [2, 3, 7, 17, 23, 26],
     "budget": 1_800_000, "start": (0, 1, 1), "end": (4, 12, 31), "national": ["N5", "N7"],
     "notes": ["Forums held; leaders agreed a joint message against hate speech before the holidays.",
               "Forums held, some with youth groups running the discussion.",
               "Faith leaders made joint visits to families affected by violence.",
               "Forums held; a joint football day drew players from every congregation."],
     "year_end": ("I8", "{value} people took part in the dialogue forums in {year}.")},
    {"code": "4.1.2", "objective": "4.1", "lead": ("school", 0),
     "title": "Peace clubs in secondary schools",
     "description": "Student peace clubs with trained teacher patrons, debates and drama on living together.",
     "partners": [("school", 2), ("civil_society", 5)], "wards": [0, 7, 13, 19, 24],
     "budget": 1_200_000, "start": (0, 2, 1), "end": (1, 11, 30), "national": ["N2", "N7", "N9"],
     "completes": (1, 4),
     "notes": ["Peace clubs started in schools with trained teacher patrons.",
               "Students took part in inter-school debates on living together.",
               "Drama groups performed at the county's peace day.",
               "Clubs ran a campaign against hate speech on social media."],
     "final": "The clubs' second year closed; head teachers will keep them running from school budgets."},
    {"code": "4.2.1", "objective": "4.2", "lead": ("women", 0),
     "title": "Leadership training for women in ward committees",
     "description": "Training in public speaking, budgeting and meeting procedure for women who sit on or "
                    "stand for ward committees.",
     "partners": [("women", 1), ("municipal", 3)], "wards": [1, 5, 12, 17, 26],
     "budget": 2_100_000, "start": (0, 4, 1), "end": (2, 3, 31), "national": ["N3", "N6"],
     "notes": ["Women completed the first training module.",
               "Trainees attended ward budget hearings after the training.",
               "Trainees coached women standing for ward committees."],
     "missing": (0, 3)},
]

# Added by the annual review (see `_review`).
MEDIATION = {
    "code": "4.2.2", "objective": "4.2", "lead": ("women", 1),
    "title": "Women-led mediation pilot",
    "description": "Women mediators, trained with the interfaith council, settle neighbourhood disputes "
                   "before they turn violent; pilot in three wards of high tension.",
    "partners": [("faith", 0), ("police", 1)], "wards": [3, 17, 26],
    "budget": 1_600_000, "start": (1, 4, 1), "end": (2, 3, 31), "national": ["N3", "N5"],
    "notes": ["Women mediators trained with the interfaith council.",
              "Mediators handled disputes, mostly over land and water points.",
              "Disputes settled; a few were referred to the police post."]}

AGE_BANDS_YOUTH = ["15-24", "25-34"]
AGE_BANDS_ADULT = ["15-24", "25-34", "35-59", "60+"]

# code, name, unit, attached to ("objective"/"activity", code), mapping indicator code or None, kind,
# higher is better, counts people, disaggregation, baseline, targets by year offset, actuals by year offset.
# Actuals of people: {(sex, age band): count}; some cells are below 5 on purpose (they are suppressed
# when the plan is shared beyond the city team).
INDICATORS = [
    ("I1", "Residents who trust the police", "%", ("objective", "1.1"), "trust-in-police", "outcome",
     True, False, [], None, [2.5, 5, 8, 10, 12], None),
    ("I2", "Illegal weapons surrendered or recovered", "weapons", ("objective", "1.2"), None, "output",
     True, False, [], 0, [150, 60, 60, 50, 40], [187, 54]),
    ("I3", "Young people completing the youth reform programme", "people", ("activity", "1.1.1"), None, "output",
     True, True, ["sex", "age_band"], 0, [60, 90, 100, 100, 100],
     [{("f", "15-24"): 9, ("f", "25-34"): 3, ("m", "15-24"): 31, ("m", "25-34"): 15},
      {("f", "15-24"): 14, ("f", "25-34"): 4, ("m", "15-24"): 42, ("m", "25-34"): 23}]),
    ("I4", "Households with insufficient food", "%", ("objective", "2.1"), "food-insecurity", "outcome",
     False, False, [], None, [-1.5, -3, -4.5, -6, -7], None),
    ("I5", "Households reached by the basic-needs package", "households", ("activity", "2.1.1"), None, "output",
     True, False, [], 0, [3000, 3500, 3500, 3000, 2500], [3240, 3610]),
    ("I6", "Young entrepreneurs receiving start-up support", "people", ("activity", "3.1.1"), None, "output",
     True, True, ["sex", "age_band"], 0, [120, 150, 160, 160, 160],
     [{("f", "15-24"): 38, ("f", "25-34"): 41, ("m", "15-24"): 35, ("m", "25-34"): 32},
      {("f", "15-24"): 52, ("f", "25-34"): 49, ("m", "15-24"): 47, ("m", "25-34"): 43}]),
    ("I7", "Youth unemployment rate", "%", ("objective", "3.1"), "youth-unemployment", "outcome",
     False, False, [], None, [-1, -2.5, -4, -5.5, -7], None),
    ("I8", "People taking part in interfaith and community dialogues", "people", ("objective", "4.1"), None,
     "output", True, True, ["sex", "age_band"], 0, [800, 1000, 1200, 1300, 1400],
     [{("f", "15-24"): 96, ("f", "25-34"): 121, ("f", "35-59"): 188, ("f", "60+"): 4,
       ("m", "15-24"): 110, ("m", "25-34"): 134, ("m", "35-59"): 201, ("m", "60+"): 37},
      {("f", "15-24"): 131, ("f", "25-34"): 140, ("f", "35-59"): 214, ("f", "60+"): 3,
       ("m", "15-24"): 152, ("m", "25-34"): 149, ("m", "35-59"): 226, ("m", "60+"): 41}]),
    ("I9", "Women among ward committee members", "%", ("objective", "4.2"), "women-in-committees", "outcome",
     True, False, [], None, [2, 4, 6, 8, 10], None),
]
# Fallbacks when the mapping demo has no survey for a year (it covers fixed years).
MAPPING_FALLBACK = {"trust-in-police": 45.0, "food-insecurity": 23.0, "youth-unemployment": 39.0,
                    "women-in-committees": 30.0}
MAPPING_DRIFT = {"trust-in-police": 1.6, "food-insecurity": -0.9, "youth-unemployment": -0.8,
                 "women-in-committees": 1.1}

REVIEW_REVIEWERS = "Local Prevention Network forum; County Commissioner's office; external auditor (demo)"
REVIEW_RECOMMENDATIONS = (
    "Protect the basic-needs package through the second dry season. Build on the dialogue forums with "
    "mediation led by women, who residents say they trust to settle neighbourhood disputes. Raise the "
    "target for young entrepreneurs to match demand. Hold forums at times and places older women can reach.")
PACKAGE_BUDGET_AFTER_REVIEW = 15_500_000
GRANTS_TARGET_AFTER_REVIEW = 200


def load(*, city: City, progress=lambda _m: None, today: dt.date | None = None) -> None:
    """``today``: the day the demo is loaded. The plan started in January of last year; progress is reported up
    to the last quarter that has ended; yearly values exist for the years that have ended."""
    User = get_user_model()
    actor = User.objects.filter(username="coordinator").first() or "demo"
    today = today or timezone.localdate()
    first = today.year - 1
    last_quarter = (today.year, (today.month - 1) // 3) if today.month > 3 else (today.year - 1, 4)
    tz = ZoneInfo(city.time_zone or "Africa/Nairobi")
    progress("Adding the Local Action Plan with its progress up to last quarter and one review…")

    framework, made_framework = _framework(actor, first)
    orgs = _organisations(city)
    wards = list(Area.objects.filter(city=city, level=2).order_by("code"))
    national = {p.code: p for p in framework.pillars.all()}
    plan = services.create_plan(actor=actor, city=city, title=PLAN_TITLE, start_year=first, end_year=first + 4,
                                framework=framework, visibility="national", currency="KES",
                                titles={"sw": "Mpango Kazi wa Kaunti ya Mombasa (demo)",
                                        "ar": "خطة عمل مقاطعة مومباسا (تجريبية)"})
    objectives = {}
    for code, title, title_ar, objs in PILLARS:
        pillar = services.add_pillar(actor=actor, plan=plan, code=code, title=title, titles={"ar": title_ar})
        for ocode, otitle in objs:
            objectives[ocode] = services.add_objective(actor=actor, pillar=pillar, code=ocode, title=otitle)
    activities = {spec["code"]: _add_activity(actor, spec, first, objectives, orgs, wards, national)
                  for spec in ACTIVITIES}
    indicators = _indicators(actor, plan, first, objectives, activities)
    services.adopt_plan(actor=actor, plan=plan, reason="Adopted by the County Executive Committee after the "
                                                       "Local Prevention Network's consultation (demo).")

    evidence = _evidence(first, wards, indicators)
    review = None
    for offset in range(last_quarter[0] - first + 1):
        if offset == 1:  # the annual review of the first year, early in the second
            review = _review(actor, plan, first, objectives, orgs, wards, national, activities, indicators)
        if first + offset < today.year:  # a year that has ended has its values (before its notes quote them)
            _actuals_year(actor, indicators, first, offset)
        quarters = 4 if first + offset < last_quarter[0] else last_quarter[1]
        _progress_year(actor, plan, first, offset, evidence, indicators, quarters=quarters,
                       last=(last_quarter[0] - first, last_quarter[1]))
    if review is None:  # loaded in the first weeks of a year: the review of last year is under way
        review = _review(actor, plan, first, objectives, orgs, wards, national, activities, indicators)
    _backdate(plan, review, first, tz, framework if made_framework else None)


def year_total(indicator: PlanIndicator, year: int) -> Decimal | None:
    """The indicator's recorded total for a year (what the dashboard shows for it), or None."""
    found = Actual.objects.filter(indicator=indicator, year=year, sex="", age_band="", group="").first()
    return found.value if found is not None else None


def _figure(value) -> str:
    """A figure as the dashboard writes it in English: grouped thousands, no trailing zeros."""
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value.normalize():,}"


def _framework(actor, first: int) -> tuple[NationalFramework, bool]:
    # Frameworks belong to the country, not the city: a reloaded demo city finds the one it made before.
    found = NationalFramework.objects.filter(country="KEN", name=FRAMEWORK_NAME).first()
    if found is not None:
        return found, False
    return services.create_framework(actor=actor, country="KEN", name=FRAMEWORK_NAME, start_year=first - 1,
                                     end_year=first + 4, pillars=NATIONAL_PILLARS,
                                     names={"sw": "Mkakati wa Kitaifa wa Kukabiliana na Itikadi Kali (demo)"}), True


def _organisations(city: City) -> dict:
    from tamasuk.network.models import Organisation

    by_type: dict = {}
    for org in Organisation.objects.filter(city=city).order_by("pk"):
        by_type.setdefault(org.type, []).append(org)
    member = get_user_model().objects.filter(username="member").first()
    mine = member.organisations.first() if member is not None else None
    return {"types": by_type, "member": mine or by_type["youth"][0]}


def _org(orgs: dict, ref):
    if ref == "MEMBER":
        return orgs["member"]
    kind, index = ref
    return orgs["types"][kind][index]


def _date(first: int, ymd) -> dt.date:
    return dt.date(first + ymd[0], ymd[1], ymd[2])


def _add_activity(actor, spec, first, objectives, orgs, wards, national) -> Activity:
    lead = _org(orgs, spec["lead"])
    partners = [o for o in (_org(orgs, p) for p in spec["partners"]) if o.pk != lead.pk]
    return services.add_activity(
        actor=actor, objective=objectives[spec["objective"]], code=spec["code"], title=spec["title"],
        description=spec["description"], lead=lead, partners=partners, areas=[wards[i] for i in spec["wards"]],
        national_pillars=[national[c] for c in spec["national"]], budget=Decimal(spec["budget"]),
        start=_date(first, spec["start"]), end=_date(first, spec["end"]))


def _mapping_value(city: City, code: str, year: int, fallback: float) -> Decimal:
    """The city's value of a mapping indicator in a year: the population-weighted mean of its wards."""
    from tamasuk.mapping.models import Observation

    rows = list(Observation.objects.filter(city=city, indicator__code=code, period=str(year), sex="",
                                           age_band="", group="", area__level=2)
                .values_list("value", "area__population"))
    if not rows:
        return Decimal(str(round(fallback, 1)))
    weight = sum((p or 1) for _v, p in rows)
    return Decimal(str(round(sum(v * (p or 1) for v, p in rows) / weight, 1)))


def _indicators(actor, plan: Plan, first: int, objectives, activities) -> dict:
    from tamasuk.mapping.models import Indicator

    made = {}
    for (code, name, unit, (level, ref), mapping_code, kind, better, people, disaggregation, baseline, targets,
         _actuals) in INDICATORS:
        mapping = None
        if mapping_code:
            mapping = Indicator.objects.filter(city=plan.city, code=mapping_code).first()
            start = MAPPING_FALLBACK[mapping_code]
            base = _mapping_value(plan.city, mapping_code, first - 1, start)
            # Outcome targets are steps from the baseline survey, so they stay sensible whatever it says.
            target_values = {first + k: base + Decimal(str(step)) for k, step in enumerate(targets)}
            unit = mapping.unit if mapping else unit
        else:
            base = Decimal(baseline)
            target_values = {first + k: Decimal(v) for k, v in enumerate(targets)}
        made[code] = services.add_indicator(
            actor=actor, plan=plan, code=code, name=name, unit=unit, kind=kind, higher_is_better=better,
            counts_people=people, disaggregation=disaggregation, mapping_indicator=mapping,
            objective=objectives[ref] if level == "objective" else None,
            activity=activities[ref] if level == "activity" else None,
            baseline_value=base, baseline_date=dt.date(first - 1, 12, 31), targets=target_values)
    return made


def _quarters(year: int):
    for q in range(1, 5):
        start = dt.date(year, 3 * q - 2, 1)
        end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
        yield q, start, end


def _progress_year(actor, plan: Plan, first: int, offset: int, evidence: dict, indicators: dict, *,
                   quarters: int = 4, last: tuple[int, int] = (1, 4)) -> None:
    """Each activity's updates for the year's first ``quarters`` quarters; ``last`` is the last completed quarter
    as (year offset, quarter)."""
    specs = {s["code"]: s for s in [*ACTIVITIES, MEDIATION]}
    for activity in plan.activities.order_by("pk"):
        spec = specs[activity.code]
        total_quarters = sum(1 for y in range(activity.start.year, activity.end.year + 1)
                             for _q, s, e in _quarters(y) if s <= activity.end and e >= activity.start)
        done_before = ProgressUpdate.objects.filter(activity=activity).count()
        missing = spec.get("missing")
        missing = last if missing == "last" else missing
        for q, start, end in _quarters(first + offset):
            if q > quarters or not (start <= activity.end and end >= activity.start):
                continue
            if missing == (offset, q):  # the lead organisation did not report this quarter
                continue
            activity.refresh_from_db()
            if activity.status in (ActivityStatus.COMPLETED, ActivityStatus.CANCELLED):
                continue
            if activity.status == ActivityStatus.PLANNED:
                services.update_item(actor=actor, item=activity, expected_version=activity.version,
                                     status=ActivityStatus.ONGOING)
            n = done_before
            done_before += 1
            status, narrative = ProgressStatus.ON_TRACK, spec["notes"][n % len(spec["notes"])]
            pace = None
            if (offset, q) in spec.get("statuses", {}):
                status, narrative, *rest = spec["statuses"][(offset, q)]
                pace = Decimal(rest[0]) if rest else None
            year_end = spec.get("year_end")
            if q == 4 and status == ProgressStatus.ON_TRACK and year_end is not None:
                value = year_total(indicators[year_end[0]], first + offset)
                if value is not None:
                    narrative = year_end[1].format(value=_figure(value), year=first + offset)
            if spec.get("completes") == (offset, q):
                status, narrative = ProgressStatus.COMPLETED, spec["final"]
                if isinstance(narrative, tuple):  # a closing note quoting an indicator's value for the year
                    code, text = narrative
                    narrative = text.format(value=_figure(year_total(indicators[code], first + offset)))
            pace = pace or {"on_track": Decimal("0.95"), "completed": Decimal("1.05")}.get(status, Decimal("0.45"))
            spent = (activity.budget / total_quarters * pace).quantize(Decimal("1000"))
            services.record_progress(actor=actor, activity=activity, period=f"{first + offset}-Q{q}",
                                     status=status, narrative=narrative, spent=spent,
                                     evidence=evidence.get((activity.code, offset, q), []))
            if status == ProgressStatus.COMPLETED:
                activity.refresh_from_db()
                services.update_item(actor=actor, item=activity, expected_version=activity.version,
                                     status=ActivityStatus.COMPLETED)


def _actuals_year(actor, indicators: dict, first: int, offset: int) -> None:
    year = first + offset
    for code, _name, _unit, _at, mapping_code, *_rest, actuals in INDICATORS:
        indicator = indicators[code]
        if mapping_code:
            start = MAPPING_FALLBACK[mapping_code] + MAPPING_DRIFT[mapping_code] * (offset + 1)
            values = [services.ActualInput(value=_mapping_value(indicator.plan.city, mapping_code, year, start))]
            note = "City value: population-weighted mean of the wards' survey (synthetic)."
        elif isinstance(actuals[offset], dict):
            cells = actuals[offset]
            values = [services.ActualInput(value=Decimal(sum(cells.values())))] + [
                services.ActualInput(value=Decimal(v), sex=sex, age_band=band) for (sex, band), v in cells.items()]
            note = "From the lead organisation's attendance sheets (counts only)."
        else:
            values = [services.ActualInput(value=Decimal(actuals[offset]))]
            note = "From the lead organisation's records."
        services.record_actuals(actor=actor, indicator=indicator, year=year, values=values, note=note)


def _review(actor, plan: Plan, first, objectives, orgs, wards, national, activities, indicators) -> Review:
    review = services.open_review(actor=actor, plan=plan, title=f"Annual review {first}", period=str(first),
                                  reviewers=REVIEW_REVIEWERS)
    findings = review_findings(plan, first, indicators)
    package = Activity.objects.get(pk=activities["2.1.1"].pk)
    budget_before = package.budget
    services.update_item(actor=actor, item=package, expected_version=package.version,
                         budget=Decimal(PACKAGE_BUDGET_AFTER_REVIEW))
    _add_activity(actor, MEDIATION, first, objectives, orgs, wards, national)
    grants = PlanIndicator.objects.get(pk=indicators["I6"].pk)
    targets = {t.year: t.value for t in grants.targets.all()}
    target_before = targets[first + 1]
    targets[first + 1] = Decimal(GRANTS_TARGET_AFTER_REVIEW)
    services.update_item(actor=actor, item=grants, expected_version=grants.version, targets=targets)
    decisions = (
        f"1. Raise the budget of activity 2.1.1 ({package.title}) from {plan.currency} {_figure(budget_before)} "
        f"to {plan.currency} {_figure(PACKAGE_BUDGET_AFTER_REVIEW)} for the second dry season.\n"
        f"2. Add activity {MEDIATION['code']}, a women-led mediation pilot in wards of high tension, from April.\n"
        f"3. Raise the target for young entrepreneurs receiving start-up support (I6) from {_figure(target_before)} "
        f"to {_figure(GRANTS_TARGET_AFTER_REVIEW)} for {first + 1}.")
    services.update_review(actor=actor, review=review, findings=findings,
                           recommendations=REVIEW_RECOMMENDATIONS, decisions=decisions)
    review.refresh_from_db()
    services.adopt_review(actor=actor, review=review)
    return review


def review_findings(plan: Plan, year: int, indicators: dict) -> str:
    """What the year's review found, every figure read from what the demo recorded for that year."""
    period = f"{year}-Q"
    activities = list(plan.activities.order_by("pk"))
    started = [a for a in activities if a.progress.filter(period__startswith=period).exists()]
    late = [a for a in started if a.progress.filter(period__startswith=period, status=ProgressStatus.LATE).exists()]
    silent = [a for a in activities if a not in started]
    parts = [("Every activity reported progress in " + str(year) if not silent else
              "Activities " + ", ".join(a.code for a in silent) + f" reported no progress in {year}")
             + ("; " + "; ".join(f"{a.code} ({a.title.split(':')[0].lower()}) was late in a quarter"
                                  for a in late) if late else "") + "."]

    def value(code):
        return year_total(indicators[code], year)

    def target(code):
        found = indicators[code].targets.filter(year=year).first()
        return found.value if found is not None else None

    weapons, weapons_target = value("I2"), target("I2")
    if weapons is not None and weapons_target is not None:
        parts.append(f"The weapons amnesty collected {_figure(weapons)} weapons, "
                     f"{'above' if weapons >= weapons_target else 'below'} its target of {_figure(weapons_target)}.")
    parts.append("The drought raised requests for food vouchers in the last quarter: at that rate the basic-needs "
                 "package runs out of money before the second dry season.")
    trust = indicators["I1"]
    now, before = value("I1"), trust.baseline_value
    if now is not None and before is not None:
        moved = "rose" if now > before else "did not rise"
        parts.append(f"Trust in the police {moved}: {_figure(now)} {trust.unit} against a baseline of "
                     f"{_figure(before)} {trust.unit}.")
    grants, grants_target = value("I6"), target("I6")
    if grants is not None and grants_target is not None:
        parts.append(f"Support to young entrepreneurs {'exceeded' if grants >= grants_target else 'fell short of'} "
                     f"its target ({_figure(grants)} against {_figure(grants_target)}).")
    parts.append("Few women over 60 attend the dialogue forums, and disputes over land and water points were the "
                 "most reported source of tension.")
    return " ".join(parts)


# ---- evidence ----

def _indicator_data(code: str) -> tuple:
    """An indicator's row of the INDICATORS table (its last element: the yearly values)."""
    return next(row for row in INDICATORS if row[0] == code)


def _png(width: int, height: int, pixel) -> bytes:
    """A valid RGB PNG of pixel(x, y) → (r, g, b), without an imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def _bars(x: int, y: int) -> tuple[int, int, int]:
    # Water points repaired per month, as a small bar chart: 3, 5, 4, 7, 6, 8 (48 × 32 pixels).
    heights = [9, 15, 12, 21, 18, 24]
    bar, gap = divmod(x, 8)
    if bar < len(heights) and 1 <= gap <= 6 and y >= 31 - heights[bar]:
        return (31, 119, 180)
    return (255, 255, 255) if y < 31 else (90, 90, 90)


def _evidence(first: int, wards, indicators: dict) -> dict:
    # A programme for young people leaving gangs: the evidence is a quarter's summary across its wards, never
    # per-session, per-ward counts by sex and age (tiny numbers that could point at a young person).
    sheet = io.StringIO()
    sheet.write("quarter,sessions_held,wards,attendances_female,attendances_male,note\n")
    names = "; ".join(wards[i].name for i in (3, 4, 17, 18))
    sheet.write(f"{first}-Q1,6,{names},21,88,Attendances over all sessions; no names or per-session counts kept\n")
    dialogue = io.StringIO()
    dialogue.write("forum_date,ward,women,men,youth_under_25\n")
    for k, ward in enumerate([2, 3, 7, 17, 23, 26]):
        dialogue.write(f"{first + 1}-{4 + k // 3:02d}-{10 + 7 * (k % 3):02d},{wards[ward].name},"
                       f"{31 + 3 * k},{36 + 2 * k},{18 + k}\n")
    # The handover quotes the amnesty's total from the indicator's data (the same number as the dashboard).
    weapons = int(_indicator_data("I2")[-1][0])
    firearms = weapons // 3
    handover = (
        f"Weapons amnesty {first}: handover summary (synthetic demo)\n\n"
        "Collection points: faith centres and chiefs' offices\n"
        f"Weapons surrendered: {weapons} (firearms {firearms}, machetes and other blades {weapons - firearms})\n"
        "All items logged by serial or description and destroyed in public at the end of September.\n"
        "No names of people who surrendered weapons were recorded.\n")
    return {
        ("1.1.1", 0, 1): [services.EvidenceInput(name="mentoring-attendance-Q1.csv",
                                                 data=sheet.getvalue().encode())],
        ("1.2.1", 0, 3): [services.EvidenceInput(name="amnesty-handover-summary.txt", data=handover.encode())],
        ("2.1.1", 0, 2): [services.EvidenceInput(name="water-points-repaired.png", data=_png(48, 32, _bars))],
        ("4.1.1", 1, 2): [services.EvidenceInput(name="dialogue-forums-attendance.csv",
                                                 data=dialogue.getvalue().encode())],
    }


# ---- when things happened ----

def _backdate(plan: Plan, review: Review, first: int, tz, framework: NationalFramework | None) -> None:
    """Move the plan's own timestamps back to when they would have happened (never the audit chain's)."""
    latest = timezone.now() - dt.timedelta(hours=1)

    def at(year, month, day, hour=10):
        return min(dt.datetime(year, month, day, hour, tzinfo=tz), latest)

    if framework is not None:
        NationalFramework.objects.filter(pk=framework.pk).update(created_at=at(first - 1, 6, 12))
    Plan.objects.filter(pk=plan.pk).update(created_at=at(first - 1, 10, 2))
    PlanVersion.objects.filter(plan=plan, number=1).update(adopted_at=at(first, 1, 15))
    PlanVersion.objects.filter(plan=plan, number=2).update(adopted_at=at(first + 1, 3, 12, 15))
    Review.objects.filter(pk=review.pk).update(opened_at=at(first + 1, 2, 4), closed_at=at(first + 1, 3, 12, 15))
    for offset in (0, 1):
        year = first + offset
        for q, _start, end in _quarters(year):
            when = at(*(end + dt.timedelta(days=12)).timetuple()[:3])
            ProgressUpdate.objects.filter(activity__plan=plan, period=f"{year}-Q{q}").update(created_at=when)
            Evidence.objects.filter(update__activity__plan=plan, update__period=f"{year}-Q{q}").update(
                uploaded_at=when)
        Actual.objects.filter(indicator__plan=plan, year=year).update(entered_at=at(year + 1, 1, 25))
