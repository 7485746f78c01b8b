"""A plan's structure as plain data: what a version freezes, what diffs compare, what exports start from."""

from __future__ import annotations

from decimal import Decimal


def _plain(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def item_fields(obj) -> dict:
    """The item's own fields as JSON-ready values (foreign keys as ids, many-to-many as sorted lists)."""
    data = {}
    for f in obj._meta.concrete_fields:
        if f.name in {"id", "version"}:
            continue
        value = getattr(obj, f.attname)
        data[f.name] = _plain(value)
    if obj.pk:
        for f in obj._meta.many_to_many:
            data[f.name] = sorted(getattr(obj, f.name).values_list("pk", flat=True))
    if obj.pk and obj._meta.label_lower == "plans.planindicator":
        data["targets"] = {str(t.year): _plain(t.value) for t in obj.targets.all()}
    return data


def plan_snapshot(plan) -> dict:
    """Everything a version freezes. Items are keyed by type and id, so renames and moves diff as changes."""
    activities = (plan.activities.select_related("lead", "objective")
                  .prefetch_related("partners", "areas", "national_pillars").order_by("order", "code"))
    by_objective: dict[int, list] = {}
    for a in activities:
        by_objective.setdefault(a.objective_id, []).append({
            "key": f"activity:{a.pk}", "code": a.code, "title": a.title, "description": a.description,
            "lead": a.lead.name, "partners": sorted(o.name for o in a.partners.all()),
            "areas": sorted(x.code for x in a.areas.all()), "budget": _plain(a.budget) if a.budget is not None
            else None, "start": a.start.isoformat(), "end": a.end.isoformat(), "status": a.status,
            "national_pillars": sorted(p.code for p in a.national_pillars.all()),
        })
    objectives: dict[int, list] = {}
    for o in plan.objectives.order_by("order", "code"):
        objectives.setdefault(o.pillar_id, []).append({
            "key": f"objective:{o.pk}", "code": o.code, "title": o.title,
            "activities": by_objective.get(o.pk, [])})
    pillars = [{"key": f"pillar:{p.pk}", "code": p.code, "title": p.title, "objectives": objectives.get(p.pk, [])}
               for p in plan.pillars.order_by("order", "code")]
    indicators = []
    for i in (plan.indicators.select_related("objective", "activity", "mapping_indicator")
              .prefetch_related("targets").order_by("order", "code")):
        indicators.append({
            "key": f"indicator:{i.pk}", "code": i.code, "name": i.name, "unit": i.unit, "kind": i.kind,
            "attached_to": (f"activity {i.activity.code}" if i.activity else
                            f"objective {i.objective.code}" if i.objective else "plan"),
            "mapping_indicator": i.mapping_indicator.code if i.mapping_indicator else None,
            "baseline_value": _plain(i.baseline_value) if i.baseline_value is not None else None,
            "baseline_date": i.baseline_date.isoformat() if i.baseline_date else None,
            "targets": {str(t.year): _plain(t.value) for t in i.targets.all()},
            "disaggregation": list(i.disaggregation), "higher_is_better": i.higher_is_better,
            "counts_people": i.counts_people,
        })
    return {
        "plan": {"title": plan.title, "start_year": plan.start_year, "end_year": plan.end_year,
                 "currency": plan.currency, "framework": plan.framework.name if plan.framework else None,
                 "visibility": plan.visibility},
        "structure": {"pillars": pillars, "indicators": indicators},
    }
