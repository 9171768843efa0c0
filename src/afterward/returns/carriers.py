"""Carrier labels for return parcels: the adapter interface, and EasyPost's real HTTP
API behind it.

An adapter buys a prepaid return label: `create_return_label(request)` ->
CarrierLabel(carrier, tracking_number, label_url, shipment_id). It may call
`request.on_created(shipment_id)` once the carrier has a shipment and before it is
bought, so a retry after a lost answer resumes that shipment instead of buying a
second label (returns/label_jobs.py keeps the id). Failures raise CarrierError:
`retry=False` when asking again cannot help (the carrier refused the request).

EasyPost (https://docs.easypost.com, "Shipments" and "Returns"): POST /v2/shipments
with `is_return: true` and the original parcel's addresses (the shopper as
`to_address`, the warehouse as `from_address`: EasyPost swaps them on a return),
then POST /v2/shipments/{id}/buy with the lowest rate; HTTP Basic with the API key
as user name. The base URL is configurable (a stand-in on loopback in tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import httpx

from afterward.config import env_str
from afterward.tls import client_context
from afterward.tracking.carriers.registry import normalize_code

EASYPOST_URL = "https://api.easypost.com"


@dataclass(frozen=True)
class Address:
    name: str
    street1: str
    city: str
    zip: str
    country: str
    street2: str | None = None
    state: str | None = None
    company: str | None = None
    phone: str | None = None
    email: str | None = None

    def as_json(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Parcel:
    length: float
    width: float
    height: float
    weight: float  # ounces


@dataclass(frozen=True)
class LabelRequest:
    store_id: int
    return_number: str
    from_address: Address  # the shopper (the original parcel's destination)
    to_address: Address  # the warehouse
    parcel: Parcel
    shipment_id: str | None = None  # a shipment an earlier attempt created
    on_created: Callable[[str], None] = field(default=lambda _id: None, compare=False)


@dataclass(frozen=True)
class CarrierLabel:
    carrier: str  # our carrier code, as tracking knows carriers (usps, ups, dhl_express...)
    tracking_number: str
    label_url: str | None
    label_pdf: bytes | None = None
    shipment_id: str | None = None
    service: str | None = None


class CarrierError(Exception):
    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class LabelAdapter(Protocol):
    name: str

    def create_return_label(self, request: LabelRequest) -> CarrierLabel: ...


class EasyPost:
    """EasyPost's shipments API over HTTP."""

    name = "easypost"

    def __init__(self, api_key: str, base_url: str = EASYPOST_URL, *,
                 timeout: float = 20.0) -> None:
        self.api_key, self.base_url, self.timeout = api_key, base_url.rstrip("/"), timeout

    def create_return_label(self, request: LabelRequest) -> CarrierLabel:
        if not self.api_key:
            raise CarrierError("no EasyPost API key (AFTERWARD_EASYPOST_API_KEY)", retry=False)
        with httpx.Client(base_url=self.base_url, auth=(self.api_key, ""),
                          timeout=self.timeout, verify=client_context()) as client:
            shipment = None
            if request.shipment_id:
                shipment = self._call(client, "GET", f"/v2/shipments/{request.shipment_id}")
                if shipment.get("tracking_code"):
                    return _label(shipment)
            if shipment is None:
                shipment = self._call(client, "POST", "/v2/shipments", {"shipment": {
                    "is_return": True, "reference": f"return-{request.return_number}",
                    "to_address": request.from_address.as_json(),
                    "from_address": request.to_address.as_json(),
                    "parcel": request.parcel.__dict__,
                    "options": {"label_format": "PDF"}}})
                shipment_id = _text(shipment.get("id"), "id")
                request.on_created(shipment_id)
            rate = cheapest(shipment.get("rates"))
            bought = self._call(client, "POST", f"/v2/shipments/{_text(shipment.get('id'), 'id')}"
                                "/buy", {"rate": {"id": rate}})
            return _label(bought)

    def _call(self, client: httpx.Client, method: str, path: str,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            answer = client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise CarrierError(f"EasyPost {method} {path}: {type(exc).__name__}") from exc
        if answer.status_code >= 400:
            raise CarrierError(f"EasyPost {method} {path}: {answer.status_code} "
                               f"{_message(answer)}",
                               retry=answer.status_code in (408, 409, 425, 429)
                               or answer.status_code >= 500)
        try:
            data = answer.json()
        except ValueError as exc:
            raise CarrierError(f"EasyPost {method} {path}: not JSON") from exc
        if not isinstance(data, dict):
            raise CarrierError(f"EasyPost {method} {path}: not a JSON object")
        return data


def cheapest(rates: Any) -> str:
    """The id of the lowest rate (EasyPost's `rate` is a decimal string)."""
    priced = []
    for rate in rates if isinstance(rates, list) else []:
        try:
            priced.append((Decimal(str(rate["rate"])), str(rate["id"])))
        except (KeyError, TypeError, InvalidOperation):
            continue
    if not priced:
        raise CarrierError("EasyPost offered no rate for this parcel", retry=False)
    return min(priced)[1]


def _label(shipment: dict[str, Any]) -> CarrierLabel:
    label = shipment.get("postage_label") or {}
    selected = shipment.get("selected_rate") or {}
    return CarrierLabel(
        carrier=normalize_code(str(selected.get("carrier") or shipment.get("carrier") or ""))
        or "other",
        tracking_number=_text(shipment.get("tracking_code"), "tracking_code"),
        label_url=(label.get("label_pdf_url") or label.get("label_url")) or None,
        shipment_id=_text(shipment.get("id"), "id"),
        service=str(selected.get("service"))[:64] if selected.get("service") else None)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 100:
        raise CarrierError(f"EasyPost answered without a usable {name}")
    return value


def _message(answer: httpx.Response) -> str:
    try:
        error = answer.json().get("error") or {}
        return str(error.get("message") or error.get("code") or "")[:200]
    except (ValueError, AttributeError):
        return answer.text[:200]


# ------------------------------------------------------------------ configuration

_lock = threading.Lock()
_adapters: dict[str, LabelAdapter] = {}


def configure(settings: object = None) -> None:
    """Module.configure: EasyPost from AFTERWARD_EASYPOST_API_KEY and
    AFTERWARD_EASYPOST_URL (default https://api.easypost.com)."""
    use(EasyPost(env_str("EASYPOST_API_KEY", ""), env_str("EASYPOST_URL", EASYPOST_URL)))


def use(adapter: LabelAdapter) -> None:
    with _lock:
        _adapters[adapter.name] = adapter


def adapter(name: str) -> LabelAdapter | None:
    with _lock:
        if not _adapters:
            configure()
        return _adapters.get(name)
