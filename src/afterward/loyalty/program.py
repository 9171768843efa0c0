"""A store's loyalty program as data (`PUT /api/v1/loyalty/program`): how orders
earn, how long points stay pending, when they expire, the tiers and their benefits,
the rewards and the referral offer (rewards redeemed in loyalty/redemptions.py), and
the bonus points. Pure: no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from afterward.commerce.fields import JSON_INTEGER, Flag, Moment

Days = Annotated[int, Field(ge=0, le=3650), JSON_INTEGER]
Points = Annotated[int, Field(ge=0, le=10**9), JSON_INTEGER]
Cost = Annotated[int, Field(ge=1, le=10**9), JSON_INTEGER]  # a reward costs something
Minor = Annotated[int, Field(ge=0, le=10**12), JSON_INTEGER]
Percent = Annotated[int, Field(ge=1, le=100), JSON_INTEGER]
Multiplier = Annotated[int, Field(ge=100, le=1000), JSON_INTEGER]  # 150: 1.5 x
Boost = Annotated[int, Field(ge=101, le=1000), JSON_INTEGER]  # 200: twice the points


# Campaign moments: far enough inside datetime's range to be shown in any time zone.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)


def _in_utc(moment: datetime) -> datetime:
    if not EARLIEST <= moment <= LATEST:
        raise ValueError("expected a moment from 1970-01-01T00:00:00Z to 9999-01-01T00:00:00Z")
    return moment.astimezone(UTC)


UtcMoment = Annotated[Moment, AfterValidator(_in_utc)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tier(Document):
    """Reached with `min_spend_minor` spent over the last 12 months (net of refunds
    and returns)."""

    key: Key
    name: Name
    min_spend_minor: Minor
    multiplier_percent: Multiplier = 100  # points on orders placed in this tier
    free_shipping: Flag = False
    early_access: Flag = False
    # Spendable at once, the first time a customer reaches this tier (not again after a
    # demotion): loyalty/tiers.entry_rewards.
    entry_points: Points = 0


class Reward(Document):
    """What points buy: exactly one of an amount off, a percentage off, free shipping
    or a free product (by SKU), redeemed into a single-use code (loyalty/redemptions.py)
    that expires `expiry_days` after the redemption when given."""

    key: Key
    name: Name
    points: Cost
    discount_minor: Annotated[int, Field(ge=1, le=10**12), JSON_INTEGER] | None = None
    percent_off: Percent | None = None
    free_shipping: Flag = False
    product_sku: Name | None = None
    expiry_days: Annotated[int, Field(ge=1, le=3650), JSON_INTEGER] | None = None

    @model_validator(mode="after")
    def _one_benefit(self) -> Reward:
        given = sum((self.discount_minor is not None, self.percent_off is not None,
                     self.free_shipping, self.product_sku is not None))
        if given != 1:
            raise ValueError("a reward gives exactly one of discount_minor, percent_off, "
                             "free_shipping or product_sku")
        return self


class Referral(Document):
    """A member's friend gets `friend_discount_minor` off as a single-use code; the
    member gets `referrer_points` once the friend's first order can no longer be
    returned (loyalty/referrals.py). More than `review_after` referrals by one member
    within `review_window_hours` send the next ones to review."""

    enabled: Flag = False
    referrer_points: Points = 0
    friend_discount_minor: Minor = 0  # 0: no code for the friend
    friend_code_days: Annotated[int, Field(ge=1, le=3650), JSON_INTEGER] | None = None
    review_after: Annotated[int, Field(ge=1, le=10_000), JSON_INTEGER] = 5
    review_window_hours: Annotated[int, Field(ge=1, le=8760), JSON_INTEGER] = 24


class Campaign(Document):
    """A bonus points campaign ("double points weekend"): orders placed from `starts_at`
    up to (not including) `ends_at` earn `multiplier_percent` of their points, on top of
    the tier's multiplier. Decided when loyalty first sees the order, by when it was
    placed, and kept with the order (a refund later takes back at the same rate)."""

    key: Key
    name: Name
    starts_at: UtcMoment
    ends_at: UtcMoment
    multiplier_percent: Boost

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Campaign:
        if self.ends_at <= self.starts_at:
            raise ValueError("a campaign ends after it starts")
        return self

    def running(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


def boosted(multiplier_percent: int, campaign: Campaign | None) -> int:
    """The multiplier of an order placed during the campaign: the tier's times the
    campaign's, in whole percent, rounded down (125 x 200%: 250; 125 x 150%: 187)."""
    if campaign is None:
        return multiplier_percent
    return multiplier_percent * campaign.multiplier_percent // 100


