"""Tracking: parcels, carrier updates, delivery-date predictions, the tracking page."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="tracking",
    tables=("afterward.tracking.models", "afterward.tracking.polling_models"),
    api=("afterward.api.tracking:router", "afterward.api.webhooks_carriers:router"),
    pages=("afterward.web.pages.tracking:router", "afterward.web.pages.lookup:router"),
    admin=("afterward.web.admin.shipments:router",),
    nav=(NavEntry(N_("Shipments"), "/admin/shipments", "shipments", 20),),
    jobs=("afterward.tracking.polling", "afterward.tracking.replay",
          "afterward.tracking.overdue"),
    periodic=("afterward.tracking.overdue:ensure_scheduled",),
    privacy="afterward.tracking.privacy",
    hold_probes=("afterward.tracking.holds:open_exception",),
    events=("shipment.created", "shipment.info_received", "shipment.in_transit",
            "shipment.out_for_delivery", "shipment.available_for_pickup",
            "shipment.failed_attempt", "shipment.delivered", "shipment.exception",
            "shipment.returned_to_sender", "shipment.cancelled", "shipment.expired",
            "shipment.delayed", "shipment.stalled"),
)
