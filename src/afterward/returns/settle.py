"""Money, once: what a return pays out when it resolves. A refund is asked of the store
platform (a refund request row, one per return, and a job with a dedupe key that hands
it to the outbound signed webhooks); store credit is posted on the ledger with the
bonus; an exchange becomes an order (source "exchange") priced as the policy says.
Only what was received and accepted is settled (a kept item: all of it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from afterward import outbound
from afterward.commerce import service as commerce
from afterward.commerce.models import Order, Variant
from afterward.commerce.schemas import AddressIn, OrderIn, OrderLineIn
from afterward.commerce.validation import minor_units_exponent
from afterward.events import record
from afterward.returns import credit
from afterward.returns import policy as rules
from afterward.returns.errors import ReturnError
from afterward.returns.models import RefundRequest, Return

REFUND_EVENT = "return.refund_requested"
EXCHANGE_EVENT = "return.exchange_order_created"


def price_exchange(session: Session, *, rma: Return, order: Order, policy: rules.Policy,
                   decision: rules.Decision) -> None:
    """Check the exchange SKU (known, allowed, in stock) and price it: the new items
    against the returned ones' value, plus the bonus when it is another product."""
    if rma.resolution != "exchange" or rma.exchange_for_sku is None:
        return
    variant = commerce.variant_by_sku(session, store_id=rma.store_id, sku=rma.exchange_for_sku)
    if variant is None:
        raise ReturnError("unknown_exchange_sku", f"no variant {rma.exchange_for_sku} in this "
                          "store", "exchange_for_sku")
    other = _other_product(order, rma, variant)
    if other and not policy.exchange_other_products:
        raise ReturnError("exchange_not_allowed", "an exchange is for another variant of the "
                          "same product", "exchange_for_sku")
    units = sum(line.quantity for line in rma.lines)
    if variant.inventory_quantity is not None and variant.inventory_quantity < units:
        raise ReturnError("exchange_out_of_stock", f"{variant.sku} is out of stock",
                          "exchange_for_sku")
    rma.bonus_minor = decision.bonus_minor if other else 0
    _price(rma, variant, units, rma.value_minor)
    back = max(0, -(rma.difference_minor or 0))
    if rma.gift_recipient_email:  # a gift: never back to the buyer
        rma.refund_minor, rma.credit_minor = 0, back
    else:
        rma.refund_minor = back


def _other_product(order: Order, rma: Return, variant: Variant) -> bool:
    returned = {line.order_line_id for line in rma.lines}
    products = {line.product_id for line in order.lines if line.id in returned}
    return variant.product_id not in products


def _price(rma: Return, variant: Variant, units: int, value: int) -> None:
    rma.exchange_minor = variant.price_minor * units
    rma.difference_minor = rma.exchange_minor - (value + rma.bonus_minor) + rma.fee_minor


def settle(session: Session, *, rma: Return, now: datetime, bonus_percent: int) -> None:
    """Pay out what was accepted. An exchange whose item ran out since the request
    becomes store credit with the store's bonus (`bonus_percent`; a refund when the
    order has no customer)."""
    accepted = _accepted_value(rma)
    bonus = rma.bonus_minor * accepted // rma.value_minor if rma.value_minor else 0
    order = commerce.get_order(session, store_id=rma.store_id, order_id=rma.order_id)
    assert order is not None  # a return's order goes only with the return (CASCADE)
    if rma.resolution == "exchange":
        if _exchange(session, rma, order, accepted, bonus, now):
            return
        rma.exchange_minor = rma.difference_minor = None
        rma.resolution = "store_credit" if credited(rma) is not None else "refund"
        bonus = accepted * bonus_percent // 100
    if rma.resolution in ("refund", "keep"):
        rma.refund_minor = max(0, accepted - rma.fee_minor)
        request_refund(session, rma=rma, order=order, amount=rma.refund_minor)
    else:
        _credit(session, rma, accepted, bonus)


