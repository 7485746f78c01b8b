"""Every write to plans: validated, atomic, audited in the same transaction. Permission is the caller's check.

Editable rows carry a `version`. An update names the version the writer started from; the first statement
of the transaction bumps it only if it still matches, so of two people saving the same item the second gets
`StaleEdit` (with what the other person saved) instead of overwriting it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tamasuk.audit.conflicts import StaleEdit, fingerprint
from tamasuk.audit.services import record
from tamasuk.cities.models import City, Visibility
from tamasuk.cities.personal_data import check_text_to_share

from . import review_report
from .diff import same_design
from .models import (
    Activity,
    ActivityStatus,
    Actual,
    Disaggregation,
    Evidence,
    NationalFramework,
    NationalPillar,
    Objective,
    Pillar,
    Plan,
    PlanIndicator,
    PlanStatus,
    PlanVersion,
    ProgressStatus,
    ProgressUpdate,
    RenderStatus,
    ReportRender,
    Review,
    ReviewStatus,
    Target,
    evidence_path,
    quarter_validator,
)
from .snapshots import item_fields, plan_snapshot
from .tasks import render_review_report

# What evidence may be: documents, pictures and tables a reviewer can open without running anything.
EVIDENCE_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
}
# The first bytes of each binary type: a renamed executable is refused, whatever its name says.
MAGIC = {
    "application/pdf": [b"%PDF-"],
    "image/jpeg": [b"\xff\xd8\xff"],
    "image/png": [b"\x89PNG\r\n\x1a\n"],
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [b"PK\x03\x04"],
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [b"PK\x03\x04"],
    "application/vnd.oasis.opendocument.text": [b"PK\x03\x04"],
}


class NotEditable(ValidationError):
    pass


def _claim(model, obj, expected_version: int | None):
    """Bump the row's version if it is still the one the writer saw; otherwise raise StaleEdit."""
    if expected_version is None:
        expected_version = obj.version
    claimed = model.objects.filter(pk=obj.pk, version=expected_version).update(version=models.F("version") + 1)
    if not claimed:
        fresh = model.objects.get(pk=obj.pk)
        raise StaleEdit.since_opened(fresh, item_fields(fresh))
    obj.version = expected_version + 1


def _editable(plan: Plan):
    if not plan.is_editable:
        raise NotEditable(_("The plan's structure can change only while it is a draft or under review "
                            "(it is %(status)s). Open a review to change it.") % {"status": plan.get_status_display()})


def _in_force(plan: Plan):
    if not plan.is_in_force:
        raise ValidationError(_("Progress is recorded once the plan is adopted (it is %(status)s).")
                              % {"status": plan.get_status_display()})


def _save(obj, *, exclude=None):
    obj.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError({"code": _("Another item of this plan already uses the code “%(code)s”.")
                               % {"code": getattr(obj, "code", "")}}) from exc


# ---- national frameworks ----

@transaction.atomic
def create_framework(*, actor, country: str, name: str, start_year: int, end_year: int,
                     pillars: list[tuple[str, str]] = (), names: dict | None = None) -> NationalFramework:
    framework = NationalFramework(country=country.upper().strip(), name=name.strip(), start_year=start_year,
                                  end_year=end_year, names=names or {})
    framework.full_clean()
    if end_year < start_year:
        raise ValidationError({"end_year": _("The last year comes before the first year.")})
    framework.save()
    for order, (code, title) in enumerate(pillars, start=1):
        pillar = NationalPillar(framework=framework, code=code.strip(), title=title.strip(), order=order)
        pillar.full_clean(exclude=["framework"])
        pillar.save()
    record(actor=actor, action="framework.create", obj=framework, after={
        "country": framework.country, "name": framework.name, "years": [start_year, end_year],
        "pillars": [[c, t] for c, t in pillars]})
    return framework


@transaction.atomic
def add_national_pillar(*, actor, framework: NationalFramework, code: str, title: str,
                        titles: dict | None = None) -> NationalPillar:
    order = (framework.pillars.aggregate(m=models.Max("order"))["m"] or 0) + 1
    pillar = NationalPillar(framework=framework, code=code.strip(), title=title.strip(), titles=titles or {},
                            order=order)
    pillar.full_clean()
    pillar.save()
    record(actor=actor, action="framework.pillar.create", obj=pillar, after={"framework": framework.pk,
                                                                              "code": pillar.code, "title": pillar.title})
    return pillar


