"""Outbound webhooks: a JSON POST signed with HMAC-SHA256 over "<timestamp>.<body>",
sent as `X-Afterward-Signature: t=<unix seconds>,v1=<hex>`. Receivers check the
signature and the timestamp (replays) and dedupe on `X-Afterward-Delivery`:
deliveries are at least once, retried with backoff through the jobs table.

While a rotated secret is in its grace period the header carries one v1 per secret,
the new one first (`t=...,v1=<new>,v1=<old>`), as Stripe's does: a receiver that
tries every v1 value (as `verify` does) accepts the delivery with either secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from sqlalchemy.orm import Session

from afterward.messaging.channels import (
    Channel,
    ChannelError,
    Outgoing,
    Receipt,
    egress,
    register,
)

SIGNATURE_HEADER = "X-Afterward-Signature"
TRANSIENT_STATUSES = frozenset({408, 425, 429})


def encode_body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode()


def signature(secret: str, body: bytes, timestamp: int, *also: str) -> str:
    """The header's value: the timestamp, then a v1 for `secret` and one for each of `also`."""
    macs = (hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
            for key in (secret, *also))
    return ",".join([f"t={timestamp}", *(f"v1={mac.hexdigest()}" for mac in macs)])


def verify(secret: str, body: bytes, header: str, *, now: float | None = None,
           tolerance: int = 300) -> bool:
    """What a receiver does: every v1 value is tried; an old timestamp is refused."""
    fields = [part.partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in fields if key.strip() == "t"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit():
        return False
    timestamp = int(stamps[0])
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).rpartition("v1=")[2]
    return any(key.strip() == "v1" and hmac.compare_digest(value.strip(), expected)
               for key, _, value in fields)


@register("webhook")
class WebhookChannel(Channel):
    def send(self, message: Outgoing, session: Session) -> Receipt:
        if not message.signing_secret:
            raise ChannelError("webhook endpoint has no signing secret", transient=False)
        body = encode_body(message.payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Afterward-Webhooks/1",
            SIGNATURE_HEADER: signature(message.signing_secret, body, int(time.time()),
                                        *message.previous_signing_secrets),
            "X-Afterward-Delivery": message.idempotency_key,
            "X-Afterward-Event": str(message.payload.get("type", "")),
        }
        status = self._transmit(message.recipient, body, headers)
        if 200 <= status < 300:
            return Receipt("webhook", str(status))
        transient = status in TRANSIENT_STATUSES or status >= 500
        raise ChannelError(f"endpoint answered {status}", transient=transient)

    def _transmit(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The network call; redirects are not followed (a moved endpoint is an error),
        and a private host is refused (egress.py) unless the settings allow it."""
        try:
            response = egress.post(url, allow_private=self.config.allow_private_urls,
                                   timeout=self.config.timeout, content=body, headers=headers)
        except egress.EgressRefused as exc:
            raise ChannelError(str(exc), transient=False) from exc
        except (httpx.InvalidURL, UnicodeError) as exc:  # stored before URLs were checked
            raise ChannelError(f"the endpoint URL is not valid: {exc}", transient=False) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ChannelError(f"endpoint unreachable: {exc!r}", transient=True) from exc
        except httpx.TransportError as exc:
            raise ChannelError(f"connection lost: {exc!r}", transient=True,
                               maybe_sent=True) from exc
        return response.status_code
