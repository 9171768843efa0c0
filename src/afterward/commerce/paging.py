"""Cursor pagination: newest first, the cursor is an opaque encoding of the last id."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from afterward.commerce.errors import CommerceError


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        kind, _, value = text.partition(":")
        number = int(value)
        if kind != "id" or not 0 < number <= 2**62:
            raise ValueError
        return number
    except (ValueError, UnicodeDecodeError) as exc:
        raise CommerceError("invalid_cursor", "the cursor is not one this API gave out",
                            "cursor", 400) from exc


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