@transaction.atomic
def rename_national_pillar(*, actor, pillar: NationalPillar, title: str, expected_title: str | None = None
                           ) -> NationalPillar:
    """Correct a national pillar's title. Its code stays: plans' versions name the pillars they serve by code.

    A national pillar has no version counter; the title the editor started from plays its part, so of two
    liaisons correcting the same pillar the second gets StaleEdit instead of overwriting the first.
    """
    seen = pillar.title if expected_title is None else expected_title
    try:
        title = NationalPillar._meta.get_field("title").clean(title.strip(), pillar)
    except ValidationError as exc:
        raise ValidationError({"title": exc.messages}) from exc
    if not NationalPillar.objects.filter(pk=pillar.pk, title=seen).update(title=title):
        fresh = NationalPillar.objects.get(pk=pillar.pk)
        raise StaleEdit.since_opened(fresh, item_fields(fresh))
    record(actor=actor, action="framework.pillar.rename", obj=pillar,
           before={"code": pillar.code, "title": seen}, after={"code": pillar.code, "title": title})
    pillar.title = title
    return pillar


# ---- plans and their structure ----

PLAN_FIELDS = ["title", "titles", "start_year", "end_year", "framework", "visibility", "currency", "iati_organisation"]


@transaction.atomic
def create_plan(*, actor, city: City, title: str, start_year: int, end_year: int, framework=None,
                visibility: str = "network", currency: str = "USD", iati_organisation: str = "",
                titles: dict | None = None) -> Plan:
    if framework is not None and framework.country != city.country:
        raise ValidationError({"framework": _("That national action plan belongs to another country.")})
    plan = Plan(city=city, title=title.strip(), start_year=start_year, end_year=end_year, framework=framework,
                visibility=visibility, currency=currency.upper(), iati_organisation=iati_organisation.strip(),
                titles=titles or {})
    plan.full_clean()
    plan.save()
    record(actor=actor, action="plan.create", obj=plan, city=city, after=item_fields(plan))
    return plan


@transaction.atomic
def update_plan(*, actor, plan: Plan, expected_version: int | None = None, **changes) -> Plan:
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if plan.status == PlanStatus.CLOSED:
        raise NotEditable(_("A closed plan does not change."))
    framework = changes.get("framework", plan.framework)
    if framework is not None and framework.country != plan.city.country:
        raise ValidationError({"framework": _("That national action plan belongs to another country.")})
    _check_years_and_alignment(plan, framework=framework, start_year=changes.get("start_year", plan.start_year),
                               end_year=changes.get("end_year", plan.end_year))
    _claim(Plan, plan, expected_version)
    before = item_fields(plan)
    for key, value in changes.items():
        setattr(plan, key, value)
    plan.full_clean()
    plan.save()
    record(actor=actor, action="plan.update", obj=plan, city=plan.city, before=before, after=item_fields(plan))
    return plan


def _check_years_and_alignment(plan: Plan, *, framework, start_year: int, end_year: int) -> None:
    """The plan's years and national alignment are part of its design: they change while the structure is open,
    and never so that recorded targets, values or progress fall outside it or activities lose their national
    pillars."""
    if framework != plan.framework or (start_year, end_year) != (plan.start_year, plan.end_year):
        _editable(plan)
    if framework != plan.framework and Activity.objects.filter(plan=plan, national_pillars__isnull=False).exists():
        raise ValidationError({"framework": _("Activities serve pillars of the current national action plan: "
                                              "remove those links first, then change the national plan.")})
    outside = ~Q(year__gte=start_year, year__lte=end_year)
    if (Target.objects.filter(outside, indicator__plan=plan).exists()
            or Actual.objects.filter(outside, indicator__plan=plan).exists()
            or any(not start_year <= int(p[:4]) <= end_year for p in
                   ProgressUpdate.objects.filter(activity__plan=plan).values_list("period", flat=True))):
        raise ValidationError({"start_year": _("Targets, values or progress are recorded for years outside "
                                               "%(start)s–%(end)s.") % {"start": start_year, "end": end_year}})


def _next_order(qs) -> int:
    return (qs.aggregate(m=models.Max("order"))["m"] or 0) + 1


@transaction.atomic
def add_pillar(*, actor, plan: Plan, code: str, title: str, titles: dict | None = None) -> Pillar:
    _editable(plan)
    pillar = Pillar(plan=plan, code=code.strip(), title=title.strip(), titles=titles or {},
                    order=_next_order(plan.pillars))
    _save(pillar)
    record(actor=actor, action="plan.pillar.create", obj=pillar, city=plan.city, after=item_fields(pillar))
    return pillar


