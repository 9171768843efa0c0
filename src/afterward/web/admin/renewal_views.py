"""The insights page's table of subscription renewals at risk: active subscriptions of
the latest run due in the next DAYS_AHEAD days (or missed in the last DAYS_BEHIND and
still within their grace) with a renewal risk of at least subscriptions.AT_RISK,
soonest first, each with its customer, product, risk and reasons in the reader's
language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce.models import Customer
from afterward.insights import stored, subscriptions
from afterward.modules import N_
from afterward.web import i18n
from afterward.web.admin import display

DAYS_AHEAD = 14
DAYS_BEHIND = 7
LIMIT = 50
REASONS = {"churn_risk": N_("Likely to stop buying"), "overdue": N_("Renewal overdue"),
           "irregular": N_("Irregular rhythm"),
           "returned_last_order": N_("Returned the last order"),
           "low_survey_score": N_("Low survey score"), "late_delivery": N_("Late delivery")}


@dataclass(frozen=True)
class Renewal:
    customer_id: int
    customer: str
    product: str
    due: str
    risk: str
    reasons: tuple[str, ...]  # labels, to translate


def renewals_at_risk(session: Session, *, store_id: int, locale: str | None,
                     today: date) -> list[Renewal]:
    rows = stored.renewals_at_risk(session, store_id=store_id,
                                   since=today - timedelta(days=DAYS_BEHIND),
                                   until=today + timedelta(days=DAYS_AHEAD),
                                   threshold=subscriptions.AT_RISK, limit=LIMIT)
    ids = sorted({r.customer_id for r in rows})
    names = {c.id: _name(c) for c in session.scalars(select(Customer).where(
        Customer.store_id == store_id, Customer.id.in_(ids)))} if ids else {}
    language = i18n.locale_or_default(locale)
    return [Renewal(r.customer_id, names.get(r.customer_id, f"#{r.customer_id}"), r.title,
                    format_date(r.next_renewal_on, "medium", locale=language),
                    display.percent(float(r.renewal_risk), locale),
                    tuple(REASONS.get(str(name), str(name)) for name in r.reasons or ()))
            for r in rows]


@dataclass(frozen=True)
class Owned:
    product: str
    days: str
    due: str
    risk: str
    lapsed: bool
    reasons: tuple[str, ...]


def of_customer(session: Session, *, store_id: int, customer_id: int,
                locale: str | None) -> list[Owned]:
    """The customer's subscriptions of the latest run, for their page."""
    language = i18n.locale_or_default(locale)
    return [Owned(r.title, display.number(round(float(r.interval_days)), locale),
                  format_date(r.next_renewal_on, "medium", locale=language),
                  display.percent(float(r.renewal_risk), locale), r.status == "lapsed",
                  tuple(REASONS.get(str(name), str(name)) for name in r.reasons or ()))
            for r in stored.subscriptions(session, store_id=store_id,
                                          customer_id=customer_id)]


def threshold(locale: str | None) -> str:
    return display.percent(subscriptions.AT_RISK, locale)


def _name(customer: Customer) -> str:
    full = " ".join(p for p in (customer.first_name, customer.last_name) if p)
    return full or customer.email or customer.phone or f"#{customer.id}"
