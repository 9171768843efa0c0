"""Insights over every module's data: what customers' words say -- sentiment and
themes over the texts every module's reader gives (Module.texts); what each customer
is worth and where they stand (segments, churn risk, lifetime value, replenishment
dates: recompute.py); recommendations (recs_store.py fits and writes a run, recs_serve.py
reads it with the serving rules); cohorts and KPIs over the orders, returns and
shipments; and what each journey's program earns -- for journeys, templates, the API
and the admin."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="insights",
    tables=("afterward.insights.models", "afterward.insights.customer_models",
            "afterward.insights.recs_models"),
    api=("afterward.api.insights:router", "afterward.api.recommendations:router"),
    admin=("afterward.web.admin.words:router", "afterward.web.admin.insights:router"),
    nav=(NavEntry(N_("What customers say"), "/admin/insights/words", "words", 45),
         NavEntry(N_("Cohorts and KPIs"), "/admin/insights", "insights", 46),
         NavEntry(N_("Programs"), "/admin/insights/programs", "programs", 47)),
    jobs=("afterward.insights.words", "afterward.insights.recompute_jobs",
          "afterward.insights.recs_store"),
    periodic=("afterward.insights.words:ensure_scheduled",
              "afterward.insights.recompute_jobs:ensure_scheduled"),
    privacy="afterward.insights.privacy",
    message_parts=("afterward.insights.message_part", "afterward.insights.recs_part"),
    journeys=("afterward.insights.journeys",),
    facts=("afterward.insights.journey_facts", "afterward.insights.replenishment_facts",
           "afterward.insights.subscription_facts"),
    message_sources=("afterward.insights",),
    imported=("afterward.insights.recompute_jobs:after_import",),
)