@transaction.atomic
def add_objective(*, actor, pillar: Pillar, code: str, title: str, titles: dict | None = None) -> Objective:
    _editable(pillar.plan)
    objective = Objective(plan=pillar.plan, pillar=pillar, code=code.strip(), title=title.strip(),
                          titles=titles or {}, order=_next_order(pillar.objectives))
    _save(objective)
    record(actor=actor, action="plan.objective.create", obj=objective, city=pillar.plan.city,
           after=item_fields(objective))
    return objective


ACTIVITY_FIELDS = ["code", "title", "titles", "description", "lead", "budget", "start", "end", "status",
                   "objective"]
ACTIVITY_LISTS = ["partners", "areas", "national_pillars"]


def _check_activity_links(plan: Plan, *, lead=None, partners=(), areas=(), national_pillars=(), objective=None):
    errors = {}
    if lead is not None and lead.city_id != plan.city_id:
        errors["lead"] = _("The lead organisation must be one of this city's organisations.")
    if any(o.city_id != plan.city_id for o in partners):
        errors["partners"] = _("Partners must be organisations of this city.")
    if any(a.city_id != plan.city_id for a in areas):
        errors["areas"] = _("Areas must be areas of this city.")
    if national_pillars and (plan.framework_id is None or
                             any(p.framework_id != plan.framework_id for p in national_pillars)):
        errors["national_pillars"] = _("National pillars must come from the national action plan the plan "
                                       "is aligned with.")
    if objective is not None and objective.plan_id != plan.pk:
        errors["objective"] = _("The objective belongs to another plan.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def add_activity(*, actor, objective: Objective, code: str, title: str, lead, start, end,
                 partners=(), areas=(), national_pillars=(), budget: Decimal | None = None,
                 description: str = "", status: str = ActivityStatus.PLANNED, titles: dict | None = None) -> Activity:
    plan = objective.plan
    _editable(plan)
    _check_activity_links(plan, lead=lead, partners=partners, areas=areas, national_pillars=national_pillars)
    activity = Activity(plan=plan, objective=objective, code=code.strip(), title=title.strip(), lead=lead,
                        start=start, end=end, budget=budget, description=description, status=status,
                        titles=titles or {}, order=_next_order(objective.activities))
    _save(activity)
    activity.partners.set(partners)
    activity.areas.set(areas)
    activity.national_pillars.set(national_pillars)
    record(actor=actor, action="plan.activity.create", obj=activity, city=plan.city, after=item_fields(activity))
    return activity


@transaction.atomic
def update_item(*, actor, item, expected_version: int | None, **changes):
    """Change a pillar, objective, activity or indicator of a plan that is a draft or under review.

    A focal point may change its own activity's description, dates, status and partners at any time the
    plan is in force; everything else (codes, titles, lead, budget) only while the structure is open.
    """
    model = type(item)
    plan = item.plan
    lists = {k: changes.pop(k) for k in list(changes) if k in ACTIVITY_LISTS or k == "targets"}
    allowed = {Pillar: {"code", "title", "titles"}, Objective: {"code", "title", "titles", "pillar"},
               Activity: set(ACTIVITY_FIELDS), PlanIndicator: set(INDICATOR_FIELDS)}[model]
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if model is Activity and plan.is_in_force and not plan.is_editable and \
            set(changes) | set(lists) <= {"description", "start", "end", "status", "partners"}:
        pass  # running the activity: allowed while the plan is in force
    else:
        _editable(plan)
    if model is Activity:
        _check_activity_links(plan, lead=changes.get("lead"), partners=lists.get("partners", ()),
                              areas=lists.get("areas", ()), national_pillars=lists.get("national_pillars", ()),
                              objective=changes.get("objective"))
    if model is Objective and "pillar" in changes and changes["pillar"].plan_id != plan.pk:
        raise ValidationError({"pillar": _("The pillar belongs to another plan.")})
    if model is PlanIndicator:
        _check_indicator(plan, **changes)
    _claim(model, item, expected_version)
    before = item_fields(model.objects.get(pk=item.pk))
    for key, value in changes.items():
        setattr(item, key, value)
    _save(item)
    for key, value in lists.items():
        if key == "targets":
            _set_targets(item, value)
        else:
            getattr(item, key).set(value)
    after = item_fields(item)
    record(actor=actor, action=f"plan.{model._meta.model_name}.update", obj=item, city=plan.city,
           before=before, after=after)
    return item


