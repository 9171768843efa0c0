"""What each program earns: every journey of a store that holds out a control group,
with its results as journeys/results.py computes them (incremental conversion and
revenue per customer with 95% intervals, `significant`, how soon a lift can be
detected), ranked by incremental revenue per customer, and how the revenue lift stood
at the end of each of the last months (customers counted by then).

Nothing is called significant here but what results.py calls so: a conversion lift
whose 95% interval leaves out zero. The revenue interval is shown beside it; one that
crosses zero is said to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.insights import kpis
from afterward.journeys import definition as spec
from afterward.journeys import enrolments
from afterward.journeys import results as measured
from afterward.journeys.engine import CONTROL, TREATMENT
from afterward.journeys.models import Enrolment, Journey, JourneyVersion

WINDOWS = (7, 14, 30, 60, 90)  # the conversion windows the page offers (as the journey page)
DEFAULT_WINDOW = 30
HISTORY_MONTHS = 6


@dataclass(frozen=True)
class Point:
    """The lift as it stood at `at`: customers counted by then, estimates only."""

    at: datetime
    customers: int
    revenue_lift_minor: float | None  # per customer
    conversion_lift: measured.Interval | None


@dataclass(frozen=True)
class Program:
    key: str
    name: str
    enabled: bool
    results: measured.Results
    history: list[Point]

    @property
    def revenue_lift(self) -> measured.Interval | None:
        return self.results.revenue_per_customer_lift

    @property
    def revenue_interval_crosses_zero(self) -> bool | None:
        lift = self.revenue_lift
        return None if lift is None else lift.low <= 0 <= lift.high

    @property
    def counted(self) -> int:
        return self.results.treatment.customers + self.results.control.customers


def holds_out(steps: tuple[spec.Step, ...]) -> bool:
    for step in steps:
        if isinstance(step, spec.Holdout):
            return True
        if isinstance(step, spec.Branch) and (holds_out(step.then) or holds_out(step.otherwise)):
            return True
    return False


def with_holdout(session: Session, *, store_id: int) -> list[Journey]:
    """Journeys whose live version holds out a group, or that held one out before
    (their enrolments in a group still have results)."""
    journeys = list(session.scalars(select(Journey).where(Journey.store_id == store_id)
                                    .order_by(Journey.key)))
    grouped = set(session.scalars(
        select(Enrolment.journey_id).where(Enrolment.store_id == store_id,
                                           Enrolment.holdout_group.is_not(None)).distinct()))
    found = []
    for journey in journeys:
        if journey.id in grouped:
            found.append(journey)
            continue
        live = session.scalar(select(JourneyVersion).where(
            JourneyVersion.journey_id == journey.id,
            JourneyVersion.version == journey.version))
        if live is not None and holds_out(enrolments.compiled(live)[0].steps):
            found.append(journey)
    return found


def month_ends(now: datetime, count: int = HISTORY_MONTHS) -> list[datetime]:
    """The starts of the last `count` months (UTC), oldest first, and `now`."""
    this_month = kpis.month_of(now, UTC)
    starts = [kpis.month_start(kpis.add_months(this_month, -back), UTC)
              for back in range(count - 1, -1, -1)]
    return [*[moment for moment in starts if moment < now], now]


def history(session: Session, *, journey: Journey, window_days: int, now: datetime
            ) -> list[Point]:
    points = []
    for at in month_ends(now):
        found = measured.outcomes(session, journey=journey,
                                  window=timedelta(days=window_days), now=at)
        treated, control = found.revenue[TREATMENT], found.revenue[CONTROL]
        lift = (sum(treated) / len(treated) - sum(control) / len(control)
                if treated and control else None)
        points.append(Point(at, len(treated) + len(control), lift, measured.newcombe(
            found.converted[TREATMENT], len(treated), found.converted[CONTROL], len(control))))
    return points


def _rank(program: Program) -> tuple[int, float, str]:
    lift = program.revenue_lift
    return (0, -lift.estimate, program.key) if lift is not None else (1, 0.0, program.key)


def programs(session: Session, *, store_id: int, window_days: int, now: datetime,
             with_history: bool = True) -> list[Program]:
    """Ranked: the highest incremental revenue per customer first; programs without
    customers counted in both groups yet last."""
    found = []
    for journey in with_holdout(session, store_id=store_id):
        results = measured.journey_results(session, journey=journey,
                                           window_days=window_days, now=now)
        found.append(Program(journey.key, journey.name, journey.enabled, results,
                             history(session, journey=journey, window_days=window_days,
                                     now=now) if with_history else []))
    return sorted(found, key=_rank)
