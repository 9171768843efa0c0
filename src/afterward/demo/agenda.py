"""The generated history as a time line: each thing that happens (a customer signs
up, an order is placed or cancelled, a parcel is labelled or scanned, a refund is
paid) at the moment it happens, so the replay can write the history as time passes.
Pure: entries point into the History by index."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from afterward.demo.history import History


class Kind(StrEnum):
    customer = "customer"  # index: a customer (people row)
    order = "order"  # index: an order
    cancel = "cancel"  # index: an order
    ship = "ship"  # index: a shipment; its label scan comes with it
    scan = "scan"  # index: a shipment, scan: which of its scans (1 and on)
    refund = "refund"  # index: a refund
    return_request = "return_request"  # index: a return (demo/returns.py)
    return_review = "return_review"  # index: a return; a person looks at it if held
    return_receive = "return_receive"  # index: a return; its parcel is inspected


@dataclass(frozen=True, order=True)
class Happening:
    at: datetime
    seq: int  # at the same moment: in the order they were added (an order before its parcel)
    kind: Kind = field(compare=False)
    index: int = field(compare=False)
    scan: int = field(compare=False, default=0)


class Agenda:
    """What is still to happen, earliest first. A happening is quiet when it records
    no event a journey could act on (a sign-up, a parcel scanned again in the same
    status): nothing needs to run at its moment, so the replay writes it with the
    next happening that is not, and the clock does not stop for it."""

    def __init__(self) -> None:
        self._heap: list[Happening] = []
        self._loud: list[datetime] = []
        self._seq = 0

    def add(self, at: datetime, kind: Kind, index: int, scan: int = 0, *,
            quiet: bool = False) -> None:
        heapq.heappush(self._heap, Happening(at, self._seq, kind, index, scan))
        if not quiet:
            heapq.heappush(self._loud, at)
        self._seq += 1

    def next_at(self) -> datetime | None:
        """When the next happening that is not quiet happens."""
        return self._loud[0] if self._loud else None

    def due(self, until: datetime) -> list[Happening]:
        """Everything up to and including `until`, in time order, taken off the agenda."""
        out = []
        while self._heap and self._heap[0].at <= until:
            out.append(heapq.heappop(self._heap))
        while self._loud and self._loud[0] <= until:
            heapq.heappop(self._loud)
        return out

    def __len__(self) -> int:
        return len(self._heap)


def of_history(history: History) -> Agenda:
    agenda = Agenda()
    for customer, since in enumerate(history.customer_since):
        agenda.add(since, Kind.customer, customer, quiet=True)
    add_trade(agenda, history, orders_from=0, shipments_from=0, refunds_from=0,
              returns_from=0)
    return agenda


def add_trade(agenda: Agenda, history: History, *, orders_from: int, shipments_from: int,
              refunds_from: int, returns_from: int) -> None:
    """The orders, parcels, refunds and returns from these indexes on."""
    for index in range(orders_from, len(history.orders)):
        order = history.orders[index]
        agenda.add(order["placed_at"], Kind.order, index)
        if order["cancelled_at"] is not None:
            agenda.add(order["cancelled_at"], Kind.cancel, index)
    for index in range(shipments_from, len(history.shipments)):
        scans = history.shipments[index]["scans"]
        agenda.add(scans[0].at, Kind.ship, index)
        for number, scan in enumerate(scans[1:], start=1):
            agenda.add(scan.at, Kind.scan, index, number,
                       quiet=scan.status is scans[number - 1].status)
    for index in range(refunds_from, len(history.refunds)):
        agenda.add(history.refunds[index]["at"], Kind.refund, index)
    for index in range(returns_from, len(history.returns)):
        row = history.returns[index]
        agenda.add(row["at"], Kind.return_request, index)
        if row["reviewed_at"] <= history.now:
            agenda.add(row["reviewed_at"], Kind.return_review, index)
        if row["received_at"] is not None and row["received_at"] <= history.now:
            agenda.add(row["received_at"], Kind.return_receive, index)