@transaction.atomic
def remove_item(*, actor, item, expected_version: int | None = None) -> None:
    """Remove a pillar, objective, activity or indicator while the structure is open. An activity that has
    recorded progress is cancelled instead: its history stays readable."""
    model = type(item)
    plan = item.plan
    _editable(plan)
    # The activities that go with the item (built for its own type only: the lookups differ).
    lookup = {Pillar: "objective__pillar", Objective: "objective", Activity: "pk"}.get(model)
    activities = Activity.objects.filter(**{lookup: item.pk}) if lookup else Activity.objects.none()
    if ProgressUpdate.objects.filter(activity__in=activities).exists():
        raise ValidationError(_("This has recorded progress: set the activity's status to cancelled instead, "
                                "so its history stays readable."))
    indicators = {Pillar: Q(objective__pillar=item) | Q(activity__objective__pillar=item),
                  Objective: Q(objective=item) | Q(activity__objective=item),
                  Activity: Q(activity=item), PlanIndicator: Q(pk=item.pk)}[model]
    if Actual.objects.filter(indicator__in=PlanIndicator.objects.filter(indicators)).exists():
        raise ValidationError(_("An indicator of this has recorded values: it stays in the plan, so its history "
                                "stays readable."))
    _claim(model, item, expected_version)
    before = item_fields(item)
    pk = item.pk
    item.delete()
    record(actor=actor, action=f"plan.{model._meta.model_name}.delete", object_type=model._meta.label_lower,
           object_id=pk, city=plan.city, before=before)


# ---- indicators ----

INDICATOR_FIELDS = ["code", "name", "names", "unit", "kind", "higher_is_better", "counts_people", "baseline_value",
                    "baseline_date", "disaggregation", "objective", "activity", "mapping_indicator"]


def _check_indicator(plan: Plan, *, objective=None, activity=None, mapping_indicator=None, disaggregation=None,
                     **_ignored):
    errors = {}
    if objective is not None and objective.plan_id != plan.pk:
        errors["objective"] = _("The objective belongs to another plan.")
    if activity is not None and activity.plan_id != plan.pk:
        errors["activity"] = _("The activity belongs to another plan.")
    if mapping_indicator is not None and mapping_indicator.city_id != plan.city_id:
        errors["mapping_indicator"] = _("The mapping indicator belongs to another city.")
    if disaggregation is not None and not set(disaggregation) <= set(Disaggregation.values):
        errors["disaggregation"] = _("Disaggregate by sex, age band or group.")
    if errors:
        raise ValidationError(errors)


def _set_targets(indicator: PlanIndicator, targets: dict[int, Decimal]) -> None:
    plan = indicator.plan
    for year in targets:
        if not plan.start_year <= int(year) <= plan.end_year:
            raise ValidationError({"targets": _("A target for %(year)s is outside the plan's years "
                                                "%(start)s–%(end)s.") % {"year": year, "start": plan.start_year,
                                                                         "end": plan.end_year}})
    indicator.targets.exclude(year__in=[int(y) for y in targets]).delete()
    for year, value in targets.items():
        Target.objects.update_or_create(indicator=indicator, year=int(year), defaults={"value": Decimal(value)})


@transaction.atomic
def add_indicator(*, actor, plan: Plan, code: str, name: str, unit: str, kind: str = "output",
                  objective=None, activity=None, mapping_indicator=None, baseline_value=None, baseline_date=None,
                  targets: dict | None = None, disaggregation: list[str] | None = None,
                  higher_is_better: bool = True, counts_people: bool = False, names: dict | None = None) -> PlanIndicator:
    _editable(plan)
    _check_indicator(plan, objective=objective, activity=activity, mapping_indicator=mapping_indicator,
                     disaggregation=disaggregation or [])
    indicator = PlanIndicator(plan=plan, code=code.strip(), name=name.strip(), unit=unit.strip(), kind=kind,
                              objective=objective, activity=activity, mapping_indicator=mapping_indicator,
                              baseline_value=baseline_value, baseline_date=baseline_date,
                              disaggregation=list(disaggregation or []), higher_is_better=higher_is_better,
                              counts_people=counts_people, names=names or {}, order=_next_order(plan.indicators))
    _save(indicator)
    _set_targets(indicator, targets or {})
    record(actor=actor, action="plan.planindicator.create", obj=indicator, city=plan.city,
           after=item_fields(indicator))
    return indicator


@dataclass
class ActualInput:
    value: Decimal
    sex: str = ""
    age_band: str = ""
    group: str = ""


