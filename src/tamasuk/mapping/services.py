"""Every write to the mapping data: validated, atomic, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from tamasuk.analysis.geometry import PointLocator
from tamasuk.audit.conflicts import check_opened, fingerprint
from tamasuk.audit.services import record
from tamasuk.cities.models import Area, City, Visibility
from tamasuk.cities.permissions import Action, can, require_actor
from tamasuk.cities.personal_data import check_text_to_share

from . import units
from .models import (
    SENSITIVE_THEMES,
    CommunityReport,
    Indicator,
    Observation,
    PriorityProfile,
    ReportStatus,
    Sensitivity,
    Theme,
    ThemeGroup,
)
from .priorities import coverage_of

# The taxonomy every city starts with (editable afterwards): (code, group, English name).
DEFAULT_THEMES = [
    ("exclusion", ThemeGroup.DRIVERS, "Exclusion and grievances"),
    ("unemployment", ThemeGroup.DRIVERS, "Unemployment"),
    ("injustice", ThemeGroup.DRIVERS, "Perceived injustice"),
    ("hate-speech", ThemeGroup.DRIVERS, "Hate speech and polarisation"),
    ("violence", ThemeGroup.DRIVERS, "Violence and crime"),
    ("food", ThemeGroup.BASIC_NEEDS, "Food"),
    ("housing", ThemeGroup.BASIC_NEEDS, "Housing"),
    ("sanitation", ThemeGroup.BASIC_NEEDS, "Sanitation"),
    ("economic-stability", ThemeGroup.BASIC_NEEDS, "Economic stability"),
    ("police-trust", ThemeGroup.SECURITY_TRUST, "Trust in police"),
    ("safety", ThemeGroup.SECURITY_TRUST, "Safety perception"),
    ("youth", ThemeGroup.INCLUSION, "Youth"),
    ("women", ThemeGroup.INCLUSION, "Women"),
    ("minorities", ThemeGroup.INCLUSION, "Minorities"),
    ("local-business", ThemeGroup.ECONOMY, "Local business"),
]


@transaction.atomic
def seed_themes(*, actor, city: City) -> list[Theme]:
    require_actor(actor, Action.EDIT_CITY_DATA, city)
    existing = set(Theme.objects.filter(city=city).values_list("code", flat=True))
    created = []
    for order, (code, group, name) in enumerate(DEFAULT_THEMES):
        if code in existing:
            continue
        created.append(Theme.objects.create(city=city, code=code, group=group, name=name, order=order,
                                            sensitivity=Sensitivity.CITY_TEAM if code in SENSITIVE_THEMES
                                            else Sensitivity.OPEN))
    if created:
        record(actor=actor, action="theme.seed", object_type="mapping.theme", object_id=city.pk, city=city,
               after={"codes": [t.code for t in created]})
    return created


INDICATOR_FIELDS = ["code", "name", "names", "unit", "direction", "source", "hxl_tag", "description"]


def _indicator_snapshot(ind: Indicator) -> dict:
    data = {f: getattr(ind, f) for f in INDICATOR_FIELDS}
    data["theme"] = ind.theme.code
    data["denominator"] = ind.denominator.code if ind.denominator_id else None
    return data


@transaction.atomic
def create_indicator(*, actor, city: City, code: str, name: str, unit: str, direction: str, theme: Theme,
                     source: str = "", hxl_tag: str = "", names: dict | None = None,
                     denominator: Indicator | None = None, description: str = "") -> Indicator:
    require_actor(actor, Action.EDIT_CITY_DATA, city)
    if theme.city_id != city.pk or (denominator is not None and denominator.city_id != city.pk):
        raise ValidationError(_("Theme and denominator must belong to the same city."))
    ind = Indicator(city=city, code=code, name=name, unit=unit, direction=direction, theme=theme, source=source,
                    hxl_tag=hxl_tag, names=names or {}, denominator=denominator, description=description)
    ind.full_clean()
    ind.save()
    record(actor=actor, action="indicator.create", obj=ind, city=city, after=_indicator_snapshot(ind))
    return ind


# ---- observations -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ObservationInput:
    """One value to write; `row` is where it came from, so errors can name it."""

    row: int
    area: str
    indicator: str
    period: str
    period_start: dt.date
    period_end: dt.date
    value: float
    sex: str = ""
    age_band: str = ""
    group: str = ""
    source: str = ""
    method_note: str = ""


@dataclass(frozen=True)
class InputError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class ImportSummary:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[InputError] = field(default_factory=list)
    dry_run: bool = False
    examples: list[dict] = field(default_factory=list)  # a few changed values, to show in the dry run

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    pass


BATCH = 5000


def _value_errors(city: City, records: list[ObservationInput]) -> list[InputError]:
    """Values the indicator's unit rules out: a share outside 0–100, a negative or fractional count, a rate
    per N above N, a count above its denominator's value for the same ward, period and group (from the file,
    else from the city's data). Each error names the row, the column and the value."""
    indicators = {i.code.casefold(): i for i in Indicator.objects.filter(city=city).select_related("denominator")}
    rules = {code: units.rule_for(ind.unit) for code, ind in indicators.items()}
    errors: list[InputError] = []

    for rec in records:
        code = str(rec.indicator).strip().casefold()
        ind = indicators.get(code)
        if ind is None:
            continue  # the import names unknown indicators itself
        problem = units.value_problem(rules[code], rec.value, ind.unit)
        if problem:
            errors.append(InputError(rec.row, f"value:{rec.indicator}", units.shown(rec.value), problem))
    # A count with a denominator (young people in programmes, of all young people) cannot exceed it.
    counted = {code for code, ind in indicators.items()
               if ind.denominator_id and rules[code].kind == units.COUNT}
    if not counted:
        return errors
    key = lambda area, code, rec: (str(area).strip().casefold(), code, rec.period, rec.sex, rec.age_band, rec.group)  # noqa: E731
    in_file = {key(r.area, str(r.indicator).strip().casefold(), r): r.value for r in records}
    periods = {r.period for r in records}
    stored: dict[tuple, float] = {}
    for area_code, area_name, ind_code, period, sex, age, group, value in Observation.objects.filter(
            city=city, indicator__code__in={indicators[c].denominator.code for c in counted},
            period__in=periods).values_list(
            "area__code", "area__name", "indicator__code", "period", "sex", "age_band", "group", "value"):
        for area in (area_code, area_name):
            stored.setdefault((area.casefold(), ind_code.casefold(), period, sex, age, group), value)
    for rec in records:
        code = str(rec.indicator).strip().casefold()
        if code not in counted:
            continue
        den = indicators[code].denominator
        k = key(rec.area, den.code.casefold(), rec)
        limit = in_file.get(k, stored.get(k))
        if limit is not None and 0 <= limit < rec.value:  # a negative total is an error of its own
            errors.append(InputError(
                rec.row, f"value:{rec.indicator}", units.shown(rec.value),
                _("more than its denominator: %(den)s is %(limit)s for this area and period, and a count cannot "
                  "exceed the total it is part of") % {"den": den.name, "limit": units.shown(limit)}))
    return errors



