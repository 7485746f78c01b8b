"""A service's ValidationError shown to a person (on the form's fields where it names them, or as one line), and the
error pages (403, 404, 500, a refused form) in the reader's language with a way back."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy


def put_on_form(form, exc: ValidationError, *, unnamed: str | None = None) -> None:
    """Each error on the field it names when the form has that field, the rest at the top of the form. An error
    that names no field at all goes on the field ``unnamed`` when given (an upload's error is the file's)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(unnamed, exc)


def as_text(exc: ValidationError) -> str:
    """All of the error's messages as one line, for a flash message."""
    return " ".join(str(m) for m in exc.messages)


# ---- error pages: 403, 404, 500 and a refused form (CSRF), in the reader's language, each with a way back ----
# They render a page of their own (web/error.html), not the site's base: a 500 must not depend on the database
# or on the context processors that may have failed.

ERRORS = {
    400: (gettext_lazy("Something in this request could not be read"),
          gettext_lazy("The address or the form sent was not understood. Go back and try again.")),
    403: (gettext_lazy("You may not open this page"),
          gettext_lazy("Your role in this city does not include this page. If you need it, ask your city's "
                       "administrator.")),
    404: (gettext_lazy("Page not found"),
          gettext_lazy("There is nothing at this address, or it is not shared with you. Check the address, or "
                       "start again from the home page.")),
    500: (gettext_lazy("Something went wrong on our side"),
          gettext_lazy("The page could not be made. Nothing you did caused this; it has been logged. Try again "
                       "in a moment.")),
    "csrf": (gettext_lazy("This form has expired"),
             gettext_lazy("The form was open too long, or your browser blocked the cookie that protects it. Go "
                          "back, reload the page and send it again.")),
}


def _city_link(request, *, may_query: bool):
    """The city in the address, when the reader may open its home page (else no link to it)."""
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("slug") if match else None
    if not slug or not may_query:
        return None
    try:
        from tamasuk.cities.models import City
        from tamasuk.cities.permissions import Action, can

        city = City.objects.filter(slug=slug).first()
        if city is not None and can(request.user, Action.VIEW_CITY, city):
            return {"name": city.name, "url": reverse("web:city", args=[city.slug])}
    except Exception:  # noqa: BLE001 - an error page must render whatever else is broken
        return None
    return None


def _back(request) -> str | None:
    """The page the form was sent from, when it is one of ours."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return None


def _error_page(request, status, *, may_query: bool = True) -> HttpResponse:
    title, text = ERRORS[status]
    html = render_to_string("web/error.html", {
        "title": title, "text": text, "status": status if isinstance(status, int) else 403,
        "home_url": reverse("web:home"), "city": _city_link(request, may_query=may_query),
        "back": _back(request) if status in ("csrf", 400) else None,
    }, request=None)
    return HttpResponse(html, status=status if isinstance(status, int) else 403)


def bad_request(request, exception=None):
    return _error_page(request, 400)


def permission_denied(request, exception=None):
    return _error_page(request, 403)


def page_not_found(request, exception=None):
    return _error_page(request, 404)


def server_error(request):
    return _error_page(request, 500, may_query=False)


def csrf_failure(request, reason=""):
    return _error_page(request, "csrf")
