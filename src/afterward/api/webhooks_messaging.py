"""What providers tell us about messages we sent: SMS delivery status callbacks in
Twilio's shape and a simple signed JSON webhook for email delivery, bounces and
complaints. Both find the message in the store named by the URL, then hand the
news to the messaging service (which moves the status and keeps the suppression
list). See docs/messaging.md."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from afterward.api.errors import ApiError
from afterward.api.params import each_once
from afterward.api.responses import SIGNED
from afterward.api.webhooks_in import parse_json
from afterward.commerce import stores
from afterward.commerce.models import Store
from afterward.messaging import service
from afterward.messaging.models import Message
from afterward.storage.db import Database
from afterward.tracking.carriers.generic import signature_for

router = APIRouter(prefix="/api/v1/webhooks", responses=SIGNED, tags=["webhooks"],
                   dependencies=[Depends(each_once)])

Slug = Annotated[str, Path(min_length=1, max_length=64)]
Signature = Annotated[str | None, Header(max_length=300)]
MAX_FORM = 64 * 1024

# Twilio error codes that will not change on a retry: the number cannot take SMS.
# 21211 invalid 'To', 21614 not a mobile number, 30005 unknown destination handset,
# 30006 landline or unreachable carrier. 21610 is the recipient's "STOP".
PERMANENT_SMS_ERRORS = frozenset({"21211", "21614", "30005", "30006"})
SMS_OPT_OUT_ERROR = "21610"
EMAIL_EVENTS = ("delivered", "bounced", "complained")


class ReportOut(BaseModel):
    status: Literal["applied", "ignored"]
    message_id: int | None = None
    message_status: str | None = None
    reason: str | None = None


def _store_and_secrets(db: Database, slug: str, provider: str) -> tuple[int, tuple[str, ...]]:
    """The store's id and the secrets it accepts for this provider, current first."""
    with db.reading() as session:
        store_id = session.scalar(select(Store.id).where(Store.slug == slug))
        if store_id is None:
            raise ApiError(404, "unknown_store", f"no store {slug!r}")
        accepted = stores.accepted_webhook_secrets(session, store_id=store_id,
                                                   provider=provider)
    if not accepted:
        raise ApiError(401, "no_secret", f"this store has no {provider} webhook secret set")
    return int(store_id), accepted


def _answer(message: Message | None, *, reason: str | None = None) -> JSONResponse:
    if message is None:
        out = ReportOut(status="ignored", reason=reason or "no such message in this store")
    elif reason is not None:
        out = ReportOut(status="ignored", message_id=message.id,
                        message_status=message.status, reason=reason)
    else:
        out = ReportOut(status="applied", message_id=message.id, message_status=message.status)
    return JSONResponse(out.model_dump())


# --- SMS: Twilio status callbacks -------------------------------------------------------

def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the
    full URL followed by each POST parameter's name and value, sorted by name."""
    data = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _urls(request: Request) -> list[str]:
    """The URL Twilio called: as configured (PUBLIC_URL, which a proxy does not change)
    and as this server saw it."""
    public = request.app.state.settings.public_url.rstrip("/")
    query = f"?{request.url.query}" if request.url.query else ""
    return list(dict.fromkeys([public + request.url.path + query, str(request.url)]))


