"""Journeys API in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from afterward.journeys import results as measured
from afterward.journeys import service
from afterward.journeys.models import Enrolment, EnrolmentStep, JourneyVersion


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    created_at: datetime


class VersionDetail(VersionOut):
    definition: dict[str, Any]


class JourneyOut(BaseModel):
    key: str
    name: str
    enabled: bool
    version: int
    builtin: bool
    enrolled: int
    active: int
    completed: int
    exited: int
    updated_at: datetime

    @classmethod
    def of(cls, summary: service.Summary) -> JourneyOut:
        journey, counts = summary.journey, summary.counts
        return cls(key=journey.key, name=journey.name, enabled=journey.enabled,
                   version=journey.version, builtin=journey.builtin, enrolled=summary.enrolled,
                   active=counts["active"], completed=counts["completed"],
                   exited=counts["exited"], updated_at=journey.updated_at)


class JourneyDetail(JourneyOut):
    definition: dict[str, Any]
    versions: list[VersionOut]


class EnrolmentOut(BaseModel):
    id: int
    journey_key: str
    version: int
    customer_id: int | None
    subject_type: str
    subject_id: int
    order_id: int | None
    shipment_id: int | None
    status: str
    exit_reason: str | None
    holdout_group: str | None
    position: int
    due_at: datetime | None
    waiting_event: str | None
    enrolled_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, enrolment: Enrolment, *, journey_key: str, version: int) -> EnrolmentOut:
        return cls(journey_key=journey_key, version=version, **{
            name: getattr(enrolment, name) for name in cls.model_fields
            if name not in ("journey_key", "version")})


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    step_key: str | None
    kind: str
    detail: dict[str, Any]
    message_id: int | None
    at: datetime


class EnrolmentDetail(EnrolmentOut):
    history: list[StepOut]


class ValidationOut(BaseModel):
    valid: bool
    key: str
    name: str
    trigger_events: list[str]
    steps: int


class IntervalOut(BaseModel):
    estimate: float
    low: float
    high: float


class GroupOut(BaseModel):
    customers: int
    converted: int
    conversion_rate: IntervalOut | None
    revenue_minor: int
    revenue_per_customer_minor: float | None
    codes_issued: int  # personal offer codes the journey's offer steps gave the group
    codes_redeemed: int  # of those, used by an order within the window
    code_revenue_minor: int  # those orders' totals less refunds


class DetectionOut(BaseModel):
    """How soon a lift can be seen (journeys/results.py): the control's conversion,
    the smallest lift the customers so far detect, the weekly volume, and the weeks
    more needed to detect a 10% lift."""

    baseline: float
    detectable_lift: float | None
    weekly_customers: float
    target_lift: float
    customers_needed: int | None
    weeks_needed: float | None


class ResultsOut(BaseModel):
    journey_key: str
    window_days: int
    confidence: float = 0.95
    treatment: GroupOut
    control: GroupOut
    pending: int
    conversion_lift: IntervalOut | None
    revenue_per_customer_lift: IntervalOut | None
    bootstrap_resamples: int
    significant: bool  # the conversion lift's 95% interval leaves out zero
    detection: DetectionOut | None

    @classmethod
    def of(cls, found: measured.Results) -> ResultsOut:
        def interval(value: measured.Interval | None) -> IntervalOut | None:
            return IntervalOut(estimate=value.estimate, low=value.low, high=value.high) \
                if value is not None else None

        def group(value: measured.Group) -> GroupOut:
            return GroupOut(customers=value.customers, converted=value.converted,
                            conversion_rate=interval(value.conversion),
                            revenue_minor=value.revenue_minor,
                            revenue_per_customer_minor=value.revenue_per_customer_minor,
                            codes_issued=value.codes_issued,
                            codes_redeemed=value.codes_redeemed,
                            code_revenue_minor=value.code_revenue_minor)

        return cls(journey_key=found.journey_key, window_days=found.window_days,
                   treatment=group(found.treatment), control=group(found.control),
                   pending=found.pending, conversion_lift=interval(found.conversion_lift),
                   revenue_per_customer_lift=interval(found.revenue_per_customer_lift),
                   bootstrap_resamples=found.bootstrap_resamples,
                   significant=found.significant,
                   detection=DetectionOut(**vars(found.detection))
                   if found.detection is not None else None)


class InstalledOut(BaseModel):
    key: str
    outcome: str
    version: int
    enabled: bool


def version_detail(row: JourneyVersion) -> VersionDetail:
    return VersionDetail(version=row.version, created_at=row.created_at,
                         definition=row.definition)


def step_out(row: EnrolmentStep) -> StepOut:
    return StepOut.model_validate(row)
