"""A bounded schemathesis run against our own /openapi.json: whatever the
generator sends, the API answers in its documented error shape and never with a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.factories import order_body, product_body

EXAMPLES_PER_OPERATION = 40


def test_the_api_never_answers_with_a_server_error(app, client, store):
    client.post("/api/v1/orders", json=order_body(), headers=store.auth)
    client.post("/api/v1/products", json=product_body(), headers=store.auth)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:
            case.headers = {**(case.headers or {}), **store.auth}
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text}")
            elif response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"}, body
                assert set(body["error"]) == {"code", "message", "field"}, body

        exercise()

    assert len(operations) >= 12
    assert failures == []
