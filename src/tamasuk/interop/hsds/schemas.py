"""The official HSDS 3.0 schemas, and validating one object against them strictly.

No Django.

Schemas
    :func:`load_schemas` reads ``organization.json``, ``service.json`` and ``service_at_location.json``
    from a folder (HSDS 3.0 ``schema/compiled``, CC BY-SA 4.0): the one given, else the folder named by the
    environment variable ``TAMASUK_HSDS_SCHEMAS``, else ``shared/reference/hsds-3.0/schema-compiled``
    beside the project. Loaded schemas are cached.

Strict checks
    Every item is validated with JSON Schema Draft 2020-12 (:func:`strict_validator_class`) and nothing
    is fetched (:func:`empty_registry`). On top of the schema, ``format`` and date types are checked
    (:func:`format_checker`) and coordinates and ages must lie in :data:`RANGES`; :func:`schema_errors`
    turns the validator's errors into errors (:class:`~.records.HsdsError`) worded for people, each with a JSON
    pointer (:func:`pointer`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .records import (
    KINDS,
    UUID_RE,
    HsdsError,
)

__all__ = [
    "RANGES",
    "RANGE_KEYWORD",
    "SCHEMA_ENV",
    "HsdsSchemaNotFound",
    "HsdsSchemas",
    "article",
    "empty_registry",
    "format_checker",
    "is_number",
    "load_schemas",
    "pointer",
    "schema_errors",
    "short",
    "strict_validator_class",
]

SCHEMA_ENV = "TAMASUK_HSDS_SCHEMAS"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})$")
_TIME_RE = re.compile(r"^\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
RANGES = {
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "minimum_age": (0.0, None),
    "maximum_age": (0.0, None),
}
RANGE_KEYWORD = "x-tamasuk-range"


class HsdsSchemaNotFound(FileNotFoundError):
    """The official schemas are not where :func:`load_schemas` looked."""



# --------------------------------------------------------------------------------------------------
# Schemas and validation


@dataclass(frozen=True)
class HsdsSchemas:
    """The official schemas (``official``) and strict validators built from them, by kind."""

    directory: Path
    official: dict[str, dict[str, Any]]
    validators: dict[str, Any]


def _default_schema_dir() -> Path:
    env = os.environ.get(SCHEMA_ENV)
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "reference" / "hsds-3.0" / "schema-compiled"
        if candidate.is_dir():
            return candidate
    raise HsdsSchemaNotFound(
        "the HSDS 3.0 schemas were not found: set "
        f"{SCHEMA_ENV} to a folder holding organization.json, service.json and service_at_location.json "
        "(openreferral/specification, branch 3.0, schema/compiled)"
    )


def load_schemas(directory: str | Path | None = None) -> HsdsSchemas:
    """The three compiled schemas from ``directory`` (see the module documentation), cached."""
    path = Path(directory) if directory is not None else _default_schema_dir()
    return _load_schemas(path.resolve())


@lru_cache(maxsize=4)
def _load_schemas(path: Path) -> HsdsSchemas:
    official: dict[str, dict[str, Any]] = {}
    validators: dict[str, Any] = {}
    cls = strict_validator_class()
    for kind in KINDS:
        file = path / f"{kind}.json"
        if not file.is_file():
            raise HsdsSchemaNotFound(
                f"{file} is missing: the folder must hold {', '.join(k + '.json' for k in KINDS)}"
            )
        text = file.read_text(encoding="utf-8")
        official[kind] = json.loads(text)
        strict = json.loads(text)
        _add_ranges(strict)
        validators[kind] = cls(strict, registry=empty_registry(), format_checker=format_checker())
    # A location given on its own (beside the services that link to it) is checked by the organization
    # schema's own definition of a location.
    location = validators["organization"].schema.get("properties", {}).get("locations", {}).get("items")
    if isinstance(location, dict):
        validators["location"] = cls(location, registry=empty_registry(), format_checker=format_checker())
    return HsdsSchemas(path, official, validators)


def empty_registry() -> Any:
    from referencing import Registry

    return Registry()  # no retrieval: a $ref to anything outside the schema fails instead of fetching


def _add_ranges(schema: Any) -> None:
    """Mark latitude, longitude and ages with our range keyword, everywhere they occur."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                for name, sub in props.items():
                    if name in RANGES and isinstance(sub, dict):
                        sub[RANGE_KEYWORD] = list(RANGES[name])
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))


