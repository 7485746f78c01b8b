"""Translations: every catalogue complete, compiled from its current .po, and in step with the code.

When strings change: `make messages` (extracts and compiles), translate the new entries, `make messages`
again, commit the .po and .mo files together.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from gettext import c2py
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_info

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tamasuk"
LOCALE = PACKAGE / "locale"
LANGUAGES = ["ar", "fr", "sw"]
# The same extraction as `make messages` (see the Makefile).
MAKEMESSAGES_ARGS = ["--no-obsolete"]
GETTEXT_TOOLS = ["xgettext", "msgmerge", "msguniq", "msgattrib"]

# Python named placeholders: %(name)s, %(n)d, %(value).1f …
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # singular entries use key 0
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


def parse_po(path: Path) -> tuple[Entry, list[Entry]]:
    """The header and the entries of a .po file (obsolete `#~` entries are ignored)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None
    flags: set[str] = set()

    def finish() -> None:
        nonlocal entry, target
        if entry is not None:
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#,"):
            finish()
            flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if entry is not None and target is not None:
                finish()
            continue
        if line.startswith('"'):
            assert entry is not None and target is not None, f"{path}:{number}: continuation outside an entry"
            _append(entry, target, ast.literal_eval(line))
            continue
        keyword, _, value = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and entry is not None and target is not None and target[0] == "msgstr":
            finish()
        if entry is None:
            entry, flags = Entry(flags=flags, line=number), set()
        if keyword.startswith("msgstr["):
            target = ("msgstr", int(keyword[7:-1]))
        elif keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
            target = (keyword, 0 if keyword == "msgstr" else None)
        else:
            raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
        _set(entry, target, ast.literal_eval(value))
    finish()
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None)
    return header, [e for e in entries if e is not header]


def _set(entry: Entry, target: tuple[str, int | None], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] = text
    else:
        setattr(entry, name, text)


def _append(entry: Entry, target: tuple[str, int | None], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] += text
    else:
        setattr(entry, name, getattr(entry, name) + text)


def header_fields(header: Entry) -> dict[str, str]:
    fields = {}
    for line in header.msgstr[0].splitlines():
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def plural_rule(header: Entry) -> tuple[int, object]:
    forms = header_fields(header)["Plural-Forms"]
    nplurals = int(re.search(r"nplurals\s*=\s*(\d+)", forms).group(1))
    expression = re.search(r"plural\s*=\s*(.+?);?\s*$", forms).group(1)
    return nplurals, c2py(expression)


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "django.po"


def label(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid!r}"


# ---- each catalogue is complete and well-formed ----

@pytest.mark.parametrize("lang", LANGUAGES)
def test_header(lang):
    header, entries = parse_po(po_path(lang))
    assert entries, f"{po_path(lang)} has no entries"
    # A fuzzy header is skipped by msgfmt, and with it the plural rule.
    assert "fuzzy" not in header.flags, f"{lang}: the header is marked fuzzy"
    fields = header_fields(header)
    assert fields.get("Language") == lang
    assert "charset=UTF-8" in fields.get("Content-Type", "")
    nplurals, _ = plural_rule(header)
    assert nplurals == {"ar": 6, "fr": 2, "sw": 2}[lang]
    assert (LOCALE / lang / "LC_MESSAGES" / "django.mo").is_file(), f"{lang}: django.mo is not compiled"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_entry_is_empty_or_fuzzy(lang):
    header, entries = parse_po(po_path(lang))
    nplurals, _ = plural_rule(header)
    fuzzy = [label(e) for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"{lang}: fuzzy entries (translate them and remove the flag): {fuzzy}"
    empty = []
    for e in entries:
        expected = range(nplurals) if e.msgid_plural is not None else [0]
        if sorted(e.msgstr) != list(expected) or not all(e.msgstr[i].strip() for i in expected):
            empty.append(label(e))
    assert not empty, f"{lang}: untranslated or incomplete entries: {empty}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_are_kept(lang):
    _, entries = parse_po(po_path(lang))
    problems = []
    for e in entries:
        wanted = set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural or ""))
        for index, text in e.msgstr.items():
            found = set(PLACEHOLDER.findall(text))
            if wanted - found:
                problems.append(f"{label(e)} msgstr[{index}] lacks {sorted(wanted - found)}")
            if found - wanted:
                problems.append(f"{label(e)} msgstr[{index}] has unknown {sorted(found - wanted)}")
            if "python-format" in e.flags:
                try:
                    text % {name: 1 for name in wanted}
                except (TypeError, ValueError, KeyError) as exc:
                    problems.append(f"{label(e)} msgstr[{index}] does not format: {exc}")
    assert not problems, f"{lang}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_po(lang):
    """What Django serves is exactly the .po: the committed .mo is compiled from the current .po."""
    header, entries = parse_po(po_path(lang))
    nplurals, plural = plural_rule(header)
    counts = sorted({*range(0, 120), 1000, 1001, 1002, 1003, 1011, 1100})
    stale = []
    with translation.override(lang):
        for e in entries:
            if e.msgid_plural is None:
                got = (translation.pgettext(e.msgctxt, e.msgid) if e.msgctxt is not None
                       else translation.gettext(e.msgid))
                if got != e.msgstr[0]:
                    stale.append(f"{label(e)}: served {got!r}, .po says {e.msgstr[0]!r}")
                continue
            for n in counts:
                expected = e.msgstr[plural(n)]
                got = (translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n) if e.msgctxt is not None
                       else translation.ngettext(e.msgid, e.msgid_plural, n))
                if got != expected:
                    stale.append(f"{label(e)} n={n}: served {got!r}, .po says {expected!r}")
                    break
    assert not stale, (f"{lang}: the compiled catalogue differs from the .po; run `make messages`:\n"
                       + "\n".join(stale))
    assert {plural(n) for n in counts} == set(range(nplurals)), "the counts tried miss a plural form"


# ---- the catalogues hold exactly the strings the code marks today ----

def test_catalogues_match_the_code(tmp_path):
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"GNU gettext is not installed ({', '.join(missing)} missing): apt-get install gettext")
    copy = tmp_path / "tamasuk"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    # No settings: makemessages then writes only to ./locale of the copy, never to LOCALE_PATHS.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "ar", *MAKEMESSAGES_ARGS],
                            cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    _, extracted = parse_po(copy / "locale" / "ar" / "LC_MESSAGES" / "django.po")
    wanted = {e.key for e in extracted}
    for lang in LANGUAGES:
        _, entries = parse_po(po_path(lang))
        have = {e.key for e in entries}
        assert not wanted - have, (f"{lang}: strings in the code are missing from the catalogue; run "
                                   f"`make messages` and translate them: {sorted(k[1] for k in wanted - have)}")
        assert not have - wanted, (f"{lang}: the catalogue holds strings the code no longer has; run "
                                   f"`make messages`: {sorted(k[1] for k in have - wanted)}")


# ---- right-to-left ----

def test_arabic_is_bidi():
    assert get_language_info("ar")["bidi"] is True
    for lang in ("en", "fr", "sw"):
        assert get_language_info(lang)["bidi"] is False


@pytest.mark.parametrize(("lang", "direction", "sign_in"), [
    ("ar", "rtl", "تسجيل الدخول"),
    ("fr", "ltr", "Se connecter"),
    ("sw", "ltr", "Ingia"),
])
def test_login_page_in_language(db, client, lang, direction, sign_in):
    response = client.get(reverse("web:login"), HTTP_ACCEPT_LANGUAGE=lang, secure=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert sign_in in html
    with translation.override(lang):
        assert translation.gettext("Sign in") == sign_in
