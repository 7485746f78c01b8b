"""Every write to cities, areas and memberships: validated, atomic, audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tamasuk.audit.services import record
from tamasuk.interop.geojson import AreaReadResult, ReadError

from .models import ROLES_A_CITY_ADMIN_GRANTS, Area, City, Membership, Role
from .permissions import Action, require_actor

CITY_FIELDS = [
    "name", "slug", "country", "languages", "time_zone", "suppression_k", "coverage_threshold", "arabic_digits",
    "level_names", "is_demo",
]
AREA_FIELDS = ["code", "name", "names", "level", "parent_code", "population"]


def _snapshot(obj, fields: list[str]) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _area_snapshot(area: Area) -> dict:
    data = {f: getattr(area, f) for f in ["code", "name", "names", "level", "population"]}
    data["parent_code"] = area.parent.code if area.parent_id else None
    data["bbox"] = list(area.bbox) if area.bbox else None
    return data


@transaction.atomic
def create_city(*, actor, name: str, slug: str, country: str, languages: list[str], time_zone: str = "UTC",
                suppression_k: int = 5, level_names: dict | None = None, is_demo: bool = False) -> City:
    if not isinstance(actor, str):  # a command's (createadmin), never a page's
        raise PermissionDenied
    city = City(name=name, slug=slug, country=country.upper(), languages=languages, time_zone=time_zone,
                suppression_k=suppression_k, level_names=level_names or {}, is_demo=is_demo)
    city.full_clean()
    city.save()
    record(actor=actor, action="city.create", obj=city, city=city, after=_snapshot(city, CITY_FIELDS))
    return city


@dataclass
class AreaImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[ReadError] = field(default_factory=list)
    warnings: list[ReadError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class _DryRun(Exception):
    pass


def import_areas(*, actor, city: City, result: AreaReadResult, dry_run: bool = False) -> AreaImportReport:
    """Write the areas a GeoJSON reader produced: all of them or none; re-import updates by code.

    A dry run does the whole write inside a transaction and rolls it back, so what it reports is exactly
    what a real import would do.
    """
    require_actor(actor, Action.EDIT_AREAS, city)
    report = AreaImportReport(errors=list(result.errors), warnings=list(result.warnings), dry_run=dry_run)
    if not result.ok:
        return report
    try:
        with transaction.atomic():
            _write_areas(actor=actor, city=city, result=result, report=report)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _write_areas(*, actor, city: City, result: AreaReadResult, report: AreaImportReport) -> None:
    existing = {a.code: a for a in Area.objects.filter(city=city).select_related("parent")}
    for rec in result.areas:  # parents come first
        parent = existing.get(rec.parent_code) if rec.parent_code else None
        if rec.parent_code and parent is None:
            report.errors.append(ReadError(rec.index, "parent", _("parent code %(code)s is unknown") % {"code": rec.parent_code}))
            raise _DryRun  # nothing is written
        if parent is not None and _would_loop(parent, rec.code):
            report.errors.append(ReadError(rec.index, "parent", _(
                "making %(parent)s the parent of %(code)s would put %(code)s inside itself")
                % {"parent": rec.parent_code, "code": rec.code}))
            raise _DryRun
        level = parent.level + 1 if parent else 1
        values = {
            "name": rec.name,
            "names": rec.names,
            "level": level,
            "parent": parent,
            "geometry": rec.geometry,
            "min_lon": rec.bbox[0], "min_lat": rec.bbox[1], "max_lon": rec.bbox[2], "max_lat": rec.bbox[3],
        }
        if rec.population is not None:
            values["population"] = rec.population
        area = existing.get(rec.code)
        if area is None:
            area = Area(city=city, code=rec.code, **values)
            area.save()
            existing[rec.code] = area
            report.created.append(rec.code)
            record(actor=actor, action="area.create", obj=area, city=city, after=_area_snapshot(area))
            continue
        changed = any(getattr(area, k) != v for k, v in values.items())
        if not changed:
            report.unchanged.append(rec.code)
            continue
        before = _area_snapshot(area)
        geometry_changed = area.geometry != rec.geometry
        for k, v in values.items():
            setattr(area, k, v)
        area.save()
        _relevel(area)
        report.updated.append(rec.code)
        after = _area_snapshot(area)
        after["geometry_changed"] = geometry_changed
        record(actor=actor, action="area.update", obj=area, city=city, before=before, after=after)


def _would_loop(parent: Area, code: str) -> bool:
    node, seen = parent, 0
    while node is not None and seen < 100:
        if node.code == code:
            return True
        node, seen = node.parent, seen + 1
    return False


def _relevel(area: Area) -> None:
    """Keep descendants' levels right after an area moves in the hierarchy."""
    for child in Area.objects.filter(parent=area):
        if child.level != area.level + 1:
            child.level = area.level + 1
            child.save(update_fields=["level"])
        _relevel(child)


