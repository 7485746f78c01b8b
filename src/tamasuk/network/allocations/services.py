"""Saving a campaign allocation and citing it in a meeting decision: atomic and audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from tamasuk.audit.services import record
from tamasuk.cities.permissions import Action, require_actor

from ..models import Allocation, Decision, Meeting, Organisation, Sector, Service


@transaction.atomic
def save_allocation(*, actor, city, name: str, profile, sector: str, unit: str, total_capacity: int,
                    participants: list[dict], rows: list[dict]) -> Allocation:
    require_actor(actor, Action.EDIT_CITY_DATA, city)
    if not name.strip():
        raise ValidationError({"name": _("Give the allocation a name people will recognise.")})
    if sector not in Sector.values:
        raise ValidationError({"sector": _("Unknown sector: %(s)s") % {"s": sector}})
    if not participants:
        raise ValidationError({"participants": _("Choose at least one organisation taking part.")})
    # A list drawn for another sector would allocate nothing, or from organisations that do not do the work.
    serving = set(Service.objects.filter(city=city, sector=sector, organisation_id__in=[p["id"] for p in participants])
                  .values_list("organisation_id", flat=True))
    strangers = [p for p in participants if p["id"] not in serving]
    if strangers:
        names = dict(Organisation.objects.filter(city=city, pk__in=[p["id"] for p in strangers])
                     .values_list("pk", "name"))
        raise ValidationError({"participants": _(
            "These organisations offer no service in the sector “%(sector)s”: %(names)s. Update the list of "
            "organisations for this sector and allocate again.") % {
                "sector": Sector(sector).label,
                "names": ", ".join(names.get(p["id"]) or str(p.get("name") or p["id"]) for p in strangers)}})
    allocation = Allocation(city=city, name=name.strip(), profile=profile, sector=sector,
                            unit=" ".join(unit.split()) or _("units"),
                            total_capacity=total_capacity, participants=participants, rows=rows, created_by=actor)
    allocation.full_clean()
    allocation.save()
    record(actor=actor, action="allocation.save", obj=allocation, city=city,
           after={"name": allocation.name, "profile": profile.pk, "sector": sector, "total": total_capacity,
                  "unit": allocation.unit, "participants": participants,
                  "areas_served": sum(1 for r in rows if r["allocated"] > 0)})
    return allocation


@transaction.atomic
def cite_in_meeting(*, actor, allocation: Allocation, meeting: Meeting, text: str) -> Decision:
    require_actor(actor, Action.EDIT_CITY_DATA, allocation.city)
    if meeting.forum.city_id != allocation.city_id:
        raise ValidationError(_("The meeting belongs to another city."))
    number = (meeting.decisions.aggregate(n=Max("number"))["n"] or 0) + 1
    decision = Decision.objects.create(city=allocation.city, meeting=meeting, number=number, text=text.strip(),
                                       profile=allocation.profile, allocation=allocation)
    record(actor=actor, action="decision.create", obj=decision, city=allocation.city,
           after={"meeting": meeting.pk, "text": decision.text, "allocation": allocation.pk,
                  "profile": allocation.profile_id})
    return decision
