"""Messaging API: queue a message, read the log (templates: api/templates.py),
sending settings, the suppression list, webhook endpoints. `public` holds the
shopper-facing links in messages: open pixel, click redirect, unsubscribe."""

from __future__ import annotations

import base64
import html
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from afterward.api.deps import Principal, Write, principal, read_session, settings, writer
from afterward.api.errors import ApiError
from afterward.api.params import IdPath, IdQuery, Limit, each_once
from afterward.api.responses import CONFLICT, INVALID, KEYED, NOT_FOUND, WITH_BODY, updated
from afterward.config import Settings
from afterward.messaging import service
from afterward.messaging.schemas import (
    MessageDetail,
    MessageIn,
    MessageOut,
    SecretRotationIn,
    SettingsIO,
    SuppressionIn,
    WebhookEndpointIn,
    WebhookEndpointOut,
)
from afterward.messaging.tokens import InvalidToken, LinkSigner

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["messaging"],
                   dependencies=[Depends(each_once)])
public = APIRouter(include_in_schema=False)

SAME_URL = updated(WebhookEndpointOut, "The endpoint at this URL: its events set.")
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@router.post("/messages", response_model=MessageOut, status_code=201,
             responses={**NOT_FOUND, **CONFLICT, **WITH_BODY})
def queue_message(body: MessageIn, who: Principal = Depends(principal),
                  write: Write = Depends(writer)) -> MessageOut:
    def work(session: Session) -> MessageOut:
        refs = {k: v for k, v in (("order_id", body.order_id), ("shipment_id", body.shipment_id))
                if v is not None}
        message = service.queue_message(
            session, store_id=who.store_id, channel=body.channel, purpose=body.purpose,
            category=body.category, idempotency_key=body.idempotency_key,
            template_key=body.template_key, customer_id=body.customer_id, recipient=body.recipient,
            refs=refs, data=body.data, send_after=body.send_after, locale=body.locale)
        session.flush()
        return MessageOut.model_validate(message)

    return write(work)


@router.get("/messages", response_model=dict[str, list[MessageOut]], responses=INVALID)
def list_messages(who: Principal = Depends(principal), session: Session = Depends(read_session),
                  status: Annotated[str | None, Query(max_length=16)] = None,
                  customer_id: IdQuery = None, before_id: IdQuery = None,
                  limit: Limit = 50
                  ) -> dict[str, list[MessageOut]]:
    rows = service.list_messages(session, store_id=who.store_id, status=status,
                                 customer_id=customer_id, before_id=before_id, limit=limit)
    return {"items": [MessageOut.model_validate(m) for m in rows]}


@router.get("/messages/{message_id}", response_model=MessageDetail,
            responses={**NOT_FOUND, **INVALID})
def get_message(message_id: IdPath, who: Principal = Depends(principal),
                session: Session = Depends(read_session)) -> MessageDetail:
    message = service.get_message(session, store_id=who.store_id, message_id=message_id)
    if message is None:
        raise ApiError(404, "not_found", "no such message in this store")
    return MessageDetail.model_validate(message)


@router.get("/messaging/settings", response_model=SettingsIO)
def get_settings(who: Principal = Depends(principal),
                 session: Session = Depends(read_session)) -> SettingsIO:
    return SettingsIO.model_validate(service.sending_settings(session, store_id=who.store_id))


@router.put("/messaging/settings", response_model=SettingsIO,
            responses={**CONFLICT, **WITH_BODY})
def put_settings(body: SettingsIO, who: Principal = Depends(principal),
                 write: Write = Depends(writer)) -> SettingsIO:
    def work(session: Session) -> SettingsIO:
        row = service.update_sending_settings(session, store_id=who.store_id, **body.model_dump())
        return SettingsIO.model_validate(row)

    return write(work)


@router.post("/suppressions", status_code=201, response_model=dict[str, bool],
             responses={**CONFLICT, **WITH_BODY})
def add_suppression(body: SuppressionIn, who: Principal = Depends(principal),
                    write: Write = Depends(writer)) -> dict[str, bool]:
    def work(session: Session) -> dict[str, bool]:
        added = service.suppress(session, store_id=who.store_id, channel=body.channel,
                                 address=body.address, reason=body.reason)
        return {"added": added}

    return write(work)


@router.delete("/suppressions", response_model=dict[str, int],
               responses={**CONFLICT, **INVALID})
def remove_suppression(channel: Annotated[str, Query(pattern=r"^(email|sms)$")],
                       address: Annotated[str, Query(min_length=3, max_length=320)],
                       who: Principal = Depends(principal),
                       write: Write = Depends(writer)) -> dict[str, int]:
    def work(session: Session) -> dict[str, int]:
        removed = service.unsuppress(session, store_id=who.store_id, channel=channel,
                                     address=address)
        return {"removed": removed}

    return write(work)


@router.post("/webhook-endpoints", response_model=WebhookEndpointOut, status_code=201,
             responses={**SAME_URL, **CONFLICT, **WITH_BODY})
