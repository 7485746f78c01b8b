"""Likely personal data in free text before it leaves the city team. No Django.

:func:`find_personal_data` flags what looks like a phone number, an email address or the name of a known
person (from a list the caller gives: the city's members, its organisations' focal points) and returns one
:class:`Finding` per match, with its kind, its span in the text as given and the text matched. It is a check
that a person then reads, not a guarantee: it cannot know every resident's name, and a flagged word may be
harmless (the page lets the writer confirm it).

Phone numbers
    As they are written in Kenya, Lebanon and Malawi, with spaces, dashes, dots or brackets between groups,
    in Western or Arabic-Indic digits (٠-٩, ۰-۹):

    - international: ``+254 722 123 456``, ``00961 3 123 456``, ``+265 (0) 888 123 456`` — a ``+`` or ``00``
      and 8 to 15 digits;
    - with the trunk 0: ``0722 123 456``, ``0111-234567`` (Kenya, 10 digits), ``03 123 456``, ``07 723 456``
      (Lebanon, 8), ``0888 123 456``, ``01 823 456`` (Malawi, 10 or 8) — 8 to 10 digits after a ``0`` and a
      non-zero digit;
    - without it: Lebanese mobiles ``70 123 456``, ``71-123456``, ``3 123 456``; Kenyan and Malawian
      mobiles ``722 123 456``, ``888 123 456`` — only in these groupings.

    Not flagged: years and spans of years (``2024-2028``), quarters (``2025-Q3``), dates (``14.03.2025``,
    ``01-02-2025``), times (``0800-1000``), amounts (``2,500 KES``, ``KES 0722 000`` next to a currency,
    numbers with thousands separators, groups of ``000``), counts (``30 people``), decimals.

Names
    Matched on word boundaries, ignoring case, Arabic diacritics and tatweel, the forms of alef, alef
    maqsura / ya and ta marbuta / ha, with or without Arabic proclitics before it (و ف, then ب ل ك: ولأحمد).
    Names shorter than three characters are ignored (they match too much).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

PHONE, EMAIL, NAME = "phone", "email", "name"


@dataclass(frozen=True)
class Finding:
    kind: str  # "phone", "email" or "name"
    start: int  # offsets in the text as given
    end: int
    text: str  # text[start:end]

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


# ---- normalisation that remembers where each character came from ----

_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}
_LETTERS = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"}
_SPACES = {"\u00a0", "\u202f", "\u2007", "\u2009"}


def _dropped(ch: str) -> bool:
    o = ord(ch)
    return (0x064B <= o <= 0x065F or o in (0x0670, 0x0640)  # Arabic diacritics and tatweel
            or o in (0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0xFEFF)  # zero-width and direction marks
            or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069)


def _normalise(text: str) -> tuple[str, list[int]]:
    """The text folded for matching, and for each of its characters the index it came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if _dropped(ch):
            continue
        if ord(ch) in _DIGITS:
            folded = _DIGITS[ord(ch)]
        elif ch in _LETTERS:
            folded = _LETTERS[ch]
        elif ch in _SPACES:
            folded = " "
        else:
            folded = ch.casefold()
        out.append(folded)
        where.extend([i] * len(folded))
    return "".join(out), where


def fold(text: str) -> str:
    """What names and text are compared as (case, Arabic letter forms and marks folded)."""
    return _normalise(text)[0]


# ---- phone numbers ----

# A run of digit groups with one separator between groups; the classifier decides which part is a phone.
_RUN = re.compile(r"""
    (?<![\w+])(?<![0-9][.,])                 # not inside a word or a longer number
    (?:\+\ ?)?\(?[0-9]+
    (?:(?:[ .\-]?\(\ ?|\ ?\)[ .\-]?|[ .\-])[0-9]+)*
    (?![0-9]|[.,][0-9])
""", re.VERBOSE)
_GROUP = re.compile(r"[0-9]+")
_CURRENCY_BEFORE = re.compile(r"(?:\b(?:kes|kshs?|sh|mwk|mk|lbp|usd|eur|ll|us)|\$|€|£|ل\.ل)\.?\s*$")
_CURRENCY_AFTER = re.compile(r"^\s*(?:(?:kes|kshs?|mwk|mk|lbp|usd|eur|ll|ل\.ل|ليره|ليرات|دولار|شلن|كواشا)(?!\w)"
                             r"|%|\$)")
