"""Orders, customers and products for integrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from afterward.api.deps import Principal, Write, committed, principal, read_session, writer
from afterward.api.errors import ApiError
from afterward.api.params import FlagQuery, IdPath, IdQuery, Limit, each_once
from afterward.api.responses import (
    CONFLICT,
    INVALID,
    KEYED,
    NOT_FOUND,
    WITH_BODY,
    updated,
)
from afterward.commerce import service
from afterward.commerce.paging import CURSOR_PATTERN
from afterward.commerce.schemas import (
    CustomerOut,
    CustomerUpsertIn,
    OrderIn,
    OrderOut,
    Page,
    ProductIn,
    ProductOut,
)

router = APIRouter(prefix="/api/v1", responses=KEYED, dependencies=[Depends(each_once)])

Cursor = Annotated[str | None, Query(
    max_length=100, description="The `next_cursor` of the page before.",
    json_schema_extra={"pattern": CURSOR_PATTERN})]  # checked by decode_cursor: a 400

ORDER_REPLACED = updated(OrderOut, "With upsert=true: the order with this number, replaced.")
CUSTOMER_UPDATED = updated(CustomerOut, "The customer with this external_id, email or phone, "
                                        "updated.")
PRODUCT_UPDATED = updated(ProductOut, "The product with this external_id or SKUs, updated.")


def _not_found(kind: str) -> ApiError:
    return ApiError(404, "not_found", f"no such {kind} in this store")


@router.post("/orders", response_model=OrderOut, status_code=201, tags=["orders"],
             responses={**ORDER_REPLACED, **CONFLICT, **WITH_BODY})
async def create_order(request: Request, body: OrderIn,
                       upsert: FlagQuery = False,
                       who: Principal = Depends(principal)) -> Response:
    """Create an order. An existing number is a 409, unless `upsert=true`, which
    replaces that order's contents (200)."""
    # The hottest route: orders that arrive together share a commit on SQLite.
    def work(session: Session) -> tuple[dict[str, object], bool]:
        return _write_order(session, who.store_id, body, upsert)

    document, created = await committed(request, work)
    # Serialised once here; returning the model would have FastAPI validate it again.
    return Response(OrderOut.model_validate(document).model_dump_json(),
                    status_code=201 if created else 200, media_type="application/json")


def _write_order(session: Session, store_id: int, body: OrderIn,
                 upsert: bool) -> tuple[dict[str, object], bool]:
    if not upsert:
        return service.create_order_document(session, store_id=store_id, data=body), True
    order_id, created = service.write_order(session, store_id=store_id, data=body,
                                            upsert=True)
    return service.order_document(session, order_id), created


@router.get("/orders", response_model=Page[OrderOut], tags=["orders"], responses=INVALID)
def list_orders(who: Principal = Depends(principal), session: Session = Depends(read_session),
                number: Annotated[str | None, Query(max_length=64)] = None,
                email: Annotated[str | None, Query(max_length=320)] = None,
                customer_id: IdQuery = None,
                status: Annotated[str | None, Query(max_length=16)] = None,
                cursor: Cursor = None, limit: Limit = 50) -> Page[OrderOut]:
    rows, next_cursor = service.list_orders(session, store_id=who.store_id, number=number,
                                            email=email, customer_id=customer_id, status=status,
                                            cursor=cursor, limit=limit)
    return Page[OrderOut](items=[OrderOut.model_validate(o) for o in rows],
                          next_cursor=next_cursor)


@router.get("/orders/{order_id}", response_model=OrderOut, tags=["orders"],
            responses={**NOT_FOUND, **INVALID})
def get_order(order_id: IdPath, who: Principal = Depends(principal),
              session: Session = Depends(read_session)) -> OrderOut:
    order = service.get_order(session, store_id=who.store_id, order_id=order_id)
    if order is None:
        raise _not_found("order")
    return OrderOut.model_validate(order)


@router.post("/orders/{order_id}/cancel", response_model=OrderOut, tags=["orders"],
             responses={**NOT_FOUND, **CONFLICT, **INVALID})