@transaction.atomic
def grant_membership(*, actor, city: City, user, role: str, ends_on: dt.date | None = None) -> Membership:
    require_actor(actor, Action.MANAGE_MEMBERSHIPS, city)
    if role == Role.AUDITOR and ends_on is None:
        raise ValidationError({"ends_on": _("An auditor's membership needs an end date.")})
    if Membership.objects.filter(city=city, user=user).exists():
        raise ValidationError({"user": _("%(user)s already has a role in %(city)s.") % {"user": user, "city": city}})
    membership = Membership(city=city, user=user, role=role, ends_on=ends_on)
    membership.full_clean()
    membership.save()
    record(actor=actor, action="membership.grant", obj=membership, city=city,
           after={"user": user.username, "role": role, "ends_on": ends_on})
    return membership


@transaction.atomic
def change_membership(*, actor, membership: Membership, role: str, ends_on: dt.date | None) -> Membership:
    require_actor(actor, Action.MANAGE_MEMBERSHIPS, membership.city)
    if role not in ROLES_A_CITY_ADMIN_GRANTS or membership.role not in ROLES_A_CITY_ADMIN_GRANTS:
        raise ValidationError({"role": _("Only an operator can appoint a national liaison.")})
    if role == Role.AUDITOR and ends_on is None:
        raise ValidationError({"ends_on": _("An auditor's membership needs an end date.")})
    _refuse_last_admin(membership, new_role=role)
    before = {"user": membership.user.username, "role": membership.role, "ends_on": membership.ends_on}
    membership.role, membership.ends_on = role, ends_on
    membership.full_clean()
    membership.save()
    record(actor=actor, action="membership.change", obj=membership, city=membership.city, before=before,
           after={"user": membership.user.username, "role": role, "ends_on": ends_on})
    return membership


@transaction.atomic
def revoke_membership(*, actor, membership: Membership) -> None:
    require_actor(actor, Action.MANAGE_MEMBERSHIPS, membership.city)
    _refuse_last_admin(membership, new_role=None)
    before = {"user": membership.user.username, "role": membership.role, "ends_on": membership.ends_on}
    record(actor=actor, action="membership.revoke", obj=membership, city=membership.city, before=before)
    membership.delete()


def _refuse_last_admin(membership: Membership, *, new_role: str | None) -> None:
    """A city must never lose its last administrator: nobody could then manage its users."""
    if membership.role != Role.ADMIN or new_role == Role.ADMIN:
        return
    others = Membership.objects.filter(city=membership.city, role=Role.ADMIN).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError({"role": _("This is the city's last administrator; appoint another first.")})


@transaction.atomic
def create_user(*, actor, username: str, email: str = "", password: str | None = None,
                city: City | None = None):
    """A new account. Without a password, a random one is returned to hand over once."""
    if city is not None:
        require_actor(actor, Action.MANAGE_MEMBERSHIPS, city)
    elif not isinstance(actor, str):  # an account outside any city: an operator's command
        raise PermissionDenied
    import secrets

    from django.contrib.auth import get_user_model

    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("The username %(name)s is taken.") % {"name": username}})
    temporary = password is None
    password = password or secrets.token_urlsafe(12)
    user = User(username=username, email=email)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    # Whether an email was given, not the address: contact details stay out of the audit chain.
    record(actor=actor, action="user.create", obj=user, city=city,
           after={"username": username, "email_recorded": bool(email)})
    return user, (password if temporary else None)


@transaction.atomic
def add_member(*, actor, city: City, username: str, email: str, role: str, ends_on: dt.date | None):
    """A city administrator gives someone a role in the city, creating their account if needed."""
    require_actor(actor, Action.MANAGE_MEMBERSHIPS, city)
    if role not in ROLES_A_CITY_ADMIN_GRANTS:
        raise ValidationError({"role": _("Only an operator can appoint a national liaison.")})
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username__iexact=username).first()
    temporary_password = None
    if user is None:
        user, temporary_password = create_user(actor=actor, username=username, email=email, city=city)
    membership = grant_membership(actor=actor, city=city, user=user, role=role, ends_on=ends_on)
    return membership, temporary_password


