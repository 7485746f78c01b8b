"""A file the browser saves instead of showing: one way to build the response, so every download names its file
the same way, including names a plain ASCII header cannot carry (an Arabic plan title, an accented ward)."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from django.http import HttpResponse


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in text if c.isprintable())


def _ascii_fallback(file_name: str) -> str:
    """The name as near as ASCII gets (accents dropped, other letters left out), for browsers that do not read
    ``filename*``; never empty, and the extension kept."""
    stem, dot, ext = file_name.rpartition(".")
    if not dot:
        stem, ext = file_name, ""
    stem = "-".join(_fold(stem).split()).strip("-_.") or "download"
    ext = _fold(ext)
    return f"{stem}.{ext}" if ext else stem


def content_disposition(file_name: str) -> str:
    """``attachment; filename="…"``; a name that is not ASCII also gets ``filename*=UTF-8''…`` (RFC 6266 and
    RFC 5987) beside an ASCII fallback, so every browser saves it under its real name or the nearest it can."""
    try:
        file_name.encode("ascii")
    except UnicodeEncodeError:
        return (f"attachment; filename={_quoted(_ascii_fallback(file_name))}; "
                f"filename*=UTF-8''{quote(file_name, safe='')}")
    return f"attachment; filename={_quoted(file_name)}"


def attachment(content, file_name: str, content_type: str, *, private: bool = False) -> HttpResponse:
    """``content`` (text or bytes) as a download named ``file_name``. ``private``: the file holds what only this
    reader may see, so neither the browser nor a proxy keeps a copy (Cache-Control: private, no-store)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(file_name)
    if private:
        response["Cache-Control"] = "private, no-store"
    return response