def cancel_order(order_id: IdPath, who: Principal = Depends(principal),
                 write: Write = Depends(writer)) -> OrderOut:
    def work(session: Session) -> OrderOut:
        order = service.get_order(session, store_id=who.store_id, order_id=order_id, lock=True)
        if order is None:
            raise _not_found("order")
        service.cancel_order(session, order=order, reason="api")
        return OrderOut.model_validate(order)

    return write(work)


@router.post("/customers", response_model=CustomerOut, status_code=201, tags=["customers"],
             responses={**CUSTOMER_UPDATED, **CONFLICT, **WITH_BODY})
def upsert_customer(body: CustomerUpsertIn, response: Response, who: Principal = Depends(principal),
                    write: Write = Depends(writer)) -> CustomerOut:
    """Create a customer, or update the one with the same external_id, email or phone (200)."""
    def work(session: Session) -> tuple[CustomerOut, bool]:
        customer, created = service.upsert_customer(session, store_id=who.store_id, data=body)
        return CustomerOut.model_validate(customer), created

    out, created = write(work)
    response.status_code = 201 if created else 200
    return out


@router.get("/customers", response_model=Page[CustomerOut], tags=["customers"],
            responses=INVALID)
def list_customers(who: Principal = Depends(principal), session: Session = Depends(read_session),
                   email: Annotated[str | None, Query(max_length=320)] = None,
                   q: Annotated[str | None, Query(max_length=100)] = None,
                   cursor: Cursor = None, limit: Limit = 50) -> Page[CustomerOut]:
    rows, next_cursor = service.list_customers(session, store_id=who.store_id, email=email,
                                               query=q, cursor=cursor, limit=limit)
    return Page[CustomerOut](items=[CustomerOut.model_validate(c) for c in rows],
                             next_cursor=next_cursor)


@router.get("/customers/{customer_id}", response_model=CustomerOut, tags=["customers"],
            responses={**NOT_FOUND, **INVALID})
def get_customer(customer_id: IdPath, who: Principal = Depends(principal),
                 session: Session = Depends(read_session)) -> CustomerOut:
    customer = service.get_customer(session, store_id=who.store_id, customer_id=customer_id)
    if customer is None:
        raise _not_found("customer")
    return CustomerOut.model_validate(customer)


@router.post("/products", response_model=ProductOut, status_code=201, tags=["products"],
             responses={**PRODUCT_UPDATED, **CONFLICT, **WITH_BODY})
def upsert_product(body: ProductIn, response: Response, who: Principal = Depends(principal),
                   write: Write = Depends(writer)) -> ProductOut:
    """Create a product, or update the one with the same external_id or SKUs (200)."""
    def work(session: Session) -> tuple[ProductOut, bool]:
        product, created = service.upsert_product(session, store_id=who.store_id, data=body)
        return ProductOut.model_validate(product), created

    out, created = write(work)
    response.status_code = 201 if created else 200
    return out


@router.get("/products", response_model=Page[ProductOut], tags=["products"],
            responses=INVALID)
def list_products(who: Principal = Depends(principal), session: Session = Depends(read_session),
                  category: Annotated[str | None, Query(max_length=100)] = None,
                  cursor: Cursor = None, limit: Limit = 50) -> Page[ProductOut]:
    rows, next_cursor = service.list_products(session, store_id=who.store_id, category=category,
                                              cursor=cursor, limit=limit)
    return Page[ProductOut](items=[ProductOut.model_validate(p) for p in rows],
                            next_cursor=next_cursor)


@router.get("/products/{product_id}", response_model=ProductOut, tags=["products"],
            responses={**NOT_FOUND, **INVALID})
def get_product(product_id: IdPath, who: Principal = Depends(principal),
                session: Session = Depends(read_session)) -> ProductOut:
    product = service.get_product(session, store_id=who.store_id, product_id=product_id)
    if product is None:
        raise _not_found("product")
    return ProductOut.model_validate(product)
