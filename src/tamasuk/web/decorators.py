from functools import wraps

from tamasuk.cities.permissions import require
from tamasuk.cities.queries import city_for


def city_page(action):
    """Resolve the city from the URL and check the action once, before the view runs."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, slug, *args, **kwargs):
            city = city_for(request.user, slug)
            require(request.user, action, city)
            request.tamasuk_city = city  # the page's city, for its choice of digits in Arabic (web.digits)
            return view(request, city, *args, **kwargs)

        return wrapped

    return decorator
