"""Bonus points for what a customer does beyond buying: `award(session, store_id=,
customer_id=, kind=, source_id=)` gives the program's bonus of that kind, spendable at
once, once per kind and source (key `<kind>:<source id>`).

- `review`, `review_photo` (the reviews module calls it; source: the review): once per
  review and kind, never looking at a rating (a one-star review earns what a five-star
  one does); a photo's bonus comes on top of the review's (call both).
- `signup` (the loyalty consumer, on `customer.account_opened`; source: the
  customer): once per customer, for opening an account on the store.

No program, or a bonus of 0: nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from afterward.commerce.service import customer_exists
from afterward.loyalty import ledger, programs
from afterward.loyalty.errors import LoyaltyError
from afterward.loyalty.models import LoyaltyEntry
from afterward.storage.types import utcnow

# kind: (the entry's source, its reason)
KINDS = {"review": ("review", "a review"), "review_photo": ("review", "a review with a photo"),
         "signup": ("signup", "creating an account")}


def award(session: Session, *, store_id: int, customer_id: int, kind: str, source_id: int,
          now: datetime | None = None) -> LoyaltyEntry | None:
    """The entry made, or None when nothing is due (no program, a bonus of 0, or
    given for this source before)."""
    if kind not in KINDS:
        raise LoyaltyError("invalid", f"kind is one of {', '.join(KINDS)}", "kind")
    if not customer_exists(session, store_id=store_id, customer_id=customer_id):
        raise LoyaltyError("not_found", "no such customer in this store", "customer_id",
                           status=404)
    program = programs.active(session, store_id=store_id)
    points = getattr(program.bonuses, kind) if program is not None else 0
    if not points:
        return None
    source, reason = KINDS[kind]
    held = ledger.account(session, store_id=store_id, customer_id=customer_id)
    entry = ledger.credit(session, held, kind="earn", points=points, lifetime=points,
                          key=f"{kind}:{source_id}", source=source, source_id=source_id,
                          reason=reason, now=now or utcnow())
    if entry is not None:
        ledger.earned(session, held, entry)
    return entry
