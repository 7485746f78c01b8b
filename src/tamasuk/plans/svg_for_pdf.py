"""Arabic text inside SVG made drawable by WeasyPrint.

WeasyPrint (70) draws an SVG ``<text>`` one code point at a time, left to right, in the order the characters
are stored: Arabic comes out unjoined and backwards (Kozea/WeasyPrint#2249, #2909), while the same words in
HTML are shaped by Pango. Browsers draw the same SVG correctly, so the charts stay as they are and only the
PDF's copy is rewritten: each text's characters are joined into their Unicode presentation forms (initial,
medial, final, isolated; the lam-alef ligatures) and put in visual order (the Unicode bidirectional
algorithm for one line without explicit embeddings, brackets mirrored). Drawn left to right, one glyph after
another, that reads correctly; and a PDF reader maps the glyphs back to the logical letters.

Pure text processing: no Django, no WeasyPrint.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache

_FSI, _LRI, _RLI, _PDI = "\u2068", "\u2066", "\u2067", "\u2069"
_LRM, _RLM, _ALM, _ZWJ, _TATWEEL = "\u200e", "\u200f", "\u061c", "\u200d", "\u0640"
_CONTROLS = {_FSI, _LRI, _RLI, _PDI, "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"}
_LAM, _ALEFS = "\u0644", {"\u0622", "\u0623", "\u0625", "\u0627"}
_TEXT = re.compile(r"(<text\b[^>]*>)([^<]*)(</text>)")
_RTL_CLASSES = {"R", "AL", "AN"}
# Bidi_Mirroring_Glyph for what labels contain (Python's unicodedata knows only *that* a character mirrors).
_MIRROR = dict(zip("()[]{}<>«»‹›", ")(][}{><»«›‹", strict=True))


@cache
def _forms() -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], str]]:
    """Presentation forms by letter and the lam-alef ligatures, read from Unicode's own decompositions."""
    letters: dict[str, dict[str, str]] = {}
    ligatures: dict[tuple[str, str], str] = {}
    # Forms-B first: it holds the Arabic alphabet proper; Forms-A adds Persian and Urdu letters.
    for cp in [*range(0xFE70, 0xFF00), *range(0xFB50, 0xFE00)]:
        tag, _, rest = unicodedata.decomposition(chr(cp)).partition(" ")
        if tag not in ("<isolated>", "<final>", "<initial>", "<medial>"):
            continue
        parts = [chr(int(p, 16)) for p in rest.split()]
        form = tag.strip("<>")
        if len(parts) == 1:
            letters.setdefault(parts[0], {}).setdefault(form, chr(cp))
        elif len(parts) == 2 and parts[0] == _LAM and parts[1] in _ALEFS:
            ligatures.setdefault((parts[1], form), chr(cp))
    return letters, ligatures


def _joining(ch: str) -> str:
    """Joining type: D (both sides), R (to the previous letter only), C (causes joining), T (transparent), U."""
    if ch in (_TATWEEL, _ZWJ):
        return "C"
    forms = _forms()[0].get(ch)
    if forms:
        if "initial" in forms or "medial" in forms:
            return "D"
        return "R" if "final" in forms else "U"
    return "T" if unicodedata.category(ch) in ("Mn", "Me") else "U"


def shape(text: str) -> str:
    """Arabic letters replaced by the presentation form their neighbours call for (still in logical order)."""
    letters, ligatures = _forms()
    types = [_joining(c) for c in text]
    out = []
    i = 0
    while i < len(text):
        ch, kind = text[i], types[i]
        if kind not in ("D", "R"):
            out.append(ch)
            i += 1
            continue
        prev = next((types[j] for j in range(i - 1, -1, -1) if types[j] != "T"), "U")
        joins_before = prev in ("D", "C")
        j = next((j for j in range(i + 1, len(text)) if types[j] != "T"), None)
        if ch == _LAM and j == i + 1 and text[j] in _ALEFS:
            ligature = ligatures.get((text[j], "final" if joins_before else "isolated"))
            if ligature:
                out.append(ligature)
                i = j + 1
                continue
        joins_after = kind == "D" and j is not None and types[j] in ("D", "R", "C")
        form = ("medial" if joins_before and joins_after else "final" if joins_before
                else "initial" if joins_after else "isolated")
        available = letters[ch]
        out.append(available.get(form) or available.get("isolated") or ch)
        i += 1
    return "".join(out)


def _classes(text: str) -> list[str]:
    special = {_LRM: "L", _RLM: "R", _ALM: "AL"}
    return [special.get(c) or unicodedata.bidirectional(c) or "L" for c in text]