@router.post("/sms/{store_slug}", response_model=ReportOut)
async def sms_status(request: Request, store_slug: Slug,
                     x_twilio_signature: Signature = None) -> JSONResponse:
    """Delivery status callbacks in Twilio's shape (form fields `MessageSid`,
    `MessageStatus`, `ErrorCode`), signed with `X-Twilio-Signature` using the store's
    Twilio auth token (`afterward store secret STORE twilio TOKEN`).

    `delivered` marks the message delivered; `undelivered` marks it bounced and
    `failed` failed, and either lists the number when the error code is permanent
    (21211, 21614, 30005, 30006); error 21610 (the recipient sent STOP) turns marketing
    off for that number. Other statuses (`queued`, `sent`...) change nothing."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise ApiError(413, "too_large", "the callback is too large")
    form = await request.form()
    params = {name: str(value) for name, value in form.items()}
    db: Database = request.app.state.db
    return await run_in_threadpool(_sms_status, db, store_slug, params, _urls(request),
                                   x_twilio_signature)


def _sms_status(db: Database, slug: str, params: dict[str, str], urls: list[str],
                signature: str | None) -> JSONResponse:
    store_id, tokens = _store_and_secrets(db, slug, "twilio")
    given = (signature or "").strip().encode()
    if not given or not any(hmac.compare_digest(given, twilio_signature(token, url, params)
                                                .encode()) for token in tokens for url in urls):
        raise ApiError(401, "invalid_signature", "X-Twilio-Signature does not match")
    sid, status = params.get("MessageSid", "").strip(), params.get("MessageStatus", "").strip()
    if not sid:
        raise ApiError(422, "invalid", "MessageSid is required", "MessageSid")
    if not status:
        raise ApiError(422, "invalid", "MessageStatus is required", "MessageStatus")
    code = params.get("ErrorCode", "").strip()
    with db.transaction() as session:
        message = service.by_provider_id(session, store_id=store_id, channel="sms",
                                         provider_message_id=sid)
        if message is None:
            return _answer(None)
        detail = f"twilio {status}" + (f" (error {code})" if code else "")
        if status == "delivered":
            service.record_delivery(session, store_id=store_id, message_id=message.id)
        elif code == SMS_OPT_OUT_ERROR and status in ("undelivered", "failed"):
            service.record_failure(session, store_id=store_id, message_id=message.id,
                                   detail=detail, permanent=False)
            service.record_opt_out(session, store_id=store_id, message_id=message.id,
                                   source="sms_stop")
        elif status == "undelivered":
            service.record_bounce(session, store_id=store_id, message_id=message.id,
                                  permanent=code in PERMANENT_SMS_ERRORS, detail=detail)
        elif status == "failed":
            service.record_failure(session, store_id=store_id, message_id=message.id,
                                   detail=detail, permanent=code in PERMANENT_SMS_ERRORS)
        else:
            return _answer(message, reason=f"status {status!r} changes nothing")
        session.flush()
        return _answer(message)


# --- email: delivery, bounce and complaint events ----------------------------------------

@router.post("/email-events/{store_slug}", response_model=ReportOut)
async def email_event(request: Request, store_slug: Slug,
                      x_afterward_signature: Signature = None) -> JSONResponse:
    """One email event, from a relay or a bounce processor:

        POST /api/v1/webhooks/email-events/{store}
        X-Afterward-Signature: sha256=<hex HMAC-SHA256 of the raw body>   (the store's
                                                                  `generic` secret)
        {"message_id": 123 | "<abc@shop.example>",   (our id or the Message-ID header)
         "event": "delivered" | "bounced" | "complained",
         "bounce_type": "hard" | "soft",              (required for bounced)
         "detail": "550 5.1.1 no such user"}          (optional)

    A hard bounce lists the address for every message, a complaint for marketing
    (and turns the customer's email marketing consent off); a soft bounce only marks
    the message."""
    body = await request.body()
    db: Database = request.app.state.db
    return await run_in_threadpool(_email_event, db, store_slug, body, x_afterward_signature)


def _email_event(db: Database, slug: str, body: bytes, signature: str | None) -> JSONResponse:
    store_id, accepted = _store_and_secrets(db, slug, "generic")
    prefix, _, digest = (signature or "").strip().partition("=")
    candidate = f"{prefix.lower()}={digest.lower()}".encode()
    if not signature or not any(hmac.compare_digest(candidate, signature_for(secret, body)
                                                    .encode()) for secret in accepted):
        raise ApiError(401, "invalid_signature", "X-Afterward-Signature does not match")
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise ApiError(422, "invalid", "the body is a JSON object")
    event, bounce_type = payload.get("event"), payload.get("bounce_type")
    if event not in EMAIL_EVENTS:
        raise ApiError(422, "invalid", f"event must be one of {', '.join(EMAIL_EVENTS)}",
                       "event")
    if event == "bounced" and bounce_type not in ("hard", "soft"):
        raise ApiError(422, "invalid", "bounce_type must be hard or soft", "bounce_type")
    detail = payload.get("detail")
    if detail is not None and not isinstance(detail, str):
        raise ApiError(422, "invalid", "detail is text", "detail")
    with db.transaction() as session:
        message = _email_message(session, store_id, payload.get("message_id"))
        if message is None:
            return _answer(None)
        if event == "delivered":
            service.record_delivery(session, store_id=store_id, message_id=message.id)
        elif event == "bounced":
            service.record_bounce(session, store_id=store_id, message_id=message.id,
                                  permanent=bounce_type == "hard", detail=detail)
        else:
            service.record_complaint(session, store_id=store_id, message_id=message.id)
        session.flush()
        return _answer(message)


def _email_message(session: Any, store_id: int, ref: Any) -> Message | None:
    if isinstance(ref, bool) or ref is None:
        raise ApiError(422, "invalid", "message_id is our message id or its Message-ID header",
                       "message_id")
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        number = int(ref)
        if not 1 <= number <= 2**62:
            return None
        message = service.get_message(session, store_id=store_id, message_id=number)
    elif isinstance(ref, str) and "@" in ref and len(ref) <= 200:
        message = service.by_message_id_header(session, store_id=store_id, header=ref)
    else:
        raise ApiError(422, "invalid", "message_id is our message id or its Message-ID header",
                       "message_id")
    return message if message is not None and message.channel == "email" else None
