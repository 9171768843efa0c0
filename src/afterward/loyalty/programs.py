"""A store's program document: read (the defaults until one is put) and saved."""

from __future__ import annotations

from sqlalchemy.orm import Session

from afterward.loyalty.models import LoyaltyProgramRow
from afterward.loyalty.program import DEFAULT, Program
from afterward.storage.types import utcnow


def load(session: Session, *, store_id: int) -> Program:
    row = session.get(LoyaltyProgramRow, store_id)
    return DEFAULT if row is None else Program.model_validate(row.document)


def active(session: Session, *, store_id: int) -> Program | None:
    """The program, or None when the store has not put one (nothing is earned)."""
    row = session.get(LoyaltyProgramRow, store_id)
    return None if row is None else Program.model_validate(row.document)


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