def import_observations(*, actor, city: City, records: Iterable[ObservationInput], dry_run: bool = False,
                        source_name: str = "", progress=None) -> ImportSummary:
    """Write observations all-or-nothing. Areas are matched by code or name; unknown ones are errors.

    Re-importing the same values changes nothing. One audit event summarises the import (a million rows
    do not make a million events); it names the file and carries a digest of what was written.
    """
    summary = ImportSummary(dry_run=dry_run)
    areas = {}
    for a in Area.objects.filter(city=city).only("id", "code", "name"):
        areas[a.code.casefold()] = a.pk
        areas.setdefault(a.name.casefold(), a.pk)
    indicators = {i.code.casefold(): i.pk for i in Indicator.objects.filter(city=city).only("id", "code")}
    # Slotted records plus two int lists: a million rows stay well under a gigabyte.
    resolved: list[ObservationInput] = []
    area_ids: list[int] = []
    ind_ids: list[int] = []
    for rec in records:
        area_id = areas.get(str(rec.area).strip().casefold())
        ind_id = indicators.get(str(rec.indicator).strip().casefold())
        if area_id is None:
            summary.errors.append(InputError(rec.row, "area", str(rec.area),
                                             _("no area of this city has this code or name")))
        if ind_id is None:
            summary.errors.append(InputError(rec.row, "indicator", str(rec.indicator),
                                             _("no indicator of this city has this code")))
        if area_id is not None and ind_id is not None:
            resolved.append(rec)
            area_ids.append(area_id)
            ind_ids.append(ind_id)
    summary.errors += _value_errors(city, resolved)
    if summary.errors:
        summary.errors.sort(key=lambda e: e.row)
        return summary
    digest = hashlib.sha256()
    try:
        with transaction.atomic():
            _write_observations(city, resolved, area_ids, ind_ids, summary, digest, progress)
            if not dry_run and (summary.new or summary.changed):
                record(actor=actor, action="observation.import", object_type="mapping.observation",
                       object_id=source_name[:64] or "import", city=city,
                       after={"file": source_name, "new": summary.new, "changed": summary.changed,
                              "unchanged": summary.unchanged, "sha256": digest.hexdigest()})
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return summary


