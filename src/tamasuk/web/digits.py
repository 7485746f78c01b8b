"""Digits and separators of Arabic pages, in one place: the last pass over every Arabic HTML page (and PDF).

Numbers reach a page from many places — template filters, Python f-strings in charts and SVG maps, ward names
and codes typed by the city ("Nyali Ward 2" or "حي ٢"). Formatting each at its source left pages mixing Western
and Arabic-Indic digits and reading "1.056" as a thousand and fifty-six. So the text of an Arabic page (never
its markup, attributes, scripts, styles or form fields) is rewritten once, after rendering:
- digits become the city's choice (City.arabic_digits: Western "latn" or Arabic-Indic "arab"), numbers and ward
  names alike, so one page never mixes the two;
- a Western-grouped number (1,056 or 1,056.5, written by Python's "{:,}") takes the Arabic separators ٬ and ٫.
Numbers formatted by Django in Arabic already use ٫ and ٬ (tamasuk/formats/ar/formats.py).
"""

from __future__ import annotations

import re

from django.utils.translation import get_language

WESTERN = "0123456789"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
EASTERN_PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
TO_ARAB = str.maketrans(WESTERN + EASTERN_PERSIAN, ARABIC_INDIC * 2)
TO_LATN = str.maketrans(ARABIC_INDIC + EASTERN_PERSIAN, WESTERN * 2)
CHOICES = ("latn", "arab")

# Text whose characters are data, not reading: left exactly as written.
_RAW = ("script", "style", "textarea", "pre", "code", "kbd", "samp")
_TAG = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>|<![^>]*>", re.S)
# 1,056 or 12,345,678.25 — grouped by Python's "{:,}"; not a list like "1,2" or a year pair "2024,2025".
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,]|\.\d)")


def _arabic_number(match: re.Match) -> str:
    return match.group(0).replace(",", "٬").replace(".", "٫")


def localise_text(text: str, digits: str) -> str:
    """One run of reading text as an Arabic reader of this city reads it."""
    text = _GROUPED.sub(_arabic_number, text)
    return text.translate(TO_ARAB if digits == "arab" else TO_LATN)


def localise_html(html: str, digits: str) -> str:
    """Every text node of an HTML (or SVG) document rewritten by localise_text; markup untouched."""
    out: list[str] = []
    raw_until: str | None = None
    pos = 0
    for match in _TAG.finditer(html):
        text = html[pos:match.start()]
        out.append(text if raw_until else localise_text(text, digits))
        out.append(match.group(0))
        closing, name = match.group(1), (match.group(2) or "").lower()
        if raw_until:
            if closing and name == raw_until:
                raw_until = None
        elif name in _RAW and not closing and not match.group(0).endswith("/>"):
            raw_until = name
        pos = match.end()
    tail = html[pos:]
    out.append(tail if raw_until else localise_text(tail, digits))
    return "".join(out)


def city_digits(city) -> str:
    return getattr(city, "arabic_digits", None) if getattr(city, "arabic_digits", None) in CHOICES else "latn"


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
