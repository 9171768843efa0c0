"""Loyalty: a program per store, points on an append-only ledger, pending until an
order can no longer be returned, taken back exactly once; tiers and expiry."""

from afterward.modules import Module

MODULE = Module(
    name="loyalty",
    tables=("afterward.loyalty.models",),
    api=("afterward.api.loyalty:router",),
    api_links=("afterward.api.loyalty_links:LINKS",),
    jobs=("afterward.loyalty.tick",),
    periodic=("afterward.loyalty.tick:ensure_scheduled",),
    consumers=("afterward.loyalty.consumer:consume_behind",),
    privacy="afterward.loyalty.privacy",
    journey_steps=("afterward.loyalty.journey_step",),
    events=("loyalty.points_earned", "loyalty.points_redeemed", "loyalty.tier_changed",
            "loyalty.points_expiring"),
)