@transaction.atomic
def set_population(*, actor, area: Area, total: int | None, detail: dict | None = None) -> Area:
    """Population of an area, optionally by sex and age band; the parts must add up to the total."""
    require_actor(actor, Action.EDIT_AREAS, area.city)
    detail = detail or {}
    if total is not None and detail:
        parts = sum(int(n) for bands in detail.values() for n in bands.values())
        if parts != total:
            raise ValidationError({"population_detail": _("The parts add up to %(parts)s, not %(total)s.")
                                   % {"parts": parts, "total": total}})
    before = {"population": area.population, "population_detail": area.population_detail}
    area.population, area.population_detail = total, detail
    area.save(update_fields=["population", "population_detail"])
    record(actor=actor, action="area.population", obj=area, city=area.city, before=before,
           after={"population": total, "population_detail": detail})
    return area


# What a coordinator or the city's administrator may change on the city settings page.
SETTINGS_FIELDS = ["languages", "arabic_digits", "coverage_threshold", "suppression_k"]


@transaction.atomic
def update_city_settings(*, actor, city: City, languages: list[str], arabic_digits: str, coverage_threshold: int,
                         small_count_threshold: int) -> City:
    """The city's languages, digits in Arabic, minimum data coverage for priorities and small-count threshold."""
    require_actor(actor, Action.EDIT_CITY_SETTINGS, city)
    from django.conf import settings

    known = {code for code, _name in settings.LANGUAGES}
    languages = [code for code in dict.fromkeys(languages) if code]
    if not languages:
        raise ValidationError({"languages": _("Choose at least one language.")})
    if unknown := [code for code in languages if code not in known]:
        raise ValidationError({"languages": _("Unknown language: %(codes)s.") % {"codes": ", ".join(unknown)}})
    before = _snapshot(city, SETTINGS_FIELDS)
    city.languages, city.arabic_digits = languages, arabic_digits
    from . import publication

    city.coverage_threshold = coverage_threshold
    city.suppression_k = publication.valid_threshold(small_count_threshold)
    city.full_clean()
    after = _snapshot(city, SETTINGS_FIELDS)
    if after == before:
        return city
    city.save(update_fields=SETTINGS_FIELDS)
    record(actor=actor, action="city.settings", obj=city, city=city,
           before={k: v for k, v in before.items() if after[k] != v},
           after={k: v for k, v in after.items() if before[k] != v})
    return city


# ---- passwords: changed by their owner, or reset through a one-time link an administrator hands over ----

@transaction.atomic
def change_password(*, actor, user, password: str) -> None:
    """The user's new password (already validated by the form). Recorded without any trace of the password."""
    if actor != user:
        raise PermissionDenied
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor=actor, action="user.password_change", obj=user, after={"user": user.username})


def reset_link_refusal(*, actor, membership: Membership) -> str:
    """Why the city's administrator may not hand this member a reset link, or "" if they may. Only accounts the
    city alone answers for: an account with a role in another city, or an operator's, is not this city's to
    take over."""
    user = membership.user
    if user == actor:
        return _("Change your own password from the link at the top of every page.")
    if user.is_staff or user.is_superuser:
        return _("%(user)s is an operator's account; only an operator can reset it.") % {"user": user.username}
    if Membership.objects.filter(user=user).exclude(city=membership.city).exists():
        return _("%(user)s has a role in another city too; ask an operator to reset the password.") % {
            "user": user.username}
    return ""


@transaction.atomic
def password_reset_link(*, actor, membership: Membership) -> str:
    """A one-time path that lets the member set a new password, for the administrator to hand over (no e-mail
    server is needed). It works once, until the password changes or PASSWORD_RESET_TIMEOUT passes."""
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    require_actor(actor, Action.MANAGE_MEMBERSHIPS, membership.city)
    if problem := reset_link_refusal(actor=actor, membership=membership):
        raise ValidationError(problem)
    user = membership.user
    record(actor=actor, action="user.password_reset_link", obj=user, city=membership.city,
           after={"user": user.username})
    return reverse("web:password_reset", args=[urlsafe_base64_encode(force_bytes(user.pk)),
                                               default_token_generator.make_token(user)])


@transaction.atomic
def reset_password(*, user, password: str) -> None:
    """The new password set through a reset link (the token was checked by the page)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor=user, action="user.password_reset", obj=user, after={"user": user.username})
