"""Recorded provider payloads in their webhook envelopes, and how each provider signs."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import unicodedata
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent.parent / "data"
SECRETS = {"easypost": "ep_whsec_0123456789", "aftership": "as_whsec_0123456789",
           "shippo": "shippo-shared-token-0123456789", "generic": "generic_whsec_0123456789"}
NUMBERS = {"easypost": "EZ1000000001", "aftership": "3SKAAG5995399",
           "shippo": "9205590164917312751089", "generic": "1Z999AA10123456784"}


def _load(path: str) -> dict[str, Any]:
    return json.loads((DATA / path).read_text())


def easypost_tracker() -> dict[str, Any]:
    return _load("easypost/tracker_usps.json")


def easypost_event(tracker: dict[str, Any] | None = None,
                   description: str = "tracker.updated") -> dict[str, Any]:
    return {"object": "Event", "id": "evt_0f1e2d3c4b5a", "mode": "test",
            "description": description, "result": tracker or easypost_tracker()}


def aftership_tracking() -> dict[str, Any]:
    return copy.deepcopy(_load("aftership/tracking_postnl.json")["data"]["tracking"])


def aftership_webhook(tracking: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"event": "tracking_update", "event_id": "5f1c0d1e-2c3b-4a59-8e7d-6c5b4a392817",
            "is_tracking_first_tag": False, "ts": 1616730000,
            "msg": tracking or aftership_tracking()}


def shippo_webhook() -> dict[str, Any]:
    return _load("shippo/track_updated.json")


def generic_body() -> dict[str, Any]:
    return _load("generic/tracking.json")


def webhook(provider: str) -> dict[str, Any]:
    return {"easypost": easypost_event, "aftership": aftership_webhook,
            "shippo": shippo_webhook, "generic": generic_body}[provider]()


def signed(provider: str, body: bytes, secret: str | None = None) -> tuple[dict[str, str], str]:
    """(headers, query string) that prove the body came from the provider."""
    key = secret or SECRETS[provider]
    if provider == "easypost":
        digest = hmac.new(unicodedata.normalize("NFKD", key).encode(), body,
                          hashlib.sha256).hexdigest()
        return {"X-Hmac-Signature": f"hmac-sha256-hex={digest}"}, ""
    if provider == "aftership":
        digest = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
        return {"aftership-hmac-sha256": digest}, ""
    if provider == "shippo":
        return {}, f"?token={key}"
    digest = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Afterward-Signature": f"sha256={digest}"}, ""