OBSERVATION_COLUMNS = ["city_id", "indicator_id", "area_id", "period", "period_start", "period_end", "value", "sex",
                       "age_band", "group", "source", "method_note"]


def _insert_rows(rows: list[tuple]) -> None:
    """Plain rows straight to the table: Django model instances cost more than the database does at 1M rows.

    PostgreSQL gets COPY; SQLite a prepared INSERT run many times. Both inside the caller's transaction.
    """
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(Observation._meta.db_table)
    cols = ", ".join(qn(c) for c in OBSERVATION_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(OBSERVATION_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                               [(*r[:4], r[4].isoformat(), r[5].isoformat(), *r[6:]) for r in rows])


def _update_rows(rows: list[tuple]) -> None:
    if not rows:
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {qn(Observation._meta.db_table)} SET {qn('value')} = %s, {qn('source')} = %s, "
                           f"{qn('method_note')} = %s WHERE {qn('id')} = %s", rows)


def _write_observations(city, resolved, area_ids, ind_ids, summary: ImportSummary, digest, progress) -> None:
    periods = {rec.period for rec in resolved}
    existing = {}  # key → (pk, value, source, method_note): tuples, not model instances, to keep memory low
    for pk, ind, area, period, sex, age, group, value, source, note in Observation.objects.filter(
            city=city, indicator_id__in=set(ind_ids), period__in=periods).order_by().values_list(
            "id", "indicator_id", "area_id", "period", "sex", "age_band", "group", "value", "source",
            "method_note").iterator(chunk_size=BATCH):
        existing[(ind, area, period, sex, age, group)] = (pk, value, source, note)
    to_create, to_update = [], []
    total = len(resolved)
    for n, (rec, area_id, ind_id) in enumerate(zip(resolved, area_ids, ind_ids, strict=True), start=1):
        key = (ind_id, area_id, rec.period, rec.sex, rec.age_band, rec.group)
        digest.update(repr((key, rec.value)).encode())
        old = existing.get(key)
        if old is None:
            to_create.append((city.pk, ind_id, area_id, rec.period, rec.period_start, rec.period_end, rec.value,
                              rec.sex, rec.age_band, rec.group, rec.source, rec.method_note))
            summary.new += 1
        else:
            pk, value, source, note = old
            if value != rec.value or (rec.source and source != rec.source) or (
                    rec.method_note and note != rec.method_note):
                if len(summary.examples) < 20:
                    summary.examples.append({"row": rec.row, "area": rec.area, "indicator": rec.indicator,
                                             "period": rec.period, "before": value, "after": rec.value})
                to_update.append((rec.value, rec.source or source, rec.method_note or note, pk))
                summary.changed += 1
            else:
                summary.unchanged += 1
        if len(to_create) >= BATCH * 4:
            _insert_rows(to_create)
            to_create = []
        if len(to_update) >= BATCH:
            _update_rows(to_update)
            to_update = []
        if progress and n % BATCH == 0:
            progress(n, total)
    _insert_rows(to_create)
    _update_rows(to_update)
    if progress:
        progress(total, total)


# ---- community reports -------------------------------------------------------------------------

@transaction.atomic
def create_report(*, actor, city: City, category: str, date: dt.date, channel: str, text: str = "",
                  area: Area | None = None, point: tuple[float, float] | None = None) -> CommunityReport:
    """Record a report. A point (lon, lat) is turned into its area and then forgotten."""
    require_actor(actor, Action.RECORD_REPORT, city)
    if area is None and point is not None:
        area = locate(city, *point)
        if area is None:
            raise ValidationError({"point": _("This point is outside every area of the city.")})
    if area is None:
        raise ValidationError({"area": _("Choose the area, or give a point inside it.")})
    if area.city_id != city.pk:
        raise ValidationError({"area": _("This area belongs to another city.")})
    report = CommunityReport(city=city, category=category, date=date, channel=channel, text=text, area=area)
    report.full_clean()
    report.save()
    # The audit log holds who entered it and what, never the free text: that stays in one place.
    record(actor=actor, action="report.create", obj=report, city=city,
           after={"category": category, "date": date, "area": area.code, "channel": channel})
    return report


def locate(city: City, lon: float, lat: float) -> Area | None:
    areas = [a for a in Area.objects.filter(city=city).exclude(geometry=None)]
    from shapely.geometry import shape

    locator = PointLocator([(a.pk, shape(a.geometry)) for a in areas])
    pk = locator.locate(lon, lat)
    return next((a for a in areas if a.pk == pk), None)


