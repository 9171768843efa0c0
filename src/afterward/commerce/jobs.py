"""Job handlers owned by commerce."""

from __future__ import annotations

from sqlalchemy.orm import Session

from afterward.commerce import service
from afterward.jobs import JobContext, PermanentError, handler


@handler("customers.refresh_stats")
def refresh_stats(session: Session, job: JobContext) -> None:
    if job.store_id is None or "customer_id" not in job.payload:
        raise PermanentError("customers.refresh_stats needs store_id and customer_id")
    service.refresh_customer_stats(session, store_id=job.store_id,
                                   customer_id=int(job.payload["customer_id"]))
