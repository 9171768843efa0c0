"""Units of an order's lines that came back in accepted returns, read from the
returns module's tables by name (loyalty does not import returns): a line counts
once a return is received or resolved, its accepted units; a `keep` return (refunded,
the goods stay with the shopper), all its units once resolved."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

_RETURNED = text(
    "SELECT rl.order_line_id, SUM(CASE "
    " WHEN r.resolution = 'keep' AND r.status = 'resolved' THEN rl.quantity "
    " WHEN rl.accepted THEN rl.received_quantity ELSE 0 END) "
    "FROM return_lines rl JOIN returns r ON r.id = rl.return_id "
    "WHERE r.store_id = :store_id AND r.order_id = :order_id "
    "AND r.status IN ('received', 'resolved') GROUP BY rl.order_line_id")


def returned_units(session: Session, *, store_id: int, order_id: int) -> dict[int, int]:
    """order_line_id -> units returned and accepted."""
    rows = session.execute(_RETURNED, {"store_id": store_id, "order_id": order_id})
    return {int(line_id): int(units or 0) for line_id, units in rows}
