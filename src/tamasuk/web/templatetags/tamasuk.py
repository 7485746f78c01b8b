from django import template
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
