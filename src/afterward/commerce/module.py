"""Commerce: stores, customers, products and orders, and the platforms they come from."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="commerce",
    tables=("afterward.commerce.models", "afterward.commerce.code_models"),
    api=("afterward.api.commerce:router", "afterward.api.webhooks_in:router"),
    pages=("afterward.web.media:router",),
    admin=("afterward.web.admin.orders:router", "afterward.web.admin.customers:router",
           "afterward.web.admin.deliveries:router"),
    nav=(NavEntry(N_("Orders"), "/admin/orders", "orders", 10),
         NavEntry(N_("Customers"), "/admin/customers", "customers", 30),
         NavEntry(N_("Deliveries set aside"), "/admin/deliveries", "deliveries", 85)),
    cli=(("store", "afterward.cli.store:app"), ("import", "afterward.cli.importer:app")),
    jobs=("afterward.commerce.jobs",),
    privacy="afterward.commerce.privacy",
    events=("order.created", "order.updated", "order.cancelled", "order.refunded",
            "customer.created", "customer.updated", "customer.consent_changed",
            "customer.erased", "product.created", "product.updated", "code.issued",
            "code.used", "code.cancelled"),
)
