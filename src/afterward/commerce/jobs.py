"""Job handlers owned by commerce."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from afterward.commerce import service
from afterward.jobs import JobContext, PermanentError, handler


@handler("customers.refresh_stats")
def refresh_stats(session: Session, job: JobContext) -> None:
    """One customer ({"customer_id": 7}), or many ({"customer_ids": [7, 8]}, as a bulk
    import enqueues them)."""
    ids = _customer_ids(job.payload)
    if job.store_id is None or ids is None:
        raise PermanentError("customers.refresh_stats needs store_id and customer_id "
                             "(or customer_ids, a list of ids)")
    service.refresh_customers_stats(session, store_id=job.store_id, customer_ids=ids)


def _customer_ids(payload: dict[str, Any]) -> list[int] | None:
    try:
        if "customer_ids" in payload:
            values = payload["customer_ids"]
            if not isinstance(values, list) or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in values):
                return None
            return list(values)
        if "customer_id" in payload:
            return [int(payload["customer_id"])]
    except (TypeError, ValueError):
        return None
    return None