def actuals_token(indicator: PlanIndicator, year: int) -> str:
    """What is recorded for the indicator's year, as a short fingerprint ("" when nothing is)."""
    cells = sorted([a.sex, a.age_band, a.group, format(a.value.normalize(), "f")]
                   for a in Actual.objects.filter(indicator=indicator, year=year))
    return fingerprint(cells) if cells else ""


@transaction.atomic
def record_actuals(*, actor, indicator: PlanIndicator, year: int, values: list[ActualInput], note: str = "",
                   expected_token: str | None = None) -> None:
    """The indicator's values for a year: the total (blank cells) and any disaggregated cells. Replaces what was
    recorded for that year, as one change. With `expected_token` (what the writer saw, from actuals_token), a
    year someone changed meanwhile is refused with StaleEdit instead of replaced."""
    plan = indicator.plan
    _in_force(plan)
    # The indicator's row is locked first, so two writers of the same year queue and the second sees the first.
    PlanIndicator.objects.select_for_update().filter(pk=indicator.pk).exists()
    if expected_token is not None and expected_token != actuals_token(indicator, year):
        current = {"year": year, "values": [[a.sex, a.age_band, a.group, str(a.value)]
                                            for a in indicator.actuals.filter(year=year)]}
        raise StaleEdit.since_opened(indicator, current, action="plan.actuals.record")
    if not plan.start_year <= year <= plan.end_year:
        raise ValidationError({"year": _("%(year)s is outside the plan's years %(start)s–%(end)s.")
                               % {"year": year, "start": plan.start_year, "end": plan.end_year}})
    cells = set()
    for n, v in enumerate(values, start=1):
        key = (v.sex, v.age_band, v.group)
        if key in cells:
            raise ValidationError(_("Row %(n)s repeats a cell already given.") % {"n": n})
        cells.add(key)
        for dimension, value in (("sex", v.sex), ("age_band", v.age_band), ("group", v.group)):
            if value and dimension not in indicator.disaggregation:
                raise ValidationError(_("Row %(n)s: this indicator is not disaggregated by %(d)s.")
                                      % {"n": n, "d": Disaggregation(dimension).label})
        if v.sex not in ("", "f", "m"):
            raise ValidationError(_("Row %(n)s: sex is f or m.") % {"n": n})
        if v.value is None or (indicator.counts_people and Decimal(v.value) < 0):
            raise ValidationError(_("Row %(n)s: a count of people is zero or more.") % {"n": n})
    before = [[a.sex, a.age_band, a.group, str(a.value)] for a in indicator.actuals.filter(year=year)]
    indicator.actuals.filter(year=year).delete()
    Actual.objects.bulk_create([Actual(indicator=indicator, year=year, sex=v.sex, age_band=v.age_band,
                                       group=v.group, value=Decimal(v.value), note=note, entered_by=actor
                                       if getattr(actor, "pk", None) else None) for v in values])
    record(actor=actor, action="plan.actuals.record", obj=indicator, city=plan.city, before=before,
           after={"year": year, "values": [[v.sex, v.age_band, v.group, str(v.value)] for v in values]})


# ---- progress and evidence ----

@dataclass
class EvidenceInput:
    name: str
    data: bytes
    content_type: str = ""


def check_evidence(upload: EvidenceInput) -> str:
    """The file's type, or a ValidationError naming the file and what is wrong with it."""
    ext = ("." + upload.name.rsplit(".", 1)[-1].lower()) if "." in upload.name else ""
    kind = EVIDENCE_TYPES.get(ext)
    if kind is None:
        raise ValidationError(_("“%(name)s”: evidence can be PDF, JPEG, PNG, text, CSV, Word, Excel or "
                                "OpenDocument files.") % {"name": upload.name})
    if len(upload.data) > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(_("“%(name)s” is %(size)s MB; evidence files are at most %(max)s MB.") % {
            "name": upload.name, "size": round(len(upload.data) / 1048576, 1),
            "max": round(settings.EVIDENCE_MAX_BYTES / 1048576, 1)})
    if not upload.data:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": upload.name})
    magic = MAGIC.get(kind)
    if magic and not any(upload.data.startswith(m) for m in magic):
        raise ValidationError(_("“%(name)s” is not really a %(ext)s file.") % {"name": upload.name, "ext": ext[1:]})
    if kind in ("text/plain", "text/csv") and b"\x00" in upload.data[:4096]:
        raise ValidationError(_("“%(name)s” is not a text file.") % {"name": upload.name})
    return kind


