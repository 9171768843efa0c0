"""Returns and exchanges: the policy, the RMA lifecycle, refunds, store credit, labels."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="returns",
    tables=("afterward.returns.models",),
    api=("afterward.api.returns:router", "afterward.api.returns:public",
         "afterward.api.credit_codes:router"),
    api_links=("afterward.api.returns_links:LINKS",),
    pages=("afterward.web.pages.returns_portal:router", "afterward.web.pages.returns_steps:router",
           "afterward.web.pages.return_status:router",
           "afterward.web.pages.return_parcel:router"),
    admin=("afterward.web.admin.returns_analytics:router",
           "afterward.web.admin.returns_policy:router", "afterward.web.admin.returns:router"),
    nav=(NavEntry(N_("Returns"), "/admin/returns", "returns", 30),),
    jobs=("afterward.returns.label_jobs",),
    consumers=("afterward.returns.inbound:consume_behind",),
    configure=("afterward.returns.carriers:configure",),
    privacy="afterward.returns.privacy",
    message_sources=("afterward.returns",),
    message_parts=("afterward.returns.message_part",),
    journeys=("afterward.returns.journeys",),
    texts=("afterward.returns.texts:read",),
    events=("return.requested", "return.approved", "return.rejected", "return.received",
            "return.resolved", "return.label_issued", "return.in_transit", "return.arrived",
            "return.instant_exchange_unsettled"),
)