def _accepted_value(rma: Return) -> int:
    if rma.resolution == "keep":
        return rma.value_minor
    return sum(line.unit_paid_minor * line.received_quantity for line in rma.lines
               if line.accepted)


def credited(rma: Return) -> int | None:
    """Whose store credit a return adds to: a gift's recipient, else the buyer."""
    return rma.gift_customer_id if rma.gift_recipient_email else rma.customer_id


def _credit(session: Session, rma: Return, accepted: int, bonus: int) -> None:
    customer_id = credited(rma)
    if customer_id is None:  # offered only with a customer; one erased meanwhile
        raise ReturnError("no_customer", "store credit needs the order's customer")
    returned = max(0, accepted - rma.fee_minor)
    extra = max(0, accepted + bonus - rma.fee_minor) - returned
    for kind, amount in (("return", returned), ("bonus", extra)):
        if amount:
            credit.post(session, store_id=rma.store_id, customer_id=customer_id,
                        currency=rma.currency, amount_minor=amount, kind=kind,
                        key=f"return:{rma.id}:{kind}", return_id=rma.id,
                        note=f"Return {rma.number}")
    rma.bonus_minor, rma.credit_minor = extra, returned + extra


def _exchange(session: Session, rma: Return, order: Order, accepted: int, bonus: int,
              now: datetime) -> bool:
    """The exchange order, priced against what was accepted; False when the item is
    out of stock now (nothing written). An instant exchange's order was made at the
    parcel's first scan: never a second one, only what is left to settle."""
    if rma.exchange_order_id is not None:
        _after_instant(session, rma, order, accepted, bonus, now)
        return True
    units = sum(line.received_quantity for line in rma.lines if line.accepted)
    if not _make_exchange_order(session, rma, order, units, accepted, bonus, now):
        return False
    _give_back(session, rma, order, max(0, -(rma.difference_minor or 0)))
    return True


def _give_back(session: Session, rma: Return, order: Order, amount: int) -> None:
    """What an exchange leaves over: refunded to the buyer; for a gift returned by its
    recipient, store credit for the recipient (the buyer is never refunded)."""
    recipient = rma.gift_customer_id if rma.gift_recipient_email else None
    if recipient is None:
        rma.refund_minor = amount
        request_refund(session, rma=rma, order=order, amount=amount)
        return
    rma.refund_minor, rma.credit_minor = 0, amount
    if amount:
        credit.post(session, store_id=rma.store_id, customer_id=recipient,
                    currency=rma.currency, amount_minor=amount, kind="return",
                    key=f"return:{rma.id}:return", return_id=rma.id,
                    note=f"Return {rma.number}")


def _make_exchange_order(session: Session, rma: Return, order: Order, units: int,
                         value: int, bonus: int, now: datetime) -> bool:
    variant = commerce.variant_by_sku(session, store_id=rma.store_id,
                                      sku=rma.exchange_for_sku or "")
    if variant is None or not commerce.take_stock(session, store_id=rma.store_id,
                                                  variant_id=variant.id, quantity=units):
        return False
    rma.bonus_minor = bonus
    _price(rma, variant, units, value)
    allowance = max(0, value + bonus - rma.fee_minor)
    made, _ = commerce.save_order(session, store_id=rma.store_id, data=_exchange_order(
        rma, order, variant, units, allowance, now), meta=commerce.OrderMeta(source="exchange"))
    rma.exchange_order_id = made.id
    publish_exchange_order(session, rma=rma, exchange=made)
    return True


