"""Insights over every module's data. Its declared parts: what customers' words say --
sentiment and themes over the texts every module's reader gives (Module.texts); cohorts
and KPIs over the orders, returns and shipments; what each journey's program earns."""

from dataclasses import replace

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="insights",
    tables=("afterward.insights.models",),
    admin=("afterward.web.admin.words:router", "afterward.web.admin.insights:router"),
    nav=(NavEntry(N_("What customers say"), "/admin/insights/words", "words", 45),
         NavEntry(N_("Cohorts and KPIs"), "/admin/insights", "insights", 46),
         NavEntry(N_("Programs"), "/admin/insights/programs", "programs", 47)),
    jobs=("afterward.insights.words",),
    periodic=("afterward.insights.words:ensure_scheduled",),
    privacy="afterward.insights.privacy",
)

# Recommendations (recs_store.py fits and writes a run; recs_serve.py reads it with the
# serving rules): its tables, routes, job and message part, appended to the declaration.
MODULE = replace(
    MODULE,
    tables=(*MODULE.tables, "afterward.insights.recs_models"),
    api=(*MODULE.api, "afterward.api.recommendations:router"),
    jobs=(*MODULE.jobs, "afterward.insights.recs_store"),
    message_parts=(*MODULE.message_parts, "afterward.insights.recs_part"),
)
