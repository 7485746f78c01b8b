"""Turn areas into the SVG maps the pages show (the drawing itself is in analysis.choropleth)."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pyproj import Geod
from shapely.geometry import shape

from tamasuk.cities.area_maps import area_link, area_map
from tamasuk.cities.models import Area, City

COLOUR_CHOICES = ("parent", "density")
_GEOD = Geod(ellps="WGS84")


def density(area: Area) -> float | None:
    """People per km², measured on the ellipsoid (degrees are not equal-area)."""
    if not area.population or not area.geometry:
        return None
    km2 = abs(_GEOD.geometry_area_perimeter(shape(area.geometry))[0]) / 1e6
    return area.population / km2 if km2 else None


def city_map(city: City, areas: list[Area], *, colour: str = "parent", highlight: str | None = None,
             width: int = 640, title: str | None = None, link: bool = True) -> str:
    lang = get_language()
    areas = [a for a in areas if a.geometry]
    densities = {a.code: density(a) for a in areas} if colour == "density" else {}

    def value(a):
        return densities.get(a.code)

    def category(a):
        return a.parent.display_name(lang) if colour == "parent" and a.parent_id else None

    def tooltip(a, name):
        if (v := value(a)) is not None:
            return _("%(name)s: %(value)s people per km²") % {"name": name, "value": f"{v:,.0f}"}
        return f"{name} — {c}" if (c := category(a)) else name

    mode = "sequential" if colour == "density" else ("categorical" if any(map(category, areas)) else "outline")
    return area_map(
        areas, value=value, category=category, tooltip=tooltip, href=area_link(city) if link else None,
        highlight=highlight,
        width=width,
        title=title or _("Map of %(city)s") % {"city": city.name},
        description=_("Each shape is an area; select one to open its page."),
        mode=mode,
        legend_title=_("People per km²") if colour == "density" else "",
        value_format=lambda v: f"{v:,.0f}",
    )
