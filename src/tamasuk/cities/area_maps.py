"""Areas → shaded map: the one step every map in Tamasuk takes (the ward map, need scores, hot spots, the service
gap, a review's activities). The drawing is analysis.choropleth's; this turns a city's areas into its items, in the
reader's language and direction. It is a core module (a review's PDF draws a map too), so the pages' toolkit
(web/maps.py) and the apps' pages all come here."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.urls import reverse
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _

from tamasuk.analysis.choropleth import MapArea, choropleth

from .models import Area, City


def area_link(city: City) -> Callable[[Area], str]:
    """Each area's own page. It is mapping's page: named here, never imported (cities sits below mapping)."""
    return lambda area: reverse("mapping:area", args=[city.slug, area.code])


def area_map(
    areas: Iterable[Area],
    *,
    value: Callable[[Area], float | None] | None = None,
    category: Callable[[Area], str | None] | None = None,
    tooltip: Callable[[Area, str], str] | None = None,
    href: Callable[[Area], str] | None = None,
    highlight: str | None = None,
    **drawing,
) -> str:
    """The areas that have a boundary as a choropleth SVG. Per area: ``value`` or ``category`` shades it,
    ``tooltip(area, name)`` is its hover text (default: its name), ``href`` (e.g. :func:`area_link`) links it;
    ``highlight`` is the code of an area to outline. ``drawing`` goes to analysis.choropleth (title, mode,
    legend...); the direction follows the reader's language and "No data" is translated unless given."""
    lang = get_language()
    items = []
    for a in areas:
        if not a.geometry:
            continue
        name = a.display_name(lang)
        items.append(MapArea(
            key=a.code, label=name, geometry=a.geometry,
            value=value(a) if value else None, category=category(a) if category else None,
            title=tooltip(a, name) if tooltip else name, href=href(a) if href else None,
            highlighted=a.code == highlight,
        ))
    drawing.setdefault("rtl", get_language_bidi())
    drawing.setdefault("no_data_label", _("No data"))
    return choropleth(items, **drawing)