@transaction.atomic
def moderate_report(*, actor, report: CommunityReport, moderated_text: str, share: bool,
                    confirmed_not_personal: bool = False) -> CommunityReport:
    """The text cleared for sharing: refused while it looks like it holds personal data (a phone number, an
    email address, a name of the city's people) unless the coordinator confirms it does not."""
    require_actor(actor, Action.EDIT_CITY_DATA, report.city)
    moderated_text = moderated_text.strip()
    confirmed = check_text_to_share(city=report.city, field="moderated_text", text=moderated_text,
                                    confirmed=confirmed_not_personal)
    before = {"status": report.status, "visibility": report.visibility}
    report.moderated_text = moderated_text
    report.status = ReportStatus.MODERATED
    report.visibility = Visibility.NETWORK if share else Visibility.CITY
    report.save(update_fields=["moderated_text", "status", "visibility"])
    after = {"status": report.status, "visibility": report.visibility}
    if confirmed:  # a flag, never the text
        after["personal_data_confirmed"] = True
    record(actor=actor, action="report.moderate", obj=report, city=report.city, before=before, after=after)
    return report


# ---- priority profiles -------------------------------------------------------------------------

class LowCoverage(ValidationError):
    """The ranking stands on fewer ward × indicator values than the city's minimum coverage."""

    def __init__(self, *, share: float, threshold: int, may_override: bool):
        self.share, self.threshold, self.may_override = share, threshold, may_override
        text = _("Not saved: only %(share)s %% of ward × indicator values are present for this period, below the "
                 "city's minimum of %(threshold)s %%. Wards without data were given the city average, so their "
                 "ranks say little.") % {"share": math.floor(share * 100), "threshold": threshold}
        if may_override:
            text += " " + _("Choose a period or indicators with more data, or tick “save anyway, flagged as low "
                            "coverage”.")
        else:
            text += " " + _("Choose a period or indicators with more data; only a coordinator may save it "
                            "flagged as low coverage.")
        super().__init__(text, code="low_coverage")


@transaction.atomic
def save_profile(*, actor, city: City, name: str, period: str, spec: dict, results: dict,
                 save_low_coverage: bool = False) -> PriorityProfile:
    """Saves a ranking, unchangeable. Under the city's minimum data coverage it is refused, unless a coordinator
    asks to save it anyway: then it is flagged as low coverage wherever it appears, and in the audit event."""
    require_actor(actor, Action.RUN_ANALYSIS, city)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the profile a name people will recognise.")})
    coverage = coverage_of(results)
    # Results without coverage (no ranked values) carry nothing to judge: saved unflagged.
    share = coverage["share"] if coverage else None
    low = share is not None and share * 100 < city.coverage_threshold
    may_override = can(actor, Action.EDIT_CITY_DATA, city)
    if low and not (save_low_coverage and may_override):
        raise LowCoverage(share=share, threshold=city.coverage_threshold, may_override=may_override)
    profile = PriorityProfile(city=city, name=name, period=period, spec=spec, results=results, created_by=actor,
                              low_coverage=low)
    profile.full_clean()
    profile.save()
    after = {"name": name, "period": period, "spec": spec,
             "top": [r["code"] for r in sorted(results.get("areas", []), key=lambda r: r["rank"])[:5]]}
    if share is not None:
        after.update(coverage=round(share * 100, 1), coverage_threshold=city.coverage_threshold)
    if low:
        after["low_coverage"] = True
    record(actor=actor, action="profile.save", obj=profile, city=city, after=after)
    return profile


def _indicator_state(ind: Indicator) -> dict:
    """What the indicator's edit page edits, as saved (theme and denominator by id, as the form names them)."""
    return {**{f: getattr(ind, f) for f in INDICATOR_FIELDS}, "theme": ind.theme_id, "denominator": ind.denominator_id}


def indicator_token(ind: Indicator) -> str:
    """What an edit page was opened on (update_indicator's `opened`)."""
    return fingerprint(_indicator_state(ind))


def _theme_state(theme: Theme) -> dict:
    return {"name": theme.name, "names": theme.names, "sensitivity": theme.sensitivity}


def theme_token(theme: Theme) -> str:
    """What a theme's form was opened on (update_theme's `opened`)."""
    return fingerprint(_theme_state(theme))


