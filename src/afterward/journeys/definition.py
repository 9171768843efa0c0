"""A journey definition as typed, frozen values, and the limits a definition keeps.
Pure; journeys/parsing.py turns JSON into these values.

    {"key": "review_request", "name": "Review request",
     "trigger": {"event": "shipment.delivered", "filter": {...}, "max_age": "3d"},
     "steps": [{"wait": {"duration": "P7D"}}, {"send": {...}}],
     "exit": [{"event": "return.requested"}],
     "re_entry": "never" | "always" | "after_days:N",
     "entry": "subject" | "customer"}

"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from afterward.commerce.validation import InvalidValue
from afterward.journeys.conditions import Node, Problem

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RESERVED_KEYS = ("validate", "install-builtins")  # API paths beside /journeys/{key}
# KEY and not a reserved key, as one regex (for JSON Schema).
KEY_PATTERN = f"^(?!(?:{'|'.join(RESERVED_KEYS)})$)" + KEY.pattern[1:]
STEP_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
EVENT = re.compile(r"^[a-z][a-z0-9_]{0,30}(\.[a-z][a-z0-9_]{0,30}){1,3}$")
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
TEMPLATE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RE_ENTRY = re.compile(  # after_days:N, N 1-3650
    r"^after_days:0*([1-9][0-9]{0,2}|[12][0-9]{3}|3[0-5][0-9]{2}|36[0-4][0-9]|3650)$")
CHANNELS = ("email", "sms", "webhook")
PURPOSES = ("transactional", "marketing")
MATCHES = ("customer", "order", "shipment")
ENTRIES = ("subject", "order", "customer")
MAX_STEPS = 100
MAX_BRANCH_DEPTH = 5
DEFAULT_MAX_AGE = timedelta(days=3)
STEP_KINDS = ("wait", "branch", "send", "holdout", "exit", "offer")
OFFER_KINDS = ("percent", "fixed", "free_shipping", "free_product")
# What an offer may be limited to, from the enrolment's order: its products' categories,
# or the products bought most often in the same orders as its products.
OFFER_SCOPES = ("order_categories", "order_complements")
MAX_OFFER_LIMITS = 50
MAX_OFFER_EXPIRY = timedelta(days=730)
ONCE_PER = ("order", "shipment", "customer", "enrolment")


class DefinitionError(InvalidValue):
    """A definition that cannot be saved; `problems` lists every problem with its path."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__((problems[0].path if problems else "") or "definition", shown + more)


@dataclass(frozen=True)
class Trigger:
    events: tuple[str, ...]
    filter: Node | None = None
    max_age: timedelta = DEFAULT_MAX_AGE  # older events (history imports) never enrol


@dataclass(frozen=True)
class ExitRule:
    event: str
    match: str = "customer"  # which of the enrolment's references the event must share
    filter: Node | None = None


@dataclass(frozen=True)
class ReEntry:
    mode: str  # never | always | after_days
    days: int = 0

    def __str__(self) -> str:
        return f"after_days:{self.days}" if self.mode == "after_days" else self.mode


@dataclass(frozen=True)
class Wait:
    key: str
    duration: timedelta | None = None
    days: Node | None = None  # a computed number of days
    until_local_time: time | None = None
    until_event: str | None = None
    timeout: timedelta | None = None
    on_timeout: str = "continue"  # or exit
    match: str = "customer"


@dataclass(frozen=True)
class Send:
    key: str
    channel: str
    template: str | None
    purpose: str
    category: str
    data: tuple[tuple[str, Node], ...] = ()
    event_type: str | None = None  # webhooks


@dataclass(frozen=True)
class Holdout:
    key: str
    share: float


@dataclass(frozen=True)
class Exit:
    key: str
    reason: str = "exit step"


@dataclass(frozen=True)
class Offer:
    """Issue the enrolment one unique single-use code (journeys/offers.py); later sends
    show it as `offer` in their context."""

    key: str
    kind: str  # percent | fixed | free_shipping | free_product
    percent_off: int | None = None
    amount_minor: int | None = None  # in the store's currency
    sku: str | None = None  # free_product
    expires_in: timedelta | None = None
    skus: tuple[str, ...] = ()  # limited to these products ...
    categories: tuple[str, ...] = ()  # ... or these categories ...
    scope: str | None = None  # ... or what OFFER_SCOPES computes from the order


@dataclass(frozen=True)
class Action:
    """A step another module brings (Module.journey_steps, journeys/actions.py), such
    as loyalty's `loyalty_points`: `config` is what its parser made of the JSON."""

    key: str
    name: str
    config: Any


@dataclass(frozen=True)
class Branch:
    key: str
    condition: Node
    then: tuple[Step, ...] = ()
    otherwise: tuple[Step, ...] = ()


Step = Wait | Send | Holdout | Exit | Branch | Offer | Action


@dataclass(frozen=True)
class Journey:
    key: str
    name: str
    trigger: Trigger
    steps: tuple[Step, ...]
    exit_rules: tuple[ExitRule, ...] = ()
    re_entry: ReEntry = field(default_factory=lambda: ReEntry("always"))
    entry: str = "subject"  # subject | order | customer: who re_entry and "one active" count
    description: str = ""

    def events_of_interest(self) -> frozenset[str]:
        """Events that can change an enrolment already in progress."""
        names = {rule.event for rule in self.exit_rules}
        names.update(step.until_event for step in walk(self.steps)
                     if isinstance(step, Wait) and step.until_event)
        return frozenset(names)


def walk(steps: tuple[Step, ...]) -> list[Step]:
    out: list[Step] = []
    for step in steps:
        out.append(step)
        if isinstance(step, Branch):
            out += walk(step.then) + walk(step.otherwise)
    return out