def _add_evidence(*, actor, update: ProgressUpdate, upload: EvidenceInput) -> Evidence:
    kind = check_evidence(upload)
    digest = hashlib.sha256(upload.data).hexdigest()
    evidence = Evidence(update=update, name=upload.name[-200:], content_type=kind, size=len(upload.data),
                        sha256=digest, uploaded_by=actor if getattr(actor, "pk", None) else None)
    # The file lands before the row: if the transaction rolls back, an orphan content-addressed file is
    # harmless; a row pointing at a missing file would not be.
    stored = evidence_path(evidence, digest)
    if evidence.file.storage.exists(stored):  # the same content uploaded before: one copy serves both
        evidence.file.name = stored
    else:
        evidence.file.save(digest, ContentFile(upload.data), save=False)
    evidence.save()
    record(actor=actor, action="plan.evidence.add", obj=evidence, city=update.city,
           after={"update": update.pk, "name": evidence.name, "type": kind, "size": evidence.size, "sha256": digest})
    return evidence


@transaction.atomic
def record_progress(*, actor, activity: Activity, period: str, status: str, narrative: str,
                    spent: Decimal | None = None, evidence: list[EvidenceInput] = (),
                    expected_version: int | None = None, confirmed_not_personal: bool = False) -> ProgressUpdate:
    """Record (or correct) an activity's progress for a quarter, with its evidence files, as one change.

    When the plan is read beyond the city team, a narrative that looks like it holds personal data (a phone
    number, an email address, a name of the city's people) is refused unless the writer confirms it does not."""
    plan = activity.plan
    _in_force(plan)
    quarter_validator(period)
    if not plan.start_year <= int(period[:4]) <= plan.end_year:
        raise ValidationError({"period": _("%(period)s is outside the plan's years %(start)s–%(end)s.")
                               % {"period": period, "start": plan.start_year, "end": plan.end_year}})
    confirmed = plan.visibility != Visibility.CITY and check_text_to_share(
        city=plan.city, field="narrative", text=narrative, confirmed=confirmed_not_personal)
    for upload in evidence:  # every file checked before anything is written
        check_evidence(upload)
    update = ProgressUpdate.objects.filter(activity=activity, period=period).first()
    before = None
    if update is None:
        update = ProgressUpdate(activity=activity, period=period, status=status, narrative=narrative.strip(),
                                spent=spent, author=actor if getattr(actor, "pk", None) else None)
        update.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                update.save()
        except IntegrityError:  # someone recorded this quarter at the same moment
            _claim(ProgressUpdate, ProgressUpdate.objects.get(activity=activity, period=period), -1)
    else:
        # No version means the writer did not know this quarter had an update: theirs would overwrite it unseen.
        _claim(ProgressUpdate, update, -1 if expected_version is None else expected_version)
        before = item_fields(update)
        update.status, update.narrative, update.spent = status, narrative.strip(), spent
        update.author = actor if getattr(actor, "pk", None) else update.author
        update.full_clean()
        update.save()
    after = item_fields(update)
    if confirmed:  # a flag that the writer overrode the personal-data check
        after["personal_data_confirmed"] = True
    record(actor=actor, action="plan.progress.record" if before is None else "plan.progress.correct",
           obj=update, city=plan.city, before=before, after=after)
    _follow_progress(actor=actor, activity=activity, status=status)
    for upload in evidence:
        _add_evidence(actor=actor, update=update, upload=upload)
    return update


def _follow_progress(*, actor, activity: Activity, status: str) -> None:
    """A planned activity that reports progress has started; one that reports completion is completed. Its
    version moves too, so a form opened on the old status is told."""
    if status == ProgressStatus.NOT_STARTED or activity.status in (ActivityStatus.COMPLETED, ActivityStatus.CANCELLED):
        return
    new = ActivityStatus.COMPLETED if status == ProgressStatus.COMPLETED else ActivityStatus.ONGOING
    if new == activity.status:
        return
    before = activity.status
    Activity.objects.filter(pk=activity.pk).update(status=new, version=models.F("version") + 1)
    activity.status, activity.version = new, activity.version + 1
    record(actor=actor, action="plan.activity.status", obj=activity, city=activity.plan.city,
           before={"status": before}, after={"status": new, "from_progress": status})


# ---- adoption, reviews and versions ----

