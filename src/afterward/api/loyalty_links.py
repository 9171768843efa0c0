"""The loyalty API's OpenAPI links (Module.api_links): from a customer to their points
and to adjusting them."""

from __future__ import annotations

from afterward.api.openapi import API, CUSTOMER, ID, Link

LINKS: list[Link] = [
    Link(CUSTOMER, "GetLoyalty", ("GET", f"{API}/customers/{{customer_id}}/loyalty"),
         {"customer_id": ID}),
    Link(CUSTOMER, "AdjustPoints", ("POST", f"{API}/loyalty/adjustments"),
         body={"customer_id": "$response.body#/id"}),
]
