"""Turn areas into the SVG maps the pages show (the drawing itself is in analysis.choropleth)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from pyproj import Geod
from shapely.geometry import shape

from tamasuk.analysis.choropleth import MapArea, choropleth
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
    items = []
    for a in areas:
        if not a.geometry:
            continue
        name = a.display_name(lang)
        value = density(a) if colour == "density" else None
        category = a.parent.display_name(lang) if colour == "parent" and a.parent_id else None
        tooltip = name
        if value is not None:
            tooltip = _("%(name)s: %(value)s people per km²") % {"name": name, "value": f"{value:,.0f}"}
        elif category:
            tooltip = f"{name} — {category}"
        items.append(MapArea(
            key=a.code, label=name, geometry=a.geometry, value=value, category=category, title=tooltip,
            # The area page is mapping's: web names it, never imports it (web sits below the apps).
            href=reverse("mapping:area", args=[city.slug, a.code]) if link else None,
            highlighted=a.code == highlight,
        ))
    mode = "sequential" if colour == "density" else ("categorical" if any(i.category for i in items) else "outline")
    return choropleth(
        items,
        width=width,
        title=title or _("Map of %(city)s") % {"city": city.name},
        description=_("Each shape is an area; select one to open its page."),
        mode=mode,
        legend_title=_("People per km²") if colour == "density" else "",
        no_data_label=_("No data"),
        value_format=lambda v: f"{v:,.0f}",
        rtl=get_language_bidi(),
    )