def is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _range_keyword(validator: Any, bounds: Any, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not is_number(instance):
        return
    lo, hi = bounds
    name = schema.get("name", "value")
    if name in ("latitude", "longitude"):
        if not (lo <= instance <= hi):
            yield ValidationError(
                f"{name} {instance!r} is out of range: a {name} in decimal degrees (WGS84) lies between "
                f"{lo:g} and {hi:g}; correct the coordinates or leave both latitude and longitude out"
            )
    elif instance < lo or (hi is not None and instance > hi):
        yield ValidationError(f"{name} {instance!r} cannot be negative")


def _datapackage_type(validator: Any, kind: Any, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not isinstance(instance, str):
        return
    if kind == "date":
        if not _is_date(instance):
            yield ValidationError(f"{instance!r} is not a date: write it as YYYY-MM-DD (such as 2024-03-15)")
    elif kind == "datetime":
        if schema.get("format") != "date-time" and not _is_datetime(instance):  # else the format says it
            yield ValidationError(
                f"{instance!r} is not a date and time with its time zone: write it as 2024-03-15T10:30:45Z "
                "or 2024-03-15T13:30:45+03:00"
            )
    elif kind == "time":
        if not _TIME_RE.match(instance) or not _valid_clock(instance):
            yield ValidationError(
                f"{instance!r} is not a time of day: write it as HH:MM (such as 09:30 or 09:30Z)"
            )


def _is_date(s: str) -> bool:
    if not _DATE_RE.match(s):
        return False
    try:
        dt.date.fromisoformat(s)
    except ValueError:
        return False
    return True


def _is_datetime(s: str) -> bool:
    if not _DATETIME_RE.match(s):
        return False
    try:
        dt.datetime.fromisoformat(s[:-1] + "+00:00" if s[-1] in "Zz" else s)
    except ValueError:
        return False
    return True


def _valid_clock(s: str) -> bool:
    hh, mm = int(s[0:2]), int(s[3:5])
    ss = int(s[6:8]) if len(s) >= 8 and s[5] == ":" else 0
    return hh <= 23 and mm <= 59 and ss <= 60


@lru_cache(maxsize=1)
def strict_validator_class() -> Any:
    from jsonschema import Draft202012Validator, validators

    return validators.extend(
        Draft202012Validator,
        {RANGE_KEYWORD: _range_keyword, "datapackage_type": _datapackage_type},
    )


def format_checker() -> Any:
    """Our own checks for the formats the HSDS schemas use, independent of optional extras."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())

    @checker.checks("uuid")
    def _uuid(x: object) -> bool:
        return not isinstance(x, str) or bool(UUID_RE.match(x))

    @checker.checks("email")
    def _email(x: object) -> bool:
        return not isinstance(x, str) or bool(_EMAIL_RE.match(x))

    @checker.checks("date-time")
    def _dt(x: object) -> bool:
        return not isinstance(x, str) or _is_datetime(x)

    @checker.checks("uri")
    def _uri(x: object) -> bool:
        if not isinstance(x, str):
            return True
        if any(c.isspace() for c in x):
            return False
        try:
            parts = urlsplit(x)
        except ValueError:
            return False
        if not parts.scheme or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme):
            return False
        return (
            bool(parts.netloc)
            if parts.scheme.lower() in ("http", "https")
            else bool(parts.path or parts.netloc)
        )

    return checker


_FORMAT_HELP = {
    "uuid": "is not a UUID: an HSDS id is written as 8-4-4-4-12 hexadecimal digits, such as "
    "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
    "email": "is not an email address (name@example.org)",
    "date-time": "is not a date and time with its time zone: write it as 2024-03-15T10:30:45Z",
    "uri": "is not an absolute web address: write it with its scheme, such as https://example.org",
}
_TYPE_NAMES = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "array": "a list",
    "object": "an object",
    "boolean": "true or false",
}


def pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def schema_errors(validator: Any, item: Any, base: tuple[Any, ...]) -> list[HsdsError]:
    out = []
    for e in validator.iter_errors(item):
        parts = (*base, *e.absolute_path)
        if e.validator == "required":
            m = re.match(r"^'(.*)' is a required property$", e.message)
            name = m.group(1) if m else "?"
            kind = e.schema.get("name", "") if isinstance(e.schema, dict) else ""
            need = ", ".join(e.validator_value)
            out.append(
                HsdsError(
                    pointer((*parts, name)),
                    f"{name!r} is required but missing ({article(kind or 'record')} {kind or 'record'} needs {need})",
                )
            )
        elif e.validator == "type":
            want = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
            out.append(
                HsdsError(
                    pointer(parts),
                    f"{short(e.instance)} should be {' or '.join(_TYPE_NAMES.get(w, w) for w in want)}",
                )
            )
        elif e.validator == "enum":
            allowed = ", ".join(repr(v) for v in e.validator_value)
            out.append(
                HsdsError(pointer(parts), f"{short(e.instance)} is not allowed here: use one of {allowed}")
            )
        elif e.validator == "format":
            help_ = _FORMAT_HELP.get(e.validator_value, f"is not a valid {e.validator_value}")
            out.append(HsdsError(pointer(parts), f"{short(e.instance)} {help_}"))
        else:
            out.append(HsdsError(pointer(parts), e.message))
    return out


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
