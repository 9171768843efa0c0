"""Returns and exchanges: the policy, the RMA lifecycle, refunds, store credit, labels."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="returns",
    tables=("afterward.returns.models",),
    api=("afterward.api.returns:router", "afterward.api.returns:public"),
    api_links=("afterward.api.returns_links:LINKS",),
    pages=("afterward.web.pages.returns_portal:router", "afterward.web.pages.returns_steps:router",
           "afterward.web.pages.return_status:router"),
    admin=("afterward.web.admin.returns_analytics:router",
           "afterward.web.admin.returns_policy:router", "afterward.web.admin.returns:router"),
    nav=(NavEntry(N_("Returns"), "/admin/returns", "returns", 30),),
    privacy="afterward.returns.privacy",
    message_sources=("afterward.returns",),
    message_parts=("afterward.returns.message_part",),
    journeys=("afterward.returns.journeys",),
    events=("return.requested", "return.approved", "return.rejected", "return.received",
            "return.resolved"),
)
