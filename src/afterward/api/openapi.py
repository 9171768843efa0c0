"""What /openapi.json says beyond what FastAPI derives from the routes, added in one
place: the journey definition language (a JSON Schema: the parser is code), the
webhook URLs this server's settings accept, and links from the operations that make
an object to those that use it, so a client (or a stateful test) can follow an order
to its cancellation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from afterward import modules
from afterward.config import Settings
from afterward.journeys import definition_schema
from afterward.messaging import endpoints

API = "/api/v1"
ID = "$response.body#/id"


@dataclass(frozen=True)
class Link:
    """From the success of one operation to another, with the values to carry over:
    `parameters` (by name) and `body` (fields of the target's JSON body)."""

    source: tuple[str, str]
    name: str
    target: tuple[str, str]
    parameters: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)


def links_from(source: tuple[str, str], *targets: tuple[str, tuple[str, str], dict[str, str]]
          ) -> list[Link]:
    return [Link(source, name, target, parameters) for name, target, parameters in targets]


ORDER = ("POST", f"{API}/orders")
CUSTOMER = ("POST", f"{API}/customers")
_JOURNEY = ("PUT", f"{API}/journeys/{{key}}")
_KEY = {"key": "$request.path.key"}
_TEMPLATE = {"key": "$request.path.key", "locale": "$request.path.locale"}
LINKS: list[Link] = [
    *links_from(ORDER,
           ("GetOrder", ("GET", f"{API}/orders/{{order_id}}"), {"order_id": ID}),
           ("CancelOrder", ("POST", f"{API}/orders/{{order_id}}/cancel"), {"order_id": ID}),
           ("ListShipments", ("GET", f"{API}/shipments"), {"order_id": ID})),
    Link(ORDER, "AddShipment", ("POST", f"{API}/shipments"), body={"order_id": ID}),
    Link(ORDER, "QueueMessage", ("POST", f"{API}/messages"), body={"order_id": ID}),
    *links_from(CUSTOMER,
           ("GetCustomer", ("GET", f"{API}/customers/{{customer_id}}"), {"customer_id": ID}),
           ("ExportCustomer", ("GET", f"{API}/customers/{{customer_id}}/export"),
            {"customer_id": ID}),
           ("EraseCustomer", ("POST", f"{API}/customers/{{customer_id}}/erase"),
            {"customer_id": ID}),
           ("ListOrders", ("GET", f"{API}/orders"), {"customer_id": ID}),
           ("ListMessages", ("GET", f"{API}/messages"), {"customer_id": ID})),
    *links_from(("POST", f"{API}/products"),
           ("GetProduct", ("GET", f"{API}/products/{{product_id}}"), {"product_id": ID})),
    *links_from(("POST", f"{API}/shipments"),
           ("GetShipment", ("GET", f"{API}/shipments/{{shipment_id}}"), {"shipment_id": ID}),
           ("GetOrder", ("GET", f"{API}/orders/{{order_id}}"),
            {"order_id": "$response.body#/order_id"})),
    *links_from(("POST", f"{API}/webhook-endpoints"),
           ("RotateSecret", ("POST", f"{API}/webhook-endpoints/{{endpoint_id}}/rotate-secret"),
            {"endpoint_id": ID})),
    *links_from(("POST", f"{API}/messages"),
           ("GetMessage", ("GET", f"{API}/messages/{{message_id}}"), {"message_id": ID})),
    *links_from(_JOURNEY,
           ("GetJourney", ("GET", f"{API}/journeys/{{key}}"), _KEY),
           ("EnableJourney", ("POST", f"{API}/journeys/{{key}}/enable"), _KEY),
           ("DisableJourney", ("POST", f"{API}/journeys/{{key}}/disable"), _KEY),
           ("GetVersion", ("GET", f"{API}/journeys/{{key}}/versions/{{version}}"),
            {**_KEY, "version": "$response.body#/version"}),
           ("ListEnrolments", ("GET", f"{API}/journeys/{{key}}/enrolments"), _KEY),
           ("GetResults", ("GET", f"{API}/journeys/{{key}}/results"), _KEY)),
    *links_from(("PUT", f"{API}/templates/{{key}}/email/{{locale}}"),
           ("ListVersions", ("GET", f"{API}/templates/{{key}}/email/{{locale}}"), _TEMPLATE)),
    *links_from(("PUT", f"{API}/templates/{{key}}/sms/{{locale}}"),
           ("ListVersions", ("GET", f"{API}/templates/{{key}}/sms/{{locale}}"), _TEMPLATE)),
]
# Request bodies whose schema is written by hand (journeys/definition_schema.py).
BODIES = {("POST", f"{API}/journeys/validate"): "JourneyDefinition",
          ("PUT", f"{API}/journeys/{{key}}"): "JourneyUpdate"}


def all_links() -> list[Link]:
    """These links and those the installed modules declare (Module.api_links)."""
    return [*LINKS, *(link for links in modules.resolved("api_links") for link in links)]


def install(app: FastAPI) -> None:
    """Make app.openapi() return the routes' document with these additions (for the
    app's settings at the time)."""
    derived = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = completed(derived(), app.state.settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def completed(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(definition_schema.components())
    if settings.allow_private_urls:  # then any host, a private address too
        schemas["WebhookEndpointIn"]["properties"]["url"]["pattern"] = endpoints.URL_PATTERN
    for (method, path), name in BODIES.items():
        body = _operation(document, method, path)["requestBody"]["content"]["application/json"]
        body["schema"] = definition_schema.ref(name.removeprefix(definition_schema.PREFIX))
    for link in all_links():
        _add(document, link)
    return document


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][path][method.lower()]
    return operation


def _add(document: dict[str, Any], link: Link) -> None:
    source = _operation(document, *link.source)
    target = _operation(document, *link.target)
    described: dict[str, Any] = {"operationId": target["operationId"]}
    if link.parameters:
        described["parameters"] = link.parameters
    if link.body:
        described["requestBody"] = link.body
    for status in ("200", "201"):
        if status in source["responses"]:
            source["responses"][status].setdefault("links", {})[link.name] = described
