"""Journeys' part of a customer's export and erasure (afterward/privacy.py): their
enrolments. Erasure ends every active enrolment (nothing more is sent to them); the
enrolments stay for the journeys' holdout figures, pointing at the erased customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce.privacy import plain
from afterward.journeys import enrolments
from afterward.journeys.models import Enrolment, EnrolmentStatus, Journey
from afterward.privacy import section
from afterward.storage.types import utcnow

REASON = "customer erased"


@section("journeys")
class JourneysSection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> list[dict[str, Any]]:
        rows = session.execute(select(Enrolment, Journey.key).join(
            Journey, Journey.id == Enrolment.journey_id).where(
            Enrolment.store_id == store_id, Enrolment.customer_id == customer_id)
            .order_by(Enrolment.id)).all()
        return [{"journey": key, "status": e.status, "holdout_group": e.holdout_group,
                 "exit_reason": e.exit_reason, "enrolled_at": plain(e.enrolled_at),
                 "finished_at": plain(e.finished_at)} for e, key in rows]

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        now = utcnow()
        active = session.scalars(select(Enrolment).where(
            Enrolment.store_id == store_id, Enrolment.customer_id == customer_id,
            Enrolment.status == EnrolmentStatus.active.value).with_for_update()).all()
        for enrolment in active:
            enrolments.record(session, enrolment, None, "exited", {"reason": REASON}, at=now)
            enrolments.finish(session, enrolment, EnrolmentStatus.exited, REASON, now)
        return {"journey_enrolments": len(active)}
