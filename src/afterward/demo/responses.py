"""The demo's one assumption about what messages do: a shopper who gets a message
from a journey with a holdout (they are in its treated group; the holdout group gets
none) places one more order within the next ten days with probability
RESPONSE_RATE. Nothing in the generated history before the replay knows about the
journeys; this is the only place where treated customers buy more than they would
have, and it is what the demo's lift measures back. It is an assumption of the demo,
not a measurement of anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from afterward.demo import agenda, history
from afterward.journeys.engine import TREATMENT
from afterward.journeys.models import Enrolment
from afterward.messaging.models import Message, MessageStatus

RESPONSE_RATE = 0.12
FASTEST, SLOWEST = timedelta(hours=2), timedelta(days=10)
FINAL = {MessageStatus.failed.value, MessageStatus.suppressed.value}


@dataclass
class Responses:
    trade: history.History
    plan: agenda.Agenda
    customer_ids: dict[int, int]  # index in the history's people -> id (the writer's)
    rng: np.random.Generator
    answered: int = 0
    _seen: int = 0  # the newest treated-group message looked at
    _waiting: set[int] = field(default_factory=set)  # queued, not yet sent
    _index: dict[int, int] = field(default_factory=dict)  # id -> index

    def _customer(self, customer_id: int) -> int | None:
        """The history's index of a customer the writer wrote."""
        if customer_id not in self._index and len(self._index) < len(self.customer_ids):
            self._index = {cid: index for index, cid in self.customer_ids.items()}
        return self._index.get(customer_id)

    def after_sends(self, session: Session, *, store_id: int) -> int:
        """Draw the answers to the treated-group messages sent since the last call;
        each answer is an order on the agenda. Returns how many were added."""
        added = 0
        for message_id, customer_id, sent_at, status in self._treated(session, store_id):
            self._seen = max(self._seen, message_id)
            self._waiting.discard(message_id)
            if sent_at is None:
                if status not in FINAL:
                    self._waiting.add(message_id)
                continue
            customer = self._customer(customer_id)
            if customer is not None and self.rng.random() < RESPONSE_RATE:
                added += self._order(customer, sent_at)
        self.answered += added
        return added

    def _treated(self, session: Session, store_id: int) -> list[Any]:
        newer = Message.id > self._seen
        if self._waiting:
            newer = or_(newer, Message.id.in_(sorted(self._waiting)))
        return list(session.execute(
            select(Message.id, Message.customer_id, Message.sent_at, Message.status)
            .join(Enrolment, Enrolment.id == Message.enrolment_id)
            .where(Message.store_id == store_id, Message.customer_id.is_not(None),
                   Enrolment.holdout_group == TREATMENT, newer)
            .order_by(Message.id)))

    def _order(self, customer: int, sent_at: datetime) -> int:
        placed_at = sent_at + FASTEST + (SLOWEST - FASTEST) * float(self.rng.random())
        trade = self.trade
        if placed_at >= trade.now:
            return 0
        shipments, refunds = len(trade.shipments), len(trade.refunds)
        returns = len(trade.returns)
        index = history.add_order(trade, customer=customer, placed_at=placed_at, rng=self.rng)
        agenda.add_trade(self.plan, trade, orders_from=index, shipments_from=shipments,
                         refunds_from=refunds, returns_from=returns)
        return 1
