"""Shipments: what integrators read to check a parcel's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from afterward.api.deps import Principal, Write, principal, read_session, settings, writer
from afterward.api.errors import ApiError
from afterward.api.params import IdPath, IdQuery, Limit, each_once
from afterward.api.responses import CONFLICT, INVALID, KEYED, NOT_FOUND, WITH_BODY, updated
from afterward.commerce import service as commerce
from afterward.config import Settings
from afterward.tracking import service
from afterward.tracking.carriers import registry
from afterward.tracking.models import Shipment
from afterward.tracking.schemas import ShipmentIn, ShipmentOut, TrackingEventOut

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["shipments"],
                   dependencies=[Depends(each_once)])
SAME_PARCEL = updated(ShipmentOut, "The same parcel (tracking number on this order, or "
                                   "external_id), updated.")


def shipment_out(shipment: Shipment, public_url: str) -> ShipmentOut:
    return ShipmentOut(
        id=shipment.id, order_id=shipment.order_id, direction=shipment.direction,
        status=shipment.status, substatus=shipment.substatus,
        provider_status=shipment.provider_status, carrier=shipment.carrier,
        service=shipment.service, tracking_number=shipment.tracking_number,
        shipped_at=shipment.shipped_at, delivered_at=shipment.delivered_at,
        last_event_at=shipment.last_event_at, last_location=shipment.last_location,
        signed_by=shipment.signed_by, exception_reason=shipment.exception_reason,
        url=public_url + service.tracking_path(shipment),
        events=[TrackingEventOut.model_validate(e) for e in shipment.events],
        last_message=shipment.last_message, carrier_estimated_at=shipment.carrier_estimated_at,
        carrier_name=registry.display_name(shipment.carrier),
        carrier_url=registry.tracking_url(shipment.carrier, shipment.tracking_number),
    )


@router.get("/shipments", response_model=dict[str, list[ShipmentOut]], responses=INVALID)
def list_shipments(who: Principal = Depends(principal), session: Session = Depends(read_session),
                   config: Settings = Depends(settings),
                   tracking_number: Annotated[str | None, Query(max_length=64)] = None,
                   order_id: IdQuery = None,
                   status: Annotated[str | None, Query(max_length=24)] = None,
                   limit: Limit = 50) -> dict[str, list[ShipmentOut]]:
    rows = service.list_shipments(session, store_id=who.store_id, tracking_number=tracking_number,
                                  order_id=order_id, status=status, limit=limit)
    return {"items": [shipment_out(s, config.public_url) for s in rows]}


@router.get("/shipments/{shipment_id}", response_model=ShipmentOut,
            responses={**NOT_FOUND, **INVALID})
def get_shipment(shipment_id: IdPath,
                 who: Principal = Depends(principal), session: Session = Depends(read_session),
                 config: Settings = Depends(settings)) -> ShipmentOut:
    shipment = service.get_shipment(session, store_id=who.store_id, shipment_id=shipment_id)
    if shipment is None:
        raise ApiError(404, "not_found", "no such shipment in this store")
    return shipment_out(shipment, config.public_url)


@router.post("/shipments", response_model=ShipmentOut, status_code=201,
             responses={**SAME_PARCEL, **NOT_FOUND, **CONFLICT, **WITH_BODY})
def create_shipment(body: ShipmentIn, response: Response,
                    who: Principal = Depends(principal), write: Write = Depends(writer),
                    config: Settings = Depends(settings)) -> ShipmentOut:
    """Add a parcel to an order (a fulfillment made outside a store platform). The same
    tracking number on the same order (or the same external_id) is the same parcel:
    told again, it is updated and answered with 200. An order_id not in this store
    is a 404."""
    def work(session: Session) -> tuple[ShipmentOut, bool]:
        order = commerce.get_order(session, store_id=who.store_id, order_id=body.order_id,
                                   lock=True)
        if order is None:
            raise ApiError(404, "unknown_order", "no such order in this store", "order_id")
        draft = service.ShipmentDraft(external_id=body.external_id, carrier=body.carrier,
                                      service=body.service, tracking_number=body.tracking_number,
                                      shipped_at=body.shipped_at, status=body.status,
                                      direction=body.direction)
        shipment, created = service.upsert_shipment(session, store_id=who.store_id,
                                                    order_id=order.id, draft=draft)
        return shipment_out(shipment, config.public_url), created

    out, created = write(work)
    response.status_code = 201 if created else 200
    return out
