"""Text as the city's readers read it, for pages and for documents made outside a response (PDFs): the city's
digits in Arabic and the direction of free text. Pages get the digits from web.digits' middleware, which rewrites
every Arabic page once after rendering (its docstring says why); a PDF's source goes through :func:`for_reader`.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import get_language, get_language_bidi

WESTERN = "0123456789"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
EASTERN_PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
TO_ARAB = str.maketrans(WESTERN + EASTERN_PERSIAN, ARABIC_INDIC * 2)
TO_LATN = str.maketrans(ARABIC_INDIC + EASTERN_PERSIAN, WESTERN * 2)
CHOICES = ("latn", "arab")

# Text whose characters are data, not reading: left exactly as written.
_RAW = ("script", "style", "textarea", "pre", "code", "kbd", "samp")
_VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr")
_TAG = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>|<![^>]*>", re.S)
# 1,056 or 12,345,678.25 — grouped by Python's "{:,}"; not a list like "1,2" or a year pair "2024,2025".
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,]|\.\d)")
# 34.8 or 0.25 — a decimal written by Python's "{:.1f}"; not a dotted code such as 1.1.2 or a version.
_DECIMAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?![.\d])")
# Text that is left exactly as written: data-digits="raw". Identifiers (class="code", dir="ltr": P-codes, plan
# codes such as 1.1) take the city's digits but keep their dots: 1.1 is a section, not one and a tenth.
_RAW_ATTR = re.compile(r"""\bdata-digits\s*=\s*["']?raw""")
_CODE_ATTR = re.compile(r"""\bclass\s*=\s*["'][^"']*\bcode\b|\bdir\s*=\s*["']?ltr\b""")


def _arabic_number(match: re.Match) -> str:
    return match.group(0).replace(",", "٬").replace(".", "٫")


def localise_text(text: str, digits: str, *, code: bool = False) -> str:
    """One run of reading text as an Arabic reader of this city reads it (an identifier keeps its dots)."""
    if not code:
        text = _GROUPED.sub(_arabic_number, text)
        text = _DECIMAL.sub(r"\1٫\2", text)
    return text.translate(TO_ARAB if digits == "arab" else TO_LATN)


def localise_html(html: str, digits: str) -> str:
    """Every text node of an HTML (or SVG) document rewritten by localise_text; markup untouched."""
    out: list[str] = []
    # Open elements that change how their text is treated: [name, depth of same-name nesting, "raw" | "code"].
    special: list[list] = []
    pos = 0
    for match in _TAG.finditer(html):
        out.append(_text(html[pos:match.start()], digits, special))
        tag = match.group(0)
        out.append(tag)
        closing, name = match.group(1), (match.group(2) or "").lower()
        pos = match.end()
        if not name or tag.endswith("/>") or name in _VOID:
            continue
        if special and special[-1][0] == name:
            special[-1][1] += -1 if closing else 1
            if special[-1][1] == 0:
                special.pop()
            continue
        if closing or (special and special[-1][2] == "raw"):
            continue
        if name in _RAW or _RAW_ATTR.search(tag):
            special.append([name, 1, "raw"])
        elif _CODE_ATTR.search(tag):
            special.append([name, 1, "code"])
    out.append(_text(html[pos:], digits, special))
    return "".join(out)


def _text(text: str, digits: str, special: list) -> str:
    if not text:
        return text
    if special and any(s[2] == "raw" for s in special):
        return text
    return localise_text(text, digits, code=bool(special))


def city_digits(city) -> str:
    return getattr(city, "arabic_digits", None) if getattr(city, "arabic_digits", None) in CHOICES else "latn"


def for_reader(html: str, city) -> str:
    """An HTML document made outside a response (a PDF's source) as an Arabic reader of this city reads it."""
    if get_language() != "ar":
        return html
    return localise_html(html, city_digits(city))


def text_dir(value: str) -> str:
    """"ltr" or "rtl" from the first strong character (as dir="auto" does in browsers; WeasyPrint lacks it)."""
    for ch in str(value):
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr" if not get_language_bidi() else "rtl"
