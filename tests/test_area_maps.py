"""cities.area_maps: the one step from areas to a shaded map (every map page and the review's PDF use it)."""

from django.utils import translation

from tamasuk.cities.area_maps import area_link, area_map
from tamasuk.cities.models import Area, City

SQUARE = {"type": "Polygon", "coordinates": [[[39.6, -4.1], [39.7, -4.1], [39.7, -4.0], [39.6, -4.0], [39.6, -4.1]]]}
EAST = {"type": "Polygon", "coordinates": [[[39.7, -4.1], [39.8, -4.1], [39.8, -4.0], [39.7, -4.0], [39.7, -4.1]]]}


def _areas():
    return [Area(code="W1", name="Ward one", names={"ar": "الحي الأول"}, geometry=SQUARE),
            Area(code="W2", name="Ward two", geometry=EAST),
            Area(code="W3", name="No boundary", geometry=None)]


def test_links_go_to_each_areas_page_through_reverse():
    link = area_link(City(slug="mombasa", name="Mombasa"))
    assert link(Area(code="W1")) == "/c/mombasa/areas/W1/"


def test_values_names_links_and_the_readers_direction():
    city = City(slug="mombasa", name="Mombasa")
    with translation.override("ar"):
        svg = area_map(_areas(), value=lambda a: {"W1": 1.0, "W2": 2.0}.get(a.code),
                       tooltip=lambda a, name: f"{name}!", href=area_link(city), title="t", highlight="W2")
    assert "الحي الأول!" in svg and "Ward two!" in svg
    assert "No boundary" not in svg  # an area without a boundary is left out, not an error
    assert "/c/mombasa/areas/W1/" in svg and "/c/mombasa/areas/W2/" in svg
    assert 'text-anchor="end"' in svg  # the legend is right-aligned in Arabic
    with translation.override("en"):
        assert 'text-anchor="end"' not in area_map(_areas(), value=lambda a: 1.0, title="t")


def test_categories_and_no_links():
    svg = area_map(_areas(), category=lambda a: "A" if a.code == "W1" else None, mode="categorical", title="t")
    assert "<a " not in svg and "Ward one" in svg
