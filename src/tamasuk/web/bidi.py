"""Text direction of free text, for PDFs (WeasyPrint has no dir="auto"): forum minutes and review reports."""

import unicodedata

from django.utils.translation import get_language_bidi


def text_dir(value: str) -> str:
    """"ltr" or "rtl" from the first strong character (as dir="auto" does in browsers; WeasyPrint lacks it)."""
    for ch in str(value):
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr" if not get_language_bidi() else "rtl"
