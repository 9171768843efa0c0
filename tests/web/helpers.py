"""Builders shared by the admin tests (web and browser): admin users, signed-in
clients, orders and shipments through the public API."""

from __future__ import annotations

import re
from typing import Any

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response

from afterward.accounts import service as accounts
from afterward.storage.db import Database
from tests.factories import order_body

PASSWORD = "correct horse battery"
# The real parameters cost ~0.2 s per hash; tests that sign in dozens of times use these.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def make_admin(db: Database, email: str = "ann@example.com", *, password: str = PASSWORD,
               stores: tuple[str, ...] = ("acme",), owner: bool = False) -> int:
    with db.transaction() as session:
        user = accounts.create_user(session, email=email, password=password,
                                    store_slugs=stores, owner=owner)
        return user.id


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client: TestClient, email: str = "ann@example.com", password: str = PASSWORD,
            next_path: str = "") -> Response:
    form = client.get("/admin/login")
    return client.post("/admin/login", follow_redirects=False, data={
        "email": email, "password": password, "csrf": csrf_of(form.text), "next": next_path})


def place_order(client: TestClient, auth: dict[str, str], number: str,
                **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/orders", json=order_body(number, **overrides), headers=auth)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def add_shipment(client: TestClient, auth: dict[str, str], order_id: int,
                 tracking_number: str, **fields: Any) -> dict[str, Any]:
    body = {"order_id": order_id, "carrier": "dhl", "tracking_number": tracking_number, **fields}
    response = client.post("/api/v1/shipments", json=body, headers=auth)
    assert response.status_code == 201, response.text
    shipment: dict[str, Any] = response.json()
    return shipment
