"""Journeys: programs as data (trigger, waits, branches, holdouts, sends) and their
measured results."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="journeys",
    tables=("afterward.journeys.models",),
    api=("afterward.api.journeys:router",),
    admin=("afterward.web.admin.journeys:router",),
    nav=(NavEntry(N_("Journeys"), "/admin/journeys", "journeys", 40),),
    cli=(("journeys", "afterward.cli.journeys:app"),),
    jobs=("afterward.journeys.jobs", "afterward.journeys.offer_expiry"),
    periodic=("afterward.journeys.offer_expiry:ensure_scheduled",),
    consumers=("afterward.journeys.consumer:consume_behind",),
    privacy="afterward.journeys.privacy",
    templates=("afterward.journeys.message_templates",),
    message_parts=("afterward.journeys.offer_part",),
    events=("customer.birthday", "customer.purchase_anniversary", "customer.at_risk"),
)
