"""Reading a boundary file (GeoJSON) against a city's areas: the one way, for `tamasuk import-areas` and for the
web upload (mapping's areas kind of the import pipeline). Writes are `services.import_areas`."""

from __future__ import annotations

from collections.abc import Iterable

from shapely.errors import ShapelyError
from shapely.geometry import shape

from tamasuk.interop.geojson import AreaReadResult, read_areas

from .models import Area, City


def name_languages(items: Iterable[str]) -> dict[str, str]:
    """`ar=name_ar` items → {"ar": "name_ar"}; raises ValueError on an item that is not LANG=PROPERTY."""
    pairs = {}
    for item in items:
        lang, sep, prop = item.partition("=")
        if not sep or not lang.strip() or not prop.strip():
            raise ValueError(item)
        pairs[lang.strip()] = prop.strip()
    return pairs


def read_file(city: City, data: bytes, *, code_prop: str = "code", name_prop: str = "name",
              parent_prop: str | None = None, population_prop: str | None = None,
              name_langs: dict[str, str] | None = None) -> AreaReadResult:
    """A boundary file read with these property names; a parent may be an area of the file or of the city."""
    known = set(Area.objects.filter(city=city).values_list("code", flat=True))
    return read_areas(data, code_property=code_prop, name_property=name_prop, parent_property=parent_prop or None,
                      extra_name_properties=name_langs or {}, population_property=population_prop or None,
                      known_parent_codes=known)


def changes(city: City, result: AreaReadResult) -> dict[str, list[str]]:
    """For each area of the file the city already has, what importing it would change, compared as
    `services.import_areas` compares: name, names, parent, population, boundary ("vertices" when the stored
    boundary is rewritten with the same shape)."""
    existing = {a.code: a for a in Area.objects.filter(city=city, code__in=[r.code for r in result.areas])
                .select_related("parent")}
    found = {}
    for rec in result.areas:
        area = existing.get(rec.code)
        if area is None:
            continue
        what = []
        if area.name != rec.name:
            what.append("name")
        if area.names != rec.names:
            what.append("names")
        if (area.parent.code if area.parent_id else None) != (rec.parent_code or None):
            what.append("parent")
        if rec.population is not None and area.population != rec.population:
            what.append("population")
        if area.geometry != rec.geometry:
            # The reader may start a ring at another vertex than the stored one: the same boundary, rewritten.
            what.append("vertices" if _same_shape(area.geometry, rec.geometry) else "boundary")
        found[rec.code] = what
    return found


def _same_shape(a: dict | None, b: dict | None) -> bool:
    try:
        return bool(a and b and shape(a).equals(shape(b)))
    except (ShapelyError, ValueError, TypeError, AttributeError, KeyError):
        return False
