"""The send-time policy as one pure function: facts in, decision out. The database
is read by `facts.py`; nothing here touches it, so every rule is testable alone.

Rules, in order:
1. no address -> suppress; 2. suppression list (hard bounce and manual entries
stop everything, complaints and unsubscribes stop marketing); 3. consent
(transactional unless explicitly revoked, marketing only when explicitly granted);
4. hold review and survey requests while a return or a shipment exception is open,
and marketing too while a hold in HOLDS_MARKETING is (a detractor's answer);
5. quiet hours for marketing, in the customer's time zone -> defer to the next
allowed instant; 6. the contact budget for marketing -> suppress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Purpose(StrEnum):
    transactional = "transactional"  # caused by the shopper's own order; bypasses the budget
    marketing = "marketing"  # needs opt-in; quiet hours and the budget apply


class Action(StrEnum):
    send = "send"
    defer = "defer"  # try again at Decision.until
    suppress = "suppress"  # never send; Decision.reason says why


# Categories a merchant would not want to land while something is wrong.
HELD_WHILE_PROBLEM_OPEN = frozenset({"review_request", "survey_request"})
# Holds (a probe's answer, Module.hold_probes) that pause every marketing message too.
HOLDS_MARKETING = frozenset({"survey_detractor"})
BLOCKS_EVERYTHING = frozenset({"hard_bounce", "manual"})
PERSON_CHANNELS = frozenset({"email", "sms"})


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, start: str, end: str) -> QuietHours:
        return cls(time.fromisoformat(start), time.fromisoformat(end))

    def contains(self, wall: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end  # the window crosses midnight


@dataclass(frozen=True)
class PolicyFacts:
    channel: str
    purpose: Purpose
    category: str
    has_address: bool
    consent: bool | None = None  # the customer's explicit choice, None when never asked
    suppressions: frozenset[str] = frozenset()  # reasons listed for this address
    timezone: str = "UTC"
    quiet_hours: QuietHours | None = None
    marketing_in_period: int = 0  # marketing messages already approved in the rolling period
    budget: int = 3
    open_problem: str | None = None  # e.g. "return_open", "shipment_exception"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str | None = None
    until: datetime | None = None


SEND = Decision(Action.send)


def decide(facts: PolicyFacts, now: datetime) -> Decision:
    if now.tzinfo is None:
        raise ValueError("naive datetime refused: use an aware datetime")
    if facts.channel not in PERSON_CHANNELS:
        return SEND  # integrations (webhooks) are not people: no consent, no quiet hours
    marketing = facts.purpose == Purpose.marketing
    if not facts.has_address:
        return Decision(Action.suppress, "no_address")
    blocking = facts.suppressions if marketing else facts.suppressions & BLOCKS_EVERYTHING
    if blocking:
        return Decision(Action.suppress, f"suppressed:{sorted(blocking)[0]}")
    if facts.consent is False or (marketing and facts.consent is not True):
        return Decision(Action.suppress, "no_consent")
    if facts.open_problem and (facts.category in HELD_WHILE_PROBLEM_OPEN or (
            marketing and facts.open_problem in HOLDS_MARKETING)):
        return Decision(Action.suppress, f"held:{facts.open_problem}")
    if not marketing:
        return SEND
    if facts.quiet_hours is not None:
        allowed = next_allowed_time(now, facts.timezone, facts.quiet_hours)
        if allowed > now:
            return Decision(Action.defer, "quiet_hours", allowed)
    if facts.marketing_in_period >= facts.budget:
        return Decision(Action.suppress, "contact_budget")
    return SEND


def probes_apply(category: str, purpose: str) -> bool:
    """Whether the hold probes are asked about a message: a review or survey request,
    or any marketing message (which only HOLDS_MARKETING holds)."""
    return category in HELD_WHILE_PROBLEM_OPEN or purpose == Purpose.marketing.value


def in_quiet_hours(at: datetime, timezone: str, quiet: QuietHours) -> bool:
    return quiet.contains(at.astimezone(ZoneInfo(timezone)).time())


def next_allowed_time(now: datetime, timezone: str, quiet: QuietHours) -> datetime:
    """`now` if it is outside quiet hours, else the first instant (UTC) at which the
    customer's wall clock has left them, across daylight-saving changes."""
    now = now.astimezone(UTC)
    if not in_quiet_hours(now, timezone, quiet):
        return now
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    candidates = (_first_instant_at(today + timedelta(days=d), quiet.end, zone)
                  for d in range(-1, 4))
    return min(c for c in candidates
               if c > now and not in_quiet_hours(c, timezone, quiet))


def _first_instant_at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first UTC instant at which the wall clock in `zone` reads `wall` or later
    on `day`. A wall time that the clocks skip (spring forward) maps to the end of
    the gap; one that happens twice (fall back) maps to its first occurrence."""
    early = datetime.combine(day, wall, zone).astimezone(UTC)
    if early.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, wall):
        return early
    # Inside a gap: fold=1 lands before it, fold=0 after it; search whole seconds between.
    target = datetime.combine(day, wall)
    bounds = sorted([int(early.timestamp()),
                     int(datetime.combine(day, wall, zone).replace(fold=1).timestamp())])
    low, high = bounds[0] - 1, bounds[1]
    while high - low > 1:
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= target:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, UTC)
