"""What every router of the API shares (the error bodies it documents, the strict parameter types); here, below
the apps whose routers use it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from ninja import Schema
from pydantic import BeforeValidator, Field, WithJsonSchema


class Error(Schema):
    detail: str


class Invalid(Schema):
    """A parameter that is not of its type or out of its range: one entry per parameter, with where it is
    (`loc`, e.g. ["query", "offset"]) and why (`msg`)."""

    detail: list[dict]


# Every endpoint may answer these; one with typed parameters adds 422 (INVALID).
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error}
INVALID = {422: Invalid}

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value):
    # pydantic's lax mode reads a number as seconds since 1970 ("until=0" → 1970-01-01): only YYYY-MM-DD is a date.
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]

# Years the calendar (and the database's date type) can hold.
Year = Annotated[int, Field(ge=1, le=9998)]
