"""Path and query parameters as the schema states them: a whole number written in
digits ("5", or "5.0": the same JSON integer; not "5.5", "+5" or "5e0"), a flag as
true or false, each parameter once. Pydantic's lax reading of text would take those
others too."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path, Query, Request
from pydantic import BeforeValidator

from afterward.api.errors import ApiError
from afterward.commerce.fields import ID_MAX

_DIGITS = re.compile(r"[0-9]+(?:\.0+)?")


def _digits(value: object) -> object:
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError("expected a whole number written in digits")
    return value


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: object) -> object:
    """A day as the schema says it (`format: date`, YYYY-MM-DD): not a Unix time, which
    pydantic's lax mode would take ("0" is 1970-01-01)."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


def _true_or_false(value: object) -> object:
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("expected true or false")
    return value


WHOLE = BeforeValidator(_digits)
IdPath = Annotated[int, Path(ge=1, le=ID_MAX), WHOLE]
IdQuery = Annotated[int | None, Query(ge=1, le=ID_MAX), WHOLE]
Limit = Annotated[int, Query(ge=1, le=200), WHOLE]
LongLimit = Annotated[int, Query(ge=1, le=500), WHOLE]
FlagQuery = Annotated[bool, Query(), BeforeValidator(_true_or_false)]
ISO_DAY = BeforeValidator(_iso_day)


async def each_once(request: Request) -> None:
    """No parameter of this API is a list: one given twice is refused, not half read."""
    names = [name for name, _ in request.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ApiError(422, "invalid", f"{repeated[0]} is given more than once", repeated[0])