def instant_exchange(session: Session, *, rma: Return, now: datetime) -> bool:
    """At the return parcel's first scan: the exchange order for every unit asked
    for, before anything is received. Once: the caller holds the return's row lock,
    and an order made already (or a number taken: `<RMA>-X`) makes none. False when
    the item is out of stock now: the exchange is then settled at receipt."""
    if rma.resolution != "exchange" or not rma.instant_exchange \
            or rma.exchange_order_id is not None:
        return False
    order = commerce.get_order(session, store_id=rma.store_id, order_id=rma.order_id)
    assert order is not None
    units = sum(line.quantity for line in rma.lines)
    return _make_exchange_order(session, rma, order, units, rma.value_minor, rma.bonus_minor,
                                now)


def _after_instant(session: Session, rma: Return, order: Order, accepted: int, bonus: int,
                   now: datetime) -> None:
    """Receipt of an instant exchange: the order is out. A refund of the difference
    when what came back covers it; what is owed when it does not."""
    owed = instant_owed(rma, accepted, bonus)
    rma.difference_minor = (rma.exchange_minor or 0) - (accepted + bonus) + rma.fee_minor
    _give_back(session, rma, order, max(0, -rma.difference_minor))
    if owed > 0:
        unsettled(session, rma=rma, owed_minor=owed, now=now)


def instant_owed(rma: Return, accepted: int, bonus: int) -> int:
    """What the shopper owes for an instant exchange's order beyond what they were to
    pay anyway, when only `accepted` (and `bonus`) came back for it."""
    planned = max(0, rma.difference_minor or 0)
    now_due = (rma.exchange_minor or 0) - (accepted + bonus) + rma.fee_minor
    return max(0, now_due - planned)


UNSETTLED = "instant_exchange_unsettled"


def unsettled(session: Session, *, rma: Return, owed_minor: int, now: datetime) -> None:
    """An instant exchange's order went out, and the return did not pay for it
    (refused at inspection, rejected, never arrived): kept for a person, never lost."""
    if UNSETTLED not in rma.review_reasons:
        rma.review_reasons = [*rma.review_reasons, UNSETTLED]
    session.flush()
    record(session, store_id=rma.store_id, name="return.instant_exchange_unsettled",
           subject_type="return", subject_id=rma.id, occurred_at=now,
           payload={"number": rma.number, "order_id": rma.order_id,
                    "customer_id": rma.customer_id, "owed_minor": owed_minor,
                    "currency": rma.currency, "exchange_order_id": rma.exchange_order_id})


def _exchange_order(rma: Return, order: Order, variant: Variant, units: int, allowance: int,
                    now: datetime) -> OrderIn:
    subtotal = variant.price_minor * units
    address = AddressIn(name=order.ship_name, address1=order.ship_address1,
                        city=order.ship_city, region=order.ship_region,
                        postal_code=order.ship_postal_code, country=order.ship_country)
    title = " ".join(t for t in (variant.product.title, variant.title) if t)
    return OrderIn.model_construct(
        number=f"{rma.number}-X", placed_at=now, currency=rma.currency,
        email=rma.gift_recipient_email or order.email,
        phone=None if rma.gift_recipient_email else order.phone, customer=None,
        external_id=None, total_minor=None,
        lines=[OrderLineIn.model_construct(sku=variant.sku, external_id=None, title=title,
                                           quantity=units, unit_price_minor=variant.price_minor)],
        shipping_minor=0, tax_minor=0, discount_minor=min(allowance, subtotal),
        financial_status="paid" if subtotal <= allowance else "pending",
        shipping_address=address)


def request_refund(session: Session, *, rma: Return, order: Order, amount: int) -> None:
    """Record the refund asked for this return, once, and hand it to the outbound
    webhooks through a job whose dedupe key is the request's."""
    if amount <= 0:
        return
    payload = refund_payload(rma, order, amount)
    row = RefundRequest(store_id=rma.store_id, return_id=rma.id, order_id=order.id,
                        amount_minor=amount, currency=rma.currency, payload=payload)
    session.add(row)
    session.flush()
    outbound.publish(session, store_id=rma.store_id, event_type=REFUND_EVENT,
                     event_id=f"refund_request_{row.id}", data=payload,
                     dedupe_key=f"returns.refund:{row.id}")