def _new_version(*, actor, plan: Plan, reason: str, review: Review | None = None) -> PlanVersion:
    snapshot = plan_snapshot(plan)
    last = plan.versions.order_by("-number").first()
    if last is not None and last.snapshot.get("structure") == snapshot.get("structure"):
        raise ValidationError(_("Nothing in the plan changed since version %(n)s: close the review without "
                                "changes instead.") % {"n": last.number})
    version = PlanVersion(plan=plan, number=(last.number + 1) if last else 1, snapshot=snapshot,
                          reason=reason.strip(), review=review,
                          adopted_by=actor if getattr(actor, "pk", None) else None)
    version.save()
    digest = hashlib.sha256(repr(sorted(snapshot.items())).encode()).hexdigest()
    record(actor=actor, action="plan.version.adopt", obj=version, city=plan.city,
           after={"plan": plan.pk, "number": version.number, "review": review.pk if review else None,
                  "reason": version.reason, "snapshot_sha256": digest})
    return version


@transaction.atomic
def adopt_plan(*, actor, plan: Plan, reason: str = "", expected_version: int | None = None,
               expected_structure: str | None = None) -> PlanVersion:
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("Only a draft is adopted this way; a plan in force changes through a review."))
    _check_structure(plan, expected_structure)
    _check_adoptable(plan)
    _claim(Plan, plan, expected_version)
    version = _new_version(actor=actor, plan=plan, reason=reason or _("First adoption"))
    plan.status, plan.adopted_version = PlanStatus.ADOPTED, version.number
    plan.save(update_fields=["status", "adopted_version"])
    record(actor=actor, action="plan.status", obj=plan, city=plan.city, before={"status": PlanStatus.DRAFT},
           after={"status": plan.status, "version": version.number})
    return version


def _check_adoptable(plan: Plan) -> None:
    """A plan is adopted with something in it: name what is missing, so the coordinator knows what to add."""
    missing = []
    if not plan.pillars.exists():
        missing.append(_("a pillar"))
    if not plan.objectives.exists():
        missing.append(_("an objective"))
    if not plan.activities.exists():
        missing.append(_("an activity"))
    if missing:
        raise ValidationError(
            _("The plan cannot be adopted yet: it needs at least %(missing)s. Add what is missing on the plan "
              "page, then adopt it.")
            % {"missing": ", ".join(str(m) for m in missing)}, code="empty_plan")


@transaction.atomic
def open_review(*, actor, plan: Plan, title: str, period: str, reviewers: str = "") -> Review:
    if plan.status not in (PlanStatus.ADOPTED, PlanStatus.REVISED):
        raise ValidationError(_("A review opens on a plan in force (this one is %(status)s).")
                              % {"status": plan.get_status_display()})
    review = Review(plan=plan, title=title.strip(), period=period.strip(), reviewers=reviewers.strip(),
                    opened_by=actor if getattr(actor, "pk", None) else None)
    review.full_clean()
    review.save()
    before = plan.status
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.UNDER_REVIEW, version=models.F("version") + 1)
    plan.refresh_from_db()
    record(actor=actor, action="plan.review.open", obj=review, city=plan.city,
           after={"plan": plan.pk, "title": review.title, "period": review.period})
    record(actor=actor, action="plan.status", obj=plan, city=plan.city, before={"status": before},
           after={"status": plan.status})
    return review


REVIEW_FIELDS = ["title", "period", "reviewers", "findings", "recommendations", "decisions"]


@transaction.atomic
def update_review(*, actor, review: Review, expected_version: int | None = None, **changes) -> Review:
    unknown = set(changes) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if review.status != ReviewStatus.OPEN:
        raise NotEditable(_("This review is finished; its record no longer changes."))
    _claim(Review, review, expected_version)
    before = item_fields(review)
    for key, value in changes.items():
        setattr(review, key, value.strip() if isinstance(value, str) else value)
    review.full_clean()
    review.save()
    record(actor=actor, action="plan.review.update", obj=review, city=review.plan.city, before=before,
           after=item_fields(review))
    return review


def structure_token(plan: Plan) -> str:
    """A fingerprint of the plan's structure as it stands: a page that adopts or closes carries the one it
    showed, so what is frozen is what the person saw."""
    structure = plan_snapshot(plan)["structure"]
    return fingerprint(structure)


def _check_structure(plan: Plan, expected_structure: str | None) -> None:
    if expected_structure is not None and expected_structure != structure_token(plan):
        raise ValidationError(_("The plan changed since you opened this page: look at the changes again, "
                                "then decide."))


