"""Cursor pagination: newest first, the cursor is an opaque encoding of the last id."""

from __future__ import annotations

import base64
import re
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from afterward.commerce.errors import CommerceError

# A cursor is base64url("id:<last id>") without padding. As a regex (for the schema,
# which then says exactly which cursors are accepted): "id:" is "aWQ6"; each three
# ASCII digits are four characters from the sets below, a last one or two digits the
# first two or three of them; the first digit is never 0, and ids have 1-18 digits.
# An empty cursor is the first page.
_PAIR = "(?:M[DTjz]|N[DTjz]|O[DT])"  # a digit and the high half of the next
_PAIR_LEAD = "(?:M[Tjz]|N[DTjz]|O[DT])"  # the same, the digit not 0
_THIRD = "[AEIMQUYcgk]"  # the low half of the second digit
_FOURTH = "[w-z0-5]"  # the third digit
_ONE = "(?:M[AQgw]|N[AQgw]|O[AQ])"  # a lone last digit
_ONE_LEAD = "(?:M[Qgw]|N[AQgw]|O[AQ])"  # the same, not 0
_THREE = f"(?:{_PAIR}{_THIRD}{_FOURTH})"  # three digits
_ID_DIGITS = (f"(?:{_ONE_LEAD}|{_PAIR_LEAD}{_THIRD}|{_PAIR_LEAD}{_THIRD}{_FOURTH}"
              f"(?:{_THREE}{{0,4}}(?:{_ONE}|{_PAIR}{_THIRD})?|{_THREE}{{5}}))")
CURSOR_PATTERN = f"^(?:aWQ6{_ID_DIGITS})?$"  # empty: the first page
_CURSOR = re.compile(CURSOR_PATTERN)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not _CURSOR.fullmatch(cursor):
        raise CommerceError("invalid_cursor", "the cursor is not one this API gave out",
                            "cursor", 400)
    padded = cursor + "=" * (-len(cursor) % 4)
    return int(base64.urlsafe_b64decode(padded.encode())[len("id:"):])


def page(session: Session, stmt: Select[Any], id_col: Any, *, cursor: str | None,
            limit: int) -> tuple[list[Any], str | None]:
    """Newest first; the cursor is the last id seen."""
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(id_col < after)
    rows = list(session.scalars(stmt.order_by(id_col.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].id) if more and rows else None)