def publish_exchange_order(session: Session, *, rma: Return, exchange: Order) -> None:
    """Hand the exchange order to the store platform, which ships it (its fulfilment
    comes back like any other and is tracked): once per exchange order."""
    outbound.publish(session, store_id=rma.store_id, event_type=EXCHANGE_EVENT,
                     event_id=f"exchange_order_{exchange.id}",
                     data=exchange_payload(rma, exchange),
                     dedupe_key=f"returns.exchange:{exchange.id}")


def exchange_payload(rma: Return, exchange: Order) -> dict[str, Any]:
    """Ours, and the order in Shopify's Admin API shape (POST /orders.json)."""
    lines: list[dict[str, Any]] = [
        {"sku": ln.sku, "title": ln.title, "quantity": ln.quantity,
         "unit_price_minor": ln.unit_price_minor} for ln in exchange.lines]
    return {
        "return_id": rma.id, "return_number": rma.number, "order_id": exchange.id,
        "order_number": exchange.number, "original_order_id": rma.order_id,
        "currency": exchange.currency, "total_minor": exchange.total_minor,
        "discount_minor": exchange.discount_minor,
        "difference_minor": rma.difference_minor, "lines": lines,
        "idempotency_key": f"afterward-exchange-{exchange.id}",
        "shopify": {"order": {
            "email": exchange.email, "currency": exchange.currency,
            "financial_status": exchange.financial_status, "send_receipt": True,
            "tags": f"exchange,{rma.number}", "note": f"Exchange for return {rma.number}",
            "line_items": [{"sku": ln["sku"], "title": ln["title"], "quantity": ln["quantity"],
                            "price": major_units(ln["unit_price_minor"], exchange.currency)}
                           for ln in lines],
            "discount_codes": ([{"code": f"EXCHANGE-{rma.number}", "type": "fixed_amount",
                                 "amount": major_units(exchange.discount_minor,
                                                       exchange.currency)}]
                               if exchange.discount_minor else []),
            "shipping_address": {
                "name": exchange.ship_name, "address1": exchange.ship_address1,
                "city": exchange.ship_city, "province": exchange.ship_region,
                "zip": exchange.ship_postal_code, "country_code": exchange.ship_country},
        }},
    }


def refund_payload(rma: Return, order: Order, amount: int) -> dict[str, Any]:
    """What the store platform needs to refund: ours, and Shopify's refund shape."""
    lines = {line.id: line for line in order.lines}
    items = [{"line_item_id": lines[ln.order_line_id].external_id, "sku": ln.sku,
              "quantity": ln.received_quantity if rma.resolution != "keep" else ln.quantity,
              "restock_type": "return" if ln.restock else "no_restock"}
             for ln in rma.lines if ln.accepted or rma.resolution == "keep"]
    return {
        "return_id": rma.id, "return_number": rma.number, "order_id": order.id,
        "order_number": order.number, "order_external_id": order.external_id,
        "amount_minor": amount, "currency": rma.currency, "resolution": rma.resolution,
        "idempotency_key": f"afterward-return-{rma.id}",
        "shopify": {"refund": {
            "currency": rma.currency, "notify": True, "note": f"Return {rma.number}",
            "refund_line_items": [{k: v for k, v in item.items() if k != "sku"}
                                  for item in items if item["line_item_id"]],
            "transactions": [{"kind": "refund", "amount": major_units(amount, rma.currency)}],
        }},
        "lines": [{"sku": item["sku"], "quantity": item["quantity"]} for item in items],
    }


def major_units(amount: int, currency: str) -> str:
    """1234 EUR -> '12.34'; 1200 JPY -> '1200'."""
    digits = minor_units_exponent(currency)
    if digits == 0:
        return str(amount)
    whole, part = divmod(amount, 10**digits)
    return f"{whole}.{part:0{digits}d}"
