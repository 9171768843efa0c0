"""A store's loyalty program as data (`PUT /api/v1/loyalty/program`): how orders
earn, how long points stay pending, when they expire, the tiers and their benefits,
the rewards and the referral offer (rewards redeemed in loyalty/redemptions.py), and
the bonus points. Pure: no database, no clock."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from afterward.commerce.fields import JSON_INTEGER, Flag

Days = Annotated[int, Field(ge=0, le=3650), JSON_INTEGER]
Points = Annotated[int, Field(ge=0, le=10**9), JSON_INTEGER]
Cost = Annotated[int, Field(ge=1, le=10**9), JSON_INTEGER]  # a reward costs something
Minor = Annotated[int, Field(ge=0, le=10**12), JSON_INTEGER]
Percent = Annotated[int, Field(ge=1, le=100), JSON_INTEGER]
Multiplier = Annotated[int, Field(ge=100, le=1000), JSON_INTEGER]  # 150: 1.5 x
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


class Bonuses(Document):
    first_order: Points = 0  # pending with the order's own points, taken back with them
    birthday: Points = 0  # once a year, on the customer's birthday, spendable at once
    review: Points = 0  # once per review, whatever its rating (loyalty/bonuses.py)
    review_photo: Points = 0  # once per review with a photo, on top of `review`
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
        return self

    def ranked_tiers(self) -> list[Tier]:
        """The tiers, lowest spend first."""
        return sorted(self.tiers, key=lambda t: t.min_spend_minor)

    def tier(self, key: str | None) -> Tier | None:
        return next((t for t in self.tiers if t.key == key), None)


DEFAULT = Program()
