"""A store's program document: read (the defaults until one is put) and saved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from afterward.loyalty.models import LoyaltyProgramRow
from afterward.loyalty.program import DEFAULT, Program
from afterward.storage.db import remembers_contents
from afterward.storage.lookups import Lookup
from afterward.storage.types import utcnow

_DOCUMENT = Lookup(select(LoyaltyProgramRow.document)
                   .where(LoyaltyProgramRow.store_id == bindparam("store_id")))
# The last document validated for each store and its Program: a redemption reads the
# program, and validating the document again costs more than reading it. The
# document read is compared, so a program put by another process is never missed.
_VALIDATED: dict[int, tuple[dict[str, Any], Program]] = {}
remembers_contents(_VALIDATED.clear)


def load(session: Session, *, store_id: int) -> Program:
    return active(session, store_id=store_id) or DEFAULT


def active(session: Session, *, store_id: int) -> Program | None:
    """The program, or None when the store has not put one (nothing is earned). The
    same object for the same document: callers never change it."""
    found = _DOCUMENT(session, {"store_id": store_id})
    if not found:
        return None
    document = found[0].document
    known = _VALIDATED.get(store_id)
    if known is not None and known[0] == document:
        return known[1]
    program = Program.model_validate(document)
    _VALIDATED[store_id] = (document, program)
    return program


def save(session: Session, *, store_id: int, program: Program) -> Program:
    """Replace the document. The first one starts the store's event cursor
    (loyalty/consumer.py): orders from then on earn, history before it does not."""
    from afterward.loyalty import consumer

    document = program.model_dump(mode="json")
    row = session.get(LoyaltyProgramRow, store_id, with_for_update=True)
    if row is None:
        session.add(LoyaltyProgramRow(store_id=store_id, document=document,
                                      updated_at=utcnow()))
        consumer.cursor(session, store_id)
    else:
        row.document, row.updated_at = document, utcnow()
    session.flush()
    return program
