"""Loyalty: a program per store, points on an append-only ledger, pending until an
order can no longer be returned, taken back exactly once; tiers and expiry."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="loyalty",
    tables=("afterward.loyalty.models",),
    api=("afterward.api.loyalty:router",),
    api_links=("afterward.api.loyalty_links:LINKS",),
    pages=("afterward.web.pages.loyalty:router", "afterward.web.pages.referral:router"),
    admin=("afterward.web.admin.loyalty:router", "afterward.web.admin.loyalty_import:router"),
    nav=(NavEntry(N_("Loyalty"), "/admin/loyalty", "loyalty", 35),),
    jobs=("afterward.loyalty.tick", "afterward.loyalty.code_expiry"),
    periodic=("afterward.loyalty.tick:ensure_scheduled",
              "afterward.loyalty.code_expiry:ensure_scheduled"),
    consumers=("afterward.loyalty.consumer:consume_behind",),
    cli=(("loyalty", "afterward.cli.loyalty:app"),),
    privacy="afterward.loyalty.privacy",
    message_sources=("afterward.loyalty",),
    message_parts=("afterward.loyalty.message_part",),
    journeys=("afterward.loyalty.journeys",),
    facts=("afterward.loyalty.journey_facts",),
    journey_steps=("afterward.loyalty.journey_step",),
    events=("loyalty.points_earned", "loyalty.points_redeemed", "loyalty.tier_changed",
            "loyalty.points_expiring", "loyalty.referral_created", "loyalty.referral_review",
            "loyalty.referral_qualified", "loyalty.referral_code_issued"),
)