class Bonuses(Document):
    first_order: Points = 0  # pending with the order's own points, taken back with them
    birthday: Points = 0  # once a year, on the customer's birthday, spendable at once
    review: Points = 0  # once per review, whatever its rating (loyalty/bonuses.py)
    review_photo: Points = 0  # once per review with a photo, on top of `review`
    # An account opened on the store (`customer.account_opened`: a sign-up), once per
    # customer, spendable at once.
    signup: Points = 0
    # An apology for a late parcel, once per order, spendable at once: the built-in
    # shipment_delayed journey credits it (its `loyalty_points` step) when above 0.
    late_parcel: Points = 0


class Program(Document):
    points_per_currency_unit: Annotated[int, Field(ge=0, le=10_000), JSON_INTEGER] = 1
    pending_days: Days = 30  # after delivery: while the order can still be returned
    delivery_grace_days: Days = 14  # never delivered: pending_days + this after the order
    expiry_days: Annotated[int, Field(ge=1, le=3650), JSON_INTEGER] | None = None
    expiry_reminder_days: Days = 14
    tier_grace_days: Days = 30  # below a tier's spend this long before a demotion
    tiers: Annotated[list[Tier], Field(max_length=20)] = []
    rewards: Annotated[list[Reward], Field(max_length=100)] = []
    referral: Referral = Referral()
    bonuses: Bonuses = Bonuses()
    campaigns: Annotated[list[Campaign], Field(max_length=50)] = []
    # An unused reward code that expired: its points back to the member (True), or
    # kept spent (False, the default, as Smile.io does).
    refund_expired_rewards: Flag = False

    @model_validator(mode="after")
    def _distinct(self) -> Program:
        for what, keys in (("tier", [t.key for t in self.tiers]),
                           ("reward", [r.key for r in self.rewards])):
            if len(set(keys)) != len(keys):
                raise ValueError(f"two {what}s have the same key")
        spends = [t.min_spend_minor for t in self.tiers]
        if len(set(spends)) != len(spends):
            raise ValueError("two tiers overlap: they have the same min_spend_minor")
        if len({c.key for c in self.campaigns}) != len(self.campaigns):
            raise ValueError("two campaigns have the same key")
        ordered = sorted(self.campaigns, key=lambda c: c.starts_at)
        for earlier, later in pairwise(ordered):
            if later.starts_at < earlier.ends_at:
                raise ValueError(f"two campaigns overlap: {later.key!r} starts before "
                                 f"{earlier.key!r} ends")
        return self

    def campaign_at(self, moment: datetime) -> Campaign | None:
        """The campaign running at that moment (campaigns never overlap), or None."""
        return next((c for c in self.campaigns if c.running(moment)), None)

    def campaign_shown(self, now: datetime, *, ahead_days: int = 14) -> Campaign | None:
        """What a member's page announces: the campaign running now, else the next one
        starting within `ahead_days`."""
        running = self.campaign_at(now)
        if running is not None:
            return running
        soon = [c for c in self.campaigns
                if now < c.starts_at <= now + timedelta(days=ahead_days)]
        return min(soon, key=lambda c: c.starts_at, default=None)

    def ranked_tiers(self) -> list[Tier]:
        """The tiers, lowest spend first."""
        return sorted(self.tiers, key=lambda t: t.min_spend_minor)

    def tier(self, key: str | None) -> Tier | None:
        return next((t for t in self.tiers if t.key == key), None)

    def rewards_tier_entry(self) -> bool:
        return any(t.entry_points for t in self.tiers)


DEFAULT = Program()
