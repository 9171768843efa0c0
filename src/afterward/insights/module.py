"""Insights over every module's data: what customers' words say -- sentiment and
themes over the texts every module's reader gives (Module.texts) -- and what each
customer is worth and where they stand (segments, churn risk, lifetime value,
replenishment dates: recompute.py), for journeys, templates, the API and the admin."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="insights",
    tables=("afterward.insights.models", "afterward.insights.customer_models"),
    api=("afterward.api.insights:router",),
    admin=("afterward.web.admin.words:router",),
    nav=(NavEntry(N_("What customers say"), "/admin/insights/words", "words", 45),),
    jobs=("afterward.insights.words", "afterward.insights.recompute_jobs"),
    periodic=("afterward.insights.words:ensure_scheduled",
              "afterward.insights.recompute_jobs:ensure_scheduled"),
    privacy="afterward.insights.privacy",
    message_parts=("afterward.insights.message_part",),
    journeys=("afterward.insights.journeys",),
    facts=("afterward.insights.journey_facts", "afterward.insights.replenishment_facts"),
    imported=("afterward.insights.recompute_jobs:after_import",),
)
