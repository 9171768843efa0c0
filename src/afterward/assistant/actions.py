"""The safe actions, each proposed in one answer and done only when the shopper confirms
it in their next message (`confirm` naming the action's id), through the same services
as the portal and the API, and recorded as one `assistant.*` event each:

- start_return: a return of the order's items for a refund (returns/service.py, as the
  portal and POST /api/v1/returns do; the policy decides as it does there);
- request_cancel, request_address_change: there is no write to the store platform, so
  the request is an event and the conversation goes to a person;
- resend_tracking_link: an event for messaging's journeys to act on (the assistant
  never imports messaging);
- unsubscribe: the customer's marketing consent withdrawn (commerce's set_consent,
  which records `customer.consent_changed`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from afterward.assistant.answers import Seen, shipped
from afterward.assistant.models import Conversation
from afterward.assistant.texts import RETURN_WORDS, Say
from afterward.commerce import customers
from afterward.events import record
from afterward.returns import facts as return_facts
from afterward.returns import links as return_links
from afterward.returns import service as returns
from afterward.returns.errors import ReturnError
from afterward.returns.schemas import ReturnIn

KINDS = ("start_return", "request_cancel", "request_address_change", "resend_tracking_link",
         "unsubscribe")
LABELS = {"start_return": "do_return", "request_cancel": "do_cancel",
          "request_address_change": "do_address", "resend_tracking_link": "do_resend",
          "unsubscribe": "do_unsubscribe"}
EVENTS = {"start_return": "assistant.return_started",
          "request_cancel": "assistant.cancel_requested",
          "request_address_change": "assistant.address_change_requested",
          "resend_tracking_link": "assistant.tracking_link_requested",
          "unsubscribe": "assistant.unsubscribed"}
# The requests a person must carry out: confirming them hands the conversation over.
HANDED_OVER = frozenset({"request_cancel", "request_address_change"})
RETURN_REASON = "changed_mind"


@dataclass(frozen=True)
class Done:
    text: str
    links: list[dict[str, Any]]
    handoff_reason: str | None = None


def propose(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The pending action stored on the conversation; its id is what confirms it."""
    return {"id": "act_" + secrets.token_urlsafe(12), "kind": kind, "params": params}


def offered(pending: dict[str, Any], say: Say) -> dict[str, Any]:
    return {"kind": pending["kind"], "id": pending["id"], "confirm": True,
            "label": say(LABELS[pending["kind"]])}


def carry_out(session: Any, *, conversation: Conversation, pending: dict[str, Any],
              seen: Seen, say: Say) -> Done:
    order = seen.order
    assert order is not None
    kind, params = pending["kind"], pending.get("params") or {}
    payload: dict[str, Any] = {"conversation_id": conversation.id, "order_id": order.id,
                               "customer_id": order.customer_id, "action": kind}
    done: Done
    if kind == "start_return":
        done = _start_return(session, conversation, pending, seen, say, payload)
    elif kind == "request_cancel":
        if shipped(session, seen):
            return Done(say("cancel_shipped", number=order.number), [])
        done = Done(say("cancel_done", number=order.number), [], "cancel_request")
    elif kind == "request_address_change":
        if shipped(session, seen):
            return Done(say("address_shipped", number=order.number), [])
        payload["request"] = params.get("request", "")
        done = Done(say("address_done", number=order.number), [], "address_change_request")
    elif kind == "resend_tracking_link":
        payload["shipment_id"] = params.get("shipment_id")
        done = Done(say("resend_done", number=order.number), [])
    elif kind == "unsubscribe":
        if order.customer_id is None:
            return Done(say("no_customer"), [])
        customers.set_consent(session, store_id=seen.store.id, customer_id=order.customer_id,
                              channel="email", purpose="marketing", granted=False,
                              source="assistant")
        done = Done(say("unsubscribed"), [])
    else:
        return Done(say("nothing_to_confirm"), [])
    if payload.get("refused"):
        return done
    record(session, store_id=seen.store.id, name=EVENTS[kind], subject_type="order",
           subject_id=order.id, payload=payload, occurred_at=seen.now)
    return done


def _start_return(session: Any, conversation: Conversation, pending: dict[str, Any],
                  seen: Seen, say: Say, payload: dict[str, Any]) -> Done:
    order = seen.order
    assert order is not None
    policy = return_facts.load_policy(session, store_id=seen.store.id)
    resolution = "refund" if "refund" in policy.resolutions else policy.resolutions[0]
    whole = return_facts.order_with_lines(session, store_id=seen.store.id, number=order.number)
    lines = [{"sku": line.sku, "quantity": line.quantity, "reason": RETURN_REASON}
             for line in (whole.lines if whole else []) if line.sku and line.quantity > 0]
    if not lines:
        payload["refused"] = True
        return Done(say("return_refused", reason="item_not_returnable"), [])
    try:
        data = ReturnIn.model_validate({"order_number": order.number, "lines": lines,
                                        "resolution": resolution})
        with session.begin_nested():
            rma, _ = returns.request_return(
                session, store_id=seen.store.id, data=data, now=seen.now,
                idempotency_key=f"assistant:{conversation.public_id}:{pending['id']}")
    except ReturnError as refused:
        payload["refused"] = True
        return Done(say("return_refused", reason=refused.code), [])
    payload.update(return_id=rma.id, return_number=rma.number)
    links = [{"kind": "link", "label": say("open_return"),
              "url": return_links.status_path(seen.secret_key, seen.store.id, rma.id)}] \
        if seen.secret_key else []
    return Done(say("return_started", rma=rma.number,
                    status=say.word(RETURN_WORDS, rma.status)), links)
