"""The returns API's OpenAPI links (Module.api_links): from an order to requesting its
return, from a customer to their store credit, from a new return to what follows it."""

from __future__ import annotations

from afterward.api.openapi import API, CUSTOMER, ID, ORDER, Link, links_from

_RETURN = ("POST", f"{API}/returns")
_RETURN_ID = {"return_id": ID}

LINKS: list[Link] = [
    Link(ORDER, "RequestReturn", _RETURN, body={"order_number": "$response.body#/number"}),
    Link(CUSTOMER, "GetStoreCredit", ("GET", f"{API}/customers/{{customer_id}}/store-credit"),
         {"customer_id": ID}),
    *links_from(_RETURN,
                ("GetReturn", ("GET", f"{API}/returns/{{return_id}}"), _RETURN_ID),
                ("ApproveReturn", ("POST", f"{API}/returns/{{return_id}}/approve"), _RETURN_ID),
                ("RejectReturn", ("POST", f"{API}/returns/{{return_id}}/reject"), _RETURN_ID),
                ("ReceiveReturn", ("POST", f"{API}/returns/{{return_id}}/receive"),
                 _RETURN_ID),
                ("AddReturnPhoto", ("POST", f"{API}/returns/{{return_id}}/photos"),
                 _RETURN_ID)),
]
