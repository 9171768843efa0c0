"""Units of an order's lines that came back in accepted returns, read from the
returns module's tables by name (loyalty does not import returns): a line counts
once a return is received or resolved, its accepted units; a `keep` return (refunded,
the goods stay with the shopper), all its units once resolved."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnClause, bindparam, literal_column, text
from sqlalchemy.orm import Session

_UNITS = ("SUM(CASE "
          " WHEN r.resolution = 'keep' AND r.status = 'resolved' THEN rl.quantity "
          " WHEN rl.accepted THEN rl.received_quantity ELSE 0 END) "
          "FROM return_lines rl JOIN returns r ON r.id = rl.return_id "
          "WHERE r.store_id = :store_id AND r.status IN ('received', 'resolved') ")
# A column for a query of `orders`: whether the order has a return counted above.
HAS_RETURNS: ColumnClause[bool] = literal_column(
    "EXISTS (SELECT 1 FROM returns r WHERE r.store_id = orders.store_id "
    "AND r.order_id = orders.id AND r.status IN ('received', 'resolved'))")
_RETURNED = text(f"SELECT rl.order_line_id, {_UNITS} AND r.order_id = :order_id "
                 "GROUP BY rl.order_line_id")
_RETURNED_OF = text(f"SELECT r.order_id, rl.order_line_id, {_UNITS} "
                    "AND r.order_id IN :order_ids GROUP BY r.order_id, rl.order_line_id"
                    ).bindparams(bindparam("order_ids", expanding=True))


def returned_units(session: Session, *, store_id: int, order_id: int) -> dict[int, int]:
    """order_line_id -> units returned and accepted."""
    rows = session.execute(_RETURNED, {"store_id": store_id, "order_id": order_id})
    return {int(line_id): int(units or 0) for line_id, units in rows}


def returned_units_of(session: Session, *, store_id: int, order_ids: Sequence[int]
                      ) -> dict[int, dict[int, int]]:
    """`returned_units` of several orders in one query: order_id -> (line -> units)."""
    found: dict[int, dict[int, int]] = {}
    if not order_ids:
        return found
    rows = session.execute(_RETURNED_OF, {"store_id": store_id, "order_ids": list(order_ids)})
    for order_id, line_id, units in rows:
        found.setdefault(int(order_id), {})[int(line_id)] = int(units or 0)
    return found
