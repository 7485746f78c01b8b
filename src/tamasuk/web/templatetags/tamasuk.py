from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localname(area) -> str:
    """The area's name in the page's language when the city recorded one."""
    return area.display_name(get_language())


@register.filter
def localtitle(item) -> str:
    """A plan's, pillar's, objective's or activity's title (an indicator's name) in the page's language when
    the city recorded one."""
    language = get_language()
    if hasattr(item, "display_title"):
        return item.display_title(language)
    return item.display_name(language)


@register.filter
def raw_digits(value) -> str:
    """Text kept exactly as written on Arabic pages, whatever the city's digits (a hash, a token): it is compared
    character by character with what another program prints (tamasuk.web.digits)."""
    return format_html('<span data-digits="raw" dir="ltr">{}</span>', value)


@register.filter
def ltr(value) -> str:
    """A period or code read left to right inside any sentence ("2026-Q3", not "Q3-2026" in Arabic)."""
    return format_html('<bdi dir="ltr">{}</bdi>', value)
