"""SMS through an HTTP provider with Twilio's request shape: a form POST of To,
From and Body to /2010-04-01/Accounts/{sid}/Messages.json with basic auth; the
answer is 201 and JSON with `sid` and `status`.

AFTERWARD_SMS_URL:
  twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=%2B15550001111
  twilio+http://SID:TOKEN@127.0.0.1:8099?from=%2B15550001111   (plain HTTP, for stand-ins)
Query parameters: from (E.164 sender; a literal '+' must be written %2B) or
messaging_service (a MessagingServiceSid instead of From), timeout (seconds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
from sqlalchemy.orm import Session

from afterward.messaging.channels import (
    Channel,
    ChannelConfig,
    ChannelError,
    Outgoing,
    Receipt,
    egress,
    register,
)


@dataclass(frozen=True)
class SmsTarget:
    endpoint: str
    account_sid: str
    auth_token: str
    sender: str | None = None
    messaging_service: str | None = None
    timeout: float = 10.0


def parse_sms_url(url: str) -> SmsTarget:
    parts = urlsplit(url)
    scheme = {"twilio": "https", "twilio+https": "https", "twilio+http": "http"}.get(
        parts.scheme.lower())
    if scheme is None or not parts.hostname or not parts.username or not parts.password:
        raise ValueError("AFTERWARD_SMS_URL must look like twilio://SID:TOKEN@host?from=%2B1555...")
    # parse_qs turns a bare '+' into a space; a sender is never meant to start with one.
    query = {k: v[-1].strip() for k, v in parse_qs(parts.query).items()}
    sender = query.get("from")
    if sender and not sender.startswith("+") and sender.isdigit():
        sender = "+" + sender
    if not sender and not query.get("messaging_service"):
        raise ValueError("AFTERWARD_SMS_URL needs from= (or messaging_service=)")
    sid = unquote(parts.username)
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return SmsTarget(
        endpoint=f"{scheme}://{netloc}/2010-04-01/Accounts/{quote(sid)}/Messages.json",
        account_sid=sid,
        auth_token=unquote(parts.password),
        sender=sender,
        messaging_service=query.get("messaging_service"),
        timeout=float(query.get("timeout", 10)),
    )


@register("sms")
class SmsChannel(Channel):
    def __init__(self, config: ChannelConfig) -> None:
        super().__init__(config)
        self.target = parse_sms_url(config.sms_url)  # a bad URL fails before anything is sent

    def send(self, message: Outgoing, session: Session) -> Receipt:
        target = self.target
        form = {"To": message.recipient, "Body": message.text or ""}
        if target.messaging_service:
            form["MessagingServiceSid"] = target.messaging_service
        else:
            form["From"] = target.sender or ""
        status, body = self._transmit(target, form)
        if status in (200, 201):
            if body.get("status") in ("failed", "undelivered"):
                raise ChannelError(f"provider refused: {body.get('status')}", transient=False)
            return Receipt("sms", str(body.get("sid") or "") or None)
        detail = f"provider answered {status}: {body.get('code', '')} {body.get('message', '')}"
        raise ChannelError(detail.strip(), transient=status == 429 or status >= 500)

    def _transmit(self, target: SmsTarget, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The network call. A failure to connect means nothing was sent; a failure
        after the request went out may have sent it (maybe_sent). A provider on a
        private host is refused (egress.py) unless the settings allow it."""
        try:
            response = egress.post(target.endpoint, allow_private=self.config.allow_private_urls,
                                   timeout=target.timeout, data=form,
                                   auth=(target.account_sid, target.auth_token))
        except egress.EgressRefused as exc:
            raise ChannelError(f"SMS provider {exc}", transient=False) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ChannelError(f"SMS provider unreachable: {exc!r}", transient=True) from exc
        except httpx.TransportError as exc:
            raise ChannelError(f"SMS provider connection lost: {exc!r}", transient=True,
                               maybe_sent=True) from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, dict) else {}
