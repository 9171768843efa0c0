"""Bonus points for what a customer does beyond buying, for other modules to call
(the reviews module, when it comes): `award(session, store_id=, customer_id=,
kind='review' | 'review_photo', source_id=review id)` gives the program's
`bonuses.review` or `bonuses.review_photo`, spendable at once, once per review and
kind (key `<kind>:<review id>`), and never looks at a rating: a one-star review
earns what a five-star one does. A photo's bonus comes on top of the review's (call
both for a review with a photo). No program, or a bonus of 0: nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from afterward.commerce.service import customer_exists
from afterward.loyalty import ledger, programs
from afterward.loyalty.errors import LoyaltyError
from afterward.loyalty.models import LoyaltyEntry
from afterward.storage.types import utcnow

KINDS = ("review", "review_photo")
REASONS = {"review": "a review", "review_photo": "a review with a photo"}


def award(session: Session, *, store_id: int, customer_id: int, kind: str, source_id: int,
          now: datetime | None = None) -> LoyaltyEntry | None:
    """The entry made, or None when nothing is due (no program, a bonus of 0, or
    given for this review before)."""
    if kind not in KINDS:
        raise LoyaltyError("invalid", f"kind is one of {', '.join(KINDS)}", "kind")
    if not customer_exists(session, store_id=store_id, customer_id=customer_id):
        raise LoyaltyError("not_found", "no such customer in this store", "customer_id",
                           status=404)
    program = programs.active(session, store_id=store_id)
    points = getattr(program.bonuses, kind) if program is not None else 0
    if not points:
        return None
    held = ledger.account(session, store_id=store_id, customer_id=customer_id)
    entry = ledger.credit(session, held, kind="earn", points=points, lifetime=points,
                          key=f"{kind}:{source_id}", source="review", source_id=source_id,
                          reason=REASONS[kind], now=now or utcnow())
    if entry is not None:
        ledger.earned(session, held, entry)
    return entry