def add_endpoint(body: WebhookEndpointIn, response: Response,
                 who: Principal = Depends(principal),
                 config: Settings = Depends(settings),
                 write: Write = Depends(writer)) -> WebhookEndpointOut:
    """Add an endpoint (201). The URL is the endpoint: adding one already there sets
    its events and answers 200 with it. A URL whose host is a loopback, private,
    link-local or metadata address is refused (422) unless AFTERWARD_ALLOW_PRIVATE_URLS
    is on; a name that resolves to one is refused at each delivery, which then fails
    with the reason."""
    def work(session: Session) -> tuple[WebhookEndpointOut, bool]:
        row, added = service.put_webhook_endpoint(
            session, store_id=who.store_id, url=body.url, events=body.events,
            allow_private_urls=config.allow_private_urls)
        return WebhookEndpointOut(id=row.id, url=row.url, events=row.events,
                                  secret=row.secret), added

    out, added = write(work)
    response.status_code = 201 if added else 200
    return out


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret", response_model=WebhookEndpointOut,
             responses={**NOT_FOUND, **CONFLICT, **WITH_BODY})
def rotate_endpoint_secret(endpoint_id: IdPath, body: SecretRotationIn | None = None,
                           who: Principal = Depends(principal),
                           write: Write = Depends(writer)) -> WebhookEndpointOut:
    """A new signing secret, shown once in `secret`. Until `previous_secret_expires_at`
    (`grace_hours`, default 24; 0: at once) each delivery's `X-Afterward-Signature`
    carries a `v1` signature for the new secret and one for the replaced one."""
    grace = timedelta(hours=(body or SecretRotationIn()).grace_hours)

    def work(session: Session) -> WebhookEndpointOut:
        row = service.get_endpoint(session, store_id=who.store_id, endpoint_id=endpoint_id,
                                   lock=True)
        if row is None:
            raise ApiError(404, "not_found", "no such webhook endpoint in this store")
        service.rotate_webhook_secret(session, endpoint=row, grace=grace)
        return WebhookEndpointOut(id=row.id, url=row.url, events=row.events,
                                  secret=row.secret,
                                  previous_secret_expires_at=row.previous_expires_at)

    return write(work)


# --- links inside messages (no API key: the signed token is the credential) -----------

def _links(config: Settings) -> LinkSigner:
    return LinkSigner(config.secret_key, config.public_url)


@public.get("/m/o/{token}.gif")
def open_pixel(token: str, config: Settings = Depends(settings),
               write: Write = Depends(writer)) -> Response:
    def work(session: Session) -> Response:
        try:
            service.record_open(session, token=token, links=_links(config))
        except InvalidToken:
            pass  # a pixel always answers with a pixel
        return Response(PIXEL, media_type="image/gif",
                        headers={"Cache-Control": "no-store, max-age=0"})

    return write(work)


@public.get("/m/c/{token}")
def click(token: str, config: Settings = Depends(settings),
          write: Write = Depends(writer)) -> RedirectResponse:
    def work(session: Session) -> RedirectResponse:
        try:
            target = service.record_click(session, token=token, links=_links(config))
        except InvalidToken as exc:
            raise ApiError(404, "not_found", "this link is not valid") from exc
        return RedirectResponse(target, status_code=302)

    return write(work)


@public.get("/m/u/{token}", response_class=HTMLResponse)
def unsubscribe_page(token: str, request: Request,
                     config: Settings = Depends(settings)) -> HTMLResponse:
    # A GET never unsubscribes: mail scanners follow links. The button POSTs.
    try:
        _links(config).read("unsubscribe", token)
    except InvalidToken as exc:
        raise ApiError(404, "not_found", "this link is not valid") from exc
    action = html.escape(str(request.url.path), quote=True)
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        "<title>Unsubscribe</title><main style='font-family:sans-serif;max-width:30em;"
        "margin:3em auto'><h1>Unsubscribe</h1><p>Stop marketing messages to this address?</p>"
        f"<form method=post action='{action}'><input type=hidden name='List-Unsubscribe' "
        "value='One-Click'><button type=submit>Unsubscribe</button></form></main>")


@public.post("/m/u/{token}", response_class=HTMLResponse)
def unsubscribe(token: str, config: Settings = Depends(settings),
                write: Write = Depends(writer)) -> HTMLResponse:
    """RFC 8058 one-click: mail providers POST `List-Unsubscribe=One-Click` here."""
    def work(session: Session) -> HTMLResponse:
        try:
            service.unsubscribe(session, token=token, links=_links(config))
        except InvalidToken as exc:
            raise ApiError(404, "not_found", "this link is not valid") from exc
        return HTMLResponse("<!doctype html><meta charset=utf-8><title>Unsubscribed</title>"
                            "<main style='font-family:sans-serif;max-width:30em;margin:3em auto'>"
                            "<h1>You are unsubscribed</h1><p>You will not receive marketing "
                            "messages at this address any more.</p></main>")

    return write(work)