def paragraph_level(text: str) -> int:
    """0 (left to right) or 1, from the first strong character (rules P2 and P3)."""
    for kind in _classes(text):
        if kind == "L":
            return 0
        if kind in ("R", "AL"):
            return 1
    return 0


def visual(text: str, level: int) -> str:
    """One line of logical text in the order it is seen, at paragraph level `level` (0 or 1)."""
    kinds = _classes(text)
    e = "R" if level else "L"
    n = len(kinds)
    # W1–W7
    for i in range(n):
        if kinds[i] == "NSM":
            kinds[i] = kinds[i - 1] if i else e
    last_strong = e
    for i in range(n):
        if kinds[i] in ("L", "R", "AL"):
            last_strong = kinds[i]
        elif kinds[i] == "EN" and last_strong == "AL":
            kinds[i] = "AN"
    kinds = ["R" if k == "AL" else k for k in kinds]
    for i in range(1, n - 1):
        if kinds[i] == "ES" and kinds[i - 1] == kinds[i + 1] == "EN":
            kinds[i] = "EN"
        elif kinds[i] == "CS" and kinds[i - 1] == kinds[i + 1] and kinds[i - 1] in ("EN", "AN"):
            kinds[i] = kinds[i - 1]
    i = 0
    while i < n:
        if kinds[i] == "ET":
            j = i
            while j < n and kinds[j] == "ET":
                j += 1
            if (i and kinds[i - 1] == "EN") or (j < n and kinds[j] == "EN"):
                kinds[i:j] = ["EN"] * (j - i)
            i = j
        else:
            i += 1
    kinds = ["ON" if k in ("ES", "ET", "CS") else k for k in kinds]
    last_strong = e
    for i in range(n):
        if kinds[i] in ("L", "R"):
            last_strong = kinds[i]
        elif kinds[i] == "EN" and last_strong == "L":
            kinds[i] = "L"
    # N1–N2: a run of neutrals between two of the same direction takes it; otherwise the paragraph's.
    neutral = {"B", "S", "WS", "ON", "BN", "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
    i = 0
    while i < n:
        if kinds[i] not in neutral:
            i += 1
            continue
        j = i
        while j < n and kinds[j] in neutral:
            j += 1
        before = e if i == 0 else ("R" if kinds[i - 1] in ("R", "EN", "AN") else "L")
        after = e if j == n else ("R" if kinds[j] in ("R", "EN", "AN") else "L")
        kinds[i:j] = [before if before == after else e] * (j - i)
        i = j
    # I1–I2
    levels = []
    for k in kinds:
        if level % 2 == 0:
            levels.append(level + (1 if k == "R" else 2 if k in ("AN", "EN") else 0))
        else:
            levels.append(level + (1 if k in ("L", "EN", "AN") else 0))
    # L1: trailing whitespace goes back to the paragraph level.
    for i in range(n - 1, -1, -1):
        if unicodedata.bidirectional(text[i]) not in ("WS", "S", "B", "BN"):
            break
        levels[i] = level
    chars = [_MIRROR.get(c, c) if lv % 2 else c for c, lv in zip(text, levels, strict=True)]
    # L2: from the highest level down to the lowest odd one, reverse every run at that level or higher.
    order = list(range(n))
    top = max(levels, default=0)
    lowest_odd = min((lv for lv in levels if lv % 2), default=top + 1)
    for lv in range(top, lowest_odd - 1, -1):
        i = 0
        while i < n:
            if levels[order[i]] >= lv:
                j = i
                while j < n and levels[order[j]] >= lv:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return "".join(chars[k] for k in order)


def drawable(text: str, *, ltr: bool = False) -> str:
    """What WeasyPrint should draw for this SVG text (plain text in, plain text out)."""
    plain = "".join(c for c in text if c not in _CONTROLS)
    if not any(k in _RTL_CLASSES for k in _classes(plain)):
        return plain if plain != text else text
    level = 0 if ltr else paragraph_level(plain)
    # Marks drawn on their own would stand beside their letter, not on it: labels do without vowel signs.
    shaped = "".join(c for c in shape(plain) if not (unicodedata.category(c) == "Mn" and
                                                    unicodedata.bidirectional(c) == "NSM"))
    return visual(shaped, level)


def for_weasyprint(svg: str) -> str:
    """The SVG with each ``<text>``'s content made drawable; everything else unchanged."""

    def fix(m: re.Match) -> str:
        start, content, end = m.groups()
        ltr = 'direction="ltr"' in start
        return start + html.escape(drawable(html.unescape(content), ltr=ltr), quote=False) + end

    return _TEXT.sub(fix, svg)
