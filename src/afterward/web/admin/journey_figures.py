"""What the journey pages show beside enrolments: the messages each journey sent (by
what became of them), whether a journey holds out a control group, the conversion
lift of each such journey for the list, and the results chart's data (Chart.js draws
it with journey-results.js; the page's table holds the same figures as text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.numbers import get_currency_precision
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward.journeys import definition as spec
from afterward.journeys import results as measured
from afterward.journeys.engine import CONTROL, TREATMENT
from afterward.journeys.models import Enrolment, Journey
from afterward.messaging.models import Message, MessageStatus
from afterward.web import i18n
from afterward.web.pages.language import html_lang

# What became of a message, in four words the merchant reads.
_SENT = {MessageStatus.sent, MessageStatus.delivered, MessageStatus.opened,
         MessageStatus.clicked}
_HELD_BACK = {MessageStatus.suppressed}
_FAILED = {MessageStatus.failed, MessageStatus.bounced}


@dataclass(frozen=True)
class MessageCounts:
    sent: int = 0  # the channel took it (the outbox, SMTP, the SMS provider)
    held_back: int = 0  # the policy said no: consent, suppression, contact budget
    failed: int = 0
    waiting: int = 0  # queued, ready or being sent

    @property
    def total(self) -> int:
        return self.sent + self.held_back + self.failed + self.waiting


def message_counts(session: Session, *, store_id: int,
                   journey_ids: list[int] | None = None) -> dict[int, MessageCounts]:
    """Messages each journey's enrolments queued, by what became of them."""
    stmt = (select(Enrolment.journey_id, Message.status, func.count(Message.id))
            .join(Enrolment, Enrolment.id == Message.enrolment_id)
            .where(Message.store_id == store_id, Enrolment.store_id == store_id)
            .group_by(Enrolment.journey_id, Message.status))
    if journey_ids is not None:
        stmt = stmt.where(Enrolment.journey_id.in_(journey_ids))
    tally: dict[int, dict[str, int]] = {}
    for journey_id, status, count in session.execute(stmt):
        bucket = _bucket(MessageStatus(status))
        counts = tally.setdefault(journey_id, {})
        counts[bucket] = counts.get(bucket, 0) + int(count)
    return {journey_id: MessageCounts(**counts) for journey_id, counts in tally.items()}


def _bucket(status: MessageStatus) -> str:
    if status in _SENT:
        return "sent"
    if status in _HELD_BACK:
        return "held_back"
    if status in _FAILED:
        return "failed"
    return "waiting"


def holds_out(steps: tuple[spec.Step, ...]) -> bool:
    """Whether a holdout step is among the steps, branches included."""
    for step in steps:
        if isinstance(step, spec.Holdout):
            return True
        if isinstance(step, spec.Branch) and (holds_out(step.then)
                                               or holds_out(step.otherwise)):
            return True
    return False


def conversion_lift(session: Session, *, journey: Journey, window_days: int,
                    now: datetime) -> measured.Interval | None:
    """The list's figure: treated minus holdout conversion with its interval (the
    results service's numbers, without the revenue bootstrap the journey page runs)."""
    found = measured.outcomes(session, journey=journey, window=timedelta(days=window_days),
                              now=now)
    return measured.newcombe(found.converted[TREATMENT], len(found.revenue[TREATMENT]),
                             found.converted[CONTROL], len(found.revenue[CONTROL]))


def results_chart(results: measured.Results, *, currency: str,
                  locale: str | None) -> dict[str, Any]:
    """The chart's data: each group's conversion with its interval, the difference
    with its interval, and revenue per customer likewise (minor units)."""
    treated, holdout = results.treatment, results.control
    return {
        "locale": html_lang(str(i18n.locale_or_default(locale))),
        "currency": currency, "exponent": get_currency_precision(currency),
        "windowDays": results.window_days,
        "customers": {"treated": treated.customers, "holdout": holdout.customers},
        "conversion": {"treated": _interval(treated.conversion),
                       "holdout": _interval(holdout.conversion),
                       "lift": _interval(results.conversion_lift)},
        "revenuePerCustomer": {"treated": treated.revenue_per_customer_minor,
                               "holdout": holdout.revenue_per_customer_minor,
                               "lift": _interval(results.revenue_per_customer_lift)},
    }


def _interval(interval: measured.Interval | None) -> dict[str, float] | None:
    if interval is None:
        return None
    return {"estimate": interval.estimate, "low": interval.low, "high": interval.high}
