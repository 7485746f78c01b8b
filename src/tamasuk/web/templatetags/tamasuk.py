from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localname(area) -> str:
    """The area's name in the page's language when the city recorded one."""
    return area.display_name(get_language())