@transaction.atomic
def update_indicator(*, actor, indicator: Indicator, opened: str | None = None, **changes) -> Indicator:
    """``opened``: the indicator_token the edit page was opened on; someone's save since is refused with
    StaleEdit (audit.conflicts). The row is locked first, so two simultaneous saves cannot both pass."""
    require_actor(actor, Action.EDIT_CITY_DATA, indicator.city)
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    check_opened(indicator, _indicator_state(indicator), opened)
    allowed = {"name", "names", "unit", "direction", "theme", "source", "hxl_tag", "description", "denominator"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    before = _indicator_snapshot(indicator)
    for key, value in changes.items():
        setattr(indicator, key, value)
    if indicator.theme.city_id != indicator.city_id:
        raise ValidationError(_("Theme and denominator must belong to the same city."))
    indicator.full_clean()
    indicator.save()
    record(actor=actor, action="indicator.update", obj=indicator, city=indicator.city, before=before,
           after=_indicator_snapshot(indicator))
    return indicator


@transaction.atomic
def update_theme(*, actor, theme: Theme, name: str, names: dict | None = None,
                 sensitivity: str | None = None, opened: str | None = None) -> Theme:
    """Rename a theme, or decide whether its numbers may leave the city team. ``opened``: the theme_token the
    form was opened on; someone's save since is refused with StaleEdit (the row locked first, as above)."""
    require_actor(actor, Action.EDIT_CITY_DATA, theme.city)
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    check_opened(theme, _theme_state(theme), opened)
    before = {"name": theme.name, "names": theme.names, "sensitivity": theme.sensitivity}
    theme.name = name.strip()
    if names is not None:
        theme.names = names
    if sensitivity is not None:
        theme.sensitivity = sensitivity
    theme.full_clean()
    theme.save(update_fields=["name", "names", "sensitivity"])
    record(actor=actor, action="theme.update", obj=theme, city=theme.city, before=before,
           after={"name": theme.name, "names": theme.names, "sensitivity": theme.sensitivity})
    return theme


@dataclass(frozen=True)
class ReportInput:
    row: int
    date: str
    category: str
    area: str
    channel: str
    text: str = ""


def import_reports(*, actor, city: City, rows: list[ReportInput], dry_run: bool = False,
                   source_name: str = "") -> ImportSummary:
    """Community reports from a partner's spreadsheet: every row checked first, then all written or none."""
    from .models import ReportCategory, ReportChannel

    summary = ImportSummary(dry_run=dry_run)
    areas = {}
    for a in Area.objects.filter(city=city):
        areas[a.code.casefold()] = a
        areas.setdefault(a.name.casefold(), a)
    categories = {c.value: c.value for c in ReportCategory} | {str(c.label).casefold(): c.value for c in ReportCategory}
    channels = {c.value: c.value for c in ReportChannel} | {str(c.label).casefold(): c.value for c in ReportChannel}
    valid = []
    for r in rows:
        try:
            date = dt.date.fromisoformat(r.date.strip())
        except ValueError:
            summary.errors.append(InputError(r.row, "date", r.date, _("use a date like 2026-03-31")))
            date = None
        area = areas.get(r.area.strip().casefold())
        if area is None:
            summary.errors.append(InputError(r.row, "area", r.area, _("no area of this city has this code or name")))
        category = categories.get(r.category.strip().casefold())
        if category is None:
            summary.errors.append(InputError(r.row, "category", r.category, _("use one of: %(options)s")
                                             % {"options": ", ".join(c.value for c in ReportCategory)}))
        channel = channels.get(r.channel.strip().casefold())
        if channel is None:
            summary.errors.append(InputError(r.row, "channel", r.channel, _("use one of: %(options)s")
                                             % {"options": ", ".join(c.value for c in ReportChannel)}))
        if date and area and category and channel:
            valid.append(CommunityReport(city=city, date=date, area=area, category=category, channel=channel,
                                         text=r.text.strip()))
    if summary.errors:
        return summary
    summary.new = len(valid)
    if dry_run:
        return summary
    with transaction.atomic():
        CommunityReport.objects.bulk_create(valid, batch_size=BATCH)
        record(actor=actor, action="report.import", object_type="mapping.communityreport",
               object_id=source_name[:64] or "import", city=city, after={"file": source_name, "new": len(valid)})
    return summary


@transaction.atomic
def create_theme(*, actor, city: City, code: str, name: str, group: str,
                 sensitivity: str = Sensitivity.OPEN) -> Theme:
    require_actor(actor, Action.EDIT_CITY_DATA, city)
    order = (Theme.objects.filter(city=city).order_by("-order").values_list("order", flat=True).first() or 0) + 1
    theme = Theme(city=city, code=code, name=name.strip(), group=group, order=order, sensitivity=sensitivity)
    theme.full_clean()
    theme.save()
    record(actor=actor, action="theme.create", obj=theme, city=city,
           after={"code": code, "name": theme.name, "group": group, "sensitivity": sensitivity})
    return theme
