"""Digits and separators of Arabic pages, in one place: the last pass over every Arabic HTML page (and PDF).

Numbers reach a page from many places — template filters, Python f-strings in charts and SVG maps, ward names
and codes typed by the city ("Nyali Ward 2" or "حي ٢"). Formatting each at its source left pages mixing Western
and Arabic-Indic digits and reading "1.056" as a thousand and fifty-six. So the text of an Arabic page (never
its markup, attributes, scripts, styles or form fields) is rewritten once, after rendering:
- digits become the city's choice (City.arabic_digits: Western "latn" or Arabic-Indic "arab"), numbers and ward
  names alike, so one page never mixes the two;
- a Western-grouped number (1,056 or 1,056.5, written by Python's "{:,}") takes the Arabic separators ٬ and ٫.
Numbers formatted by Django in Arabic already use ٫ and ٬ (tamasuk/formats/ar/formats.py).
The rewriting itself is cities.reading's (a PDF's source goes through it too, outside any response).
"""

from __future__ import annotations

from django.utils.translation import get_language

from tamasuk.cities.reading import city_digits, localise_html


class ArabicDigitsMiddleware:
    """Rewrites the text of Arabic HTML pages by the page's city's choice of digits (Western by default)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if get_language() != "ar" or response.streaming or response.has_header("Content-Encoding"):
            return response
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(("text/html", "image/svg+xml")):
            return response
        charset = response.charset or "utf-8"
        html = response.content.decode(charset)
        response.content = localise_html(html, self._digits(request)).encode(charset)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response

    @staticmethod
    def _digits(request) -> str:
        city = getattr(request, "tamasuk_city", None)
        if city is None:
            match = getattr(request, "resolver_match", None)
            slug = match.kwargs.get("slug") if match else None
            if slug:
                from tamasuk.cities.models import City

                city = City.objects.filter(slug=slug).only("arabic_digits").first()
        return city_digits(city)