def _finish_review(*, actor, review: Review, status: str, expected_version: int | None = None):
    if review.status != ReviewStatus.OPEN:
        raise NotEditable(_("This review is already finished."))
    _claim(Review, review, expected_version)
    review.status, review.closed_at = status, timezone.now()
    review.save(update_fields=["status", "closed_at"])


@transaction.atomic
def adopt_review(*, actor, review: Review, expected_version: int | None = None,
                 expected_structure: str | None = None) -> PlanVersion:
    """Adopt what the review changed in the plan: a new version, with the review's decisions as the reason."""
    plan = Plan.objects.select_for_update().get(pk=review.plan_id)
    if review.status != ReviewStatus.OPEN:
        raise NotEditable(_("This review is already finished."))
    if not review.decisions.strip():
        raise ValidationError({"decisions": _("Write the review's decisions first: they explain the new version.")})
    _check_structure(plan, expected_structure)
    _finish_review(actor=actor, review=review, status=ReviewStatus.ADOPTED, expected_version=expected_version)
    version = _new_version(actor=actor, plan=plan, reason=review.decisions, review=review)
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.REVISED, adopted_version=version.number,
                                           version=models.F("version") + 1)
    plan.refresh_from_db()
    review.plan = plan
    record(actor=actor, action="plan.review.adopt", obj=review, city=plan.city,
           after={"version": version.number, "findings": review.findings,
                  "recommendations": review.recommendations, "decisions": review.decisions})
    record(actor=actor, action="plan.status", obj=plan, city=plan.city, before={"status": PlanStatus.UNDER_REVIEW},
           after={"status": plan.status, "version": version.number})
    return version


@transaction.atomic
def close_review(*, actor, review: Review, expected_version: int | None = None,
                 expected_structure: str | None = None) -> Review:
    """Finish a review that changes nothing. The structure must be back as adopted (undo edits first)."""
    plan = Plan.objects.select_for_update().get(pk=review.plan_id)
    if review.status != ReviewStatus.OPEN:
        raise NotEditable(_("This review is already finished."))
    _check_structure(plan, expected_structure)
    last = plan.versions.order_by("-number").first()
    if last is not None and not same_design(last.snapshot["structure"], plan_snapshot(plan)["structure"]):
        raise ValidationError(_("The plan was changed during this review: adopt the changes as a new version, "
                                "or undo them before closing the review without changes."))
    _finish_review(actor=actor, review=review, status=ReviewStatus.CLOSED, expected_version=expected_version)
    status = PlanStatus.REVISED if plan.adopted_version > 1 else PlanStatus.ADOPTED
    Plan.objects.filter(pk=plan.pk).update(status=status, version=models.F("version") + 1)
    record(actor=actor, action="plan.review.close", obj=review, city=plan.city,
           after={"findings": review.findings, "recommendations": review.recommendations})
    record(actor=actor, action="plan.status", obj=plan, city=plan.city, before={"status": PlanStatus.UNDER_REVIEW},
           after={"status": status})
    return review


@transaction.atomic
def close_plan(*, actor, plan: Plan) -> Plan:
    if plan.status not in (PlanStatus.ADOPTED, PlanStatus.REVISED):
        raise ValidationError(_("Only a plan in force, with no open review, is closed."))
    before = plan.status
    _claim(Plan, plan, None)
    plan.status = PlanStatus.CLOSED
    plan.save(update_fields=["status"])
    record(actor=actor, action="plan.status", obj=plan, city=plan.city, before={"status": before},
           after={"status": plan.status})
    return plan


# ---- the review report's PDF, drawn by the task worker ----

def request_review_report(*, actor, review: Review, language: str) -> ReportRender:
    """The render of the review's report as it reads now in `language`: the one already made or under way for the
    same content, or a new one queued for the task worker (tasks.render_review_report). A failed render is queued
    again. Not audited: a render is a kept copy of the report, as a download is; it changes nothing."""
    with translation.override(language):
        report_html = review_report.html(actor, review)
    key = review_report.digest(report_html)
    with transaction.atomic():
        render, created = ReportRender.objects.select_for_update().get_or_create(
            review=review, language=language, digest=key,
            defaults={"city": review.plan.city, "html": report_html,
                      "requested_by": actor if getattr(actor, "pk", None) else None})
        if created or render.status == RenderStatus.FAILED:
            render.status, render.error, render.html = RenderStatus.QUEUED, "", report_html
            render.requested_at, render.started_at, render.finished_at = timezone.now(), None, None
            render.task_id = str(render_review_report.enqueue(render.pk).id)
            render.save()
    return render
