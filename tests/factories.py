"""Small builders for request bodies, with sensible defaults."""

from __future__ import annotations

from typing import Any


def order_body(number: str = "1001", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": number,
        "placed_at": "2026-03-01T10:00:00Z",
        "currency": "EUR",
        "email": "ada@example.com",
        "customer": {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
        "lines": [
            {"sku": "TEA-1", "title": "Green tea", "quantity": 2, "unit_price_minor": 450},
            {"sku": "MUG-1", "title": "Mug", "quantity": 1, "unit_price_minor": 1200},
            {"sku": "CUP-1", "title": "Cup", "quantity": 3, "unit_price_minor": 300},
        ],
        "shipping_minor": 495,
        "tax_minor": 0,
        "shipping_address": {"name": "Ada Lovelace", "city": "Berlin", "postal_code": "10115",
                             "country": "DE"},
    }
    body.update(overrides)
    return body


def product_body(sku: str = "TEA-1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"p-{sku}",
        "title": "Green tea",
        "category": "tea",
        "replenishment_days": 30,
        "care_content": "Keep dry and away from light.",
        "variants": [{"sku": sku, "price_minor": 450, "currency": "EUR"}],
    }
    body.update(overrides)
    return body
