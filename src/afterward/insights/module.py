"""Insights over every module's data. Its declared part: what customers' words say --
sentiment and themes over the texts every module's reader gives (Module.texts)."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="insights",
    tables=("afterward.insights.models",),
    admin=("afterward.web.admin.words:router",),
    nav=(NavEntry(N_("What customers say"), "/admin/insights/words", "words", 45),),
    jobs=("afterward.insights.words",),
    periodic=("afterward.insights.words:ensure_scheduled",),
    privacy="afterward.insights.privacy",
)