_NO_TRUNK = {8: {(8,), (2, 6), (2, 3, 3)}, 9: {(9,), (3, 6), (3, 3, 3)}, 7: {(1, 3, 3)}}


def _looks_like_date_or_time(groups: list[str]) -> bool:
    lens = tuple(len(g) for g in groups)
    if lens in ((2, 2, 4), (1, 2, 4), (2, 1, 4), (1, 1, 4)):
        a, b, y = (int(g) for g in groups)
        return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12) and 1900 <= y <= 2100
    if lens == (4, 2, 2):
        return 1900 <= int(groups[0]) <= 2100 and 1 <= int(groups[1]) <= 12
    if lens == (4, 4):  # 0800-1000: a meeting's hours
        return all(int(g[:2]) <= 23 and int(g[2:]) <= 59 for g in groups)
    return False


def _is_phone(groups: list[str], plus: bool) -> bool:
    digits = "".join(groups)
    n = len(digits)
    if n > 15 or _looks_like_date_or_time(groups):
        return False
    if plus or digits.startswith("00"):
        rest = digits if plus else digits[2:]
        return 8 <= len(rest) <= 15 and rest[0] != "0"
    if len(groups) > 1 and len(groups[-1]) >= 3 and set(groups[-1]) == {"0"}:
        return False  # 70 000 000: an amount
    if digits[0] == "0":
        return len(groups[0]) >= 2 and digits[1] != "0" and 8 <= n <= 10
    lens = tuple(len(g) for g in groups)
    if lens not in _NO_TRUNK.get(n, ()):
        return False
    if n == 8:
        return digits[:2] in ("70", "71", "76", "78", "79", "81")
    if n == 7:
        return digits[0] == "3"
    return re.match(r"7|1[01]|8[89]|9[89]", digits) is not None  # n == 9


def _phones(folded: str) -> list[tuple[int, int]]:
    spans = []
    for run in _RUN.finditer(folded):
        plus = run.group().startswith("+")
        groups = [(g.start() + run.start(), g.end() + run.start(), g.group()) for g in _GROUP.finditer(run.group())]
        i = 0
        while i < len(groups):
            for j in range(len(groups), i, -1):
                part = groups[i:j]
                if _is_phone([g[2] for g in part], plus and i == 0):
                    start = run.start() if plus and i == 0 else part[0][0]
                    end = part[-1][1]
                    if not (_CURRENCY_BEFORE.search(folded[max(0, start - 8):start])
                            or _CURRENCY_AFTER.match(folded[end:end + 16])):
                        spans.append((start, end))
                    i = j
                    break
            else:
                i += 1
    return spans


# ---- email addresses and names ----

_EMAIL = re.compile(r"(?<![\w.+\-])[\w+\-](?:[\w.+\-]*[\w+\-])?@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}(?!\w)")


@lru_cache(maxsize=64)
def _name_pattern(names: tuple[str, ...]) -> re.Pattern | None:
    folded = {" ".join(fold(n).split()) for n in names}
    folded = sorted((n for n in folded if len(n) >= 3), key=lambda n: (-len(n), n))
    if not folded:
        return None
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in folded)
    # At a word's start, or after one or two Arabic proclitics: و ف (and, so) then ب ل ك (with, for, like).
    start = r"(?:(?<!\w)|(?<=(?<!\w)[وفبلك])|(?<=(?<!\w)[وف][بلك]))"
    return re.compile(start + "(?:" + alternatives + r")(?!\w)")


def find_personal_data(text: str, *, names=()) -> list[Finding]:
    """Phone numbers, email addresses and the given names found in ``text``, in the order they appear."""
    if not text:
        return []
    folded, where = _normalise(text)
    taken: list[tuple[int, int, str]] = []

    def add(start: int, end: int, kind: str) -> None:
        if end > start and not any(s < end and start < e for s, e, _ in taken):
            taken.append((start, end, kind))

    for m in _EMAIL.finditer(folded):
        add(m.start(), m.end(), EMAIL)
    for start, end in _phones(folded):
        add(start, end, PHONE)
    pattern = _name_pattern(tuple(sorted({n for n in names if n and n.strip()})))
    if pattern is not None:
        for m in pattern.finditer(folded):
            add(m.start(), m.end(), NAME)
    findings = []
    for start, end, kind in sorted(taken):
        a, b = where[start], where[end - 1] + 1
        findings.append(Finding(kind, a, b, text[a:b]))
    return findings
