"""What changed between two plan snapshots. Plain data in, plain data out: no framework."""

from __future__ import annotations

from dataclasses import dataclass, field

# Fields a lead organisation changes while running an activity; a review that changed only these changed
# nothing in the plan's design.
RUNNING_FIELDS = {"description", "start", "end", "status", "partners"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object


@dataclass(frozen=True)
class Change:
    kind: str            # "added", "removed" or "changed"
    item_type: str       # "pillar", "objective", "activity" or "indicator"
    key: str
    code: str
    title: str
    parent: str | None = None
    fields: list[FieldChange] = field(default_factory=list)


def flatten(structure: dict) -> dict[str, dict]:
    """Every item of the structure by key, with its parent's code and without its children."""
    items: dict[str, dict] = {}
    for p in structure.get("pillars", []):
        items[p["key"]] = {"type": "pillar", "parent": None,
                           **{k: v for k, v in p.items() if k != "objectives"}}
        for o in p.get("objectives", []):
            items[o["key"]] = {"type": "objective", "parent": p["code"],
                               **{k: v for k, v in o.items() if k != "activities"}}
            for a in o.get("activities", []):
                items[a["key"]] = {"type": "activity", "parent": o["code"], **a}
    for i in structure.get("indicators", []):
        items[i["key"]] = {"type": "indicator", "parent": None, **i}
    return items


def _title(item: dict) -> str:
    return item.get("title") or item.get("name") or ""


def diff(old: dict, new: dict, *, ignore: set[str] = frozenset()) -> list[Change]:
    """Changes from `old` to `new` structure, in the order of the new plan (removed items last)."""
    before, after = flatten(old), flatten(new)
    changes: list[Change] = []
    for key, item in after.items():
        if key not in before:
            changes.append(Change("added", item["type"], key, item["code"], _title(item), item["parent"]))
            continue
        was = before[key]
        fields = [FieldChange(name, was.get(name), item.get(name))
                  for name in sorted(set(item) | set(was))
                  if name not in {"key", "type"} | set(ignore) and was.get(name) != item.get(name)]
        if fields:
            changes.append(Change("changed", item["type"], key, item["code"], _title(item), item["parent"], fields))
    for key, item in before.items():
        if key not in after:
            changes.append(Change("removed", item["type"], key, item["code"], _title(item), item["parent"]))
    return changes


def same_design(old: dict, new: dict) -> bool:
    """True when only what lead organisations change while running their activities differs."""
    return not diff(old, new, ignore=RUNNING_FIELDS)
