"""What /openapi.json promises about refusals, and the API keeping it: every status an
operation can answer is documented in the error shape, a 405 names every method of
its path, a body of the wrong JSON type is a 422, links lead to real operations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from afterward.app import create_app
from afterward.config import Settings

ERROR_SHAPE = {"$ref": "#/components/schemas/ErrorResponse"}


def spec() -> dict[str, Any]:
    app = create_app(Settings(database_url="sqlite:////tmp/afterward-unused.db",
                              secret_key="test-secret-key-0123456789"))
    document: dict[str, Any] = app.openapi()
    return document


SPEC = spec()
OPERATIONS = [(method.upper(), path, operation) for path, item in SPEC["paths"].items()
              for method, operation in item.items()]
KEYED = [(m, p, o) for m, p, o in OPERATIONS if "/webhooks/" not in p]
WITH_BODY = sorted((m, p) for m, p, o in OPERATIONS if "requestBody" in o)


def label(operation: tuple[str, str, Any]) -> str:
    return f"{operation[0]} {operation[1]}"


@pytest.mark.parametrize("operation", KEYED, ids=label)
def test_every_keyed_operation_documents_its_refusals_in_the_error_shape(operation):
    _, _, described = operation
    answers = described["responses"]
    expected = {"400", "401", "503"}
    if "requestBody" in described:
        expected |= {"413", "422"}
    if described.get("parameters"):
        expected |= {"422"}

    assert expected <= set(answers)
    for status, answer in answers.items():
        if status >= "400":
            assert answer["content"]["application/json"]["schema"] == ERROR_SHAPE, status
    assert "HTTPValidationError" not in json.dumps(described)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/v1/orders"), ("POST", "/api/v1/customers"), ("POST", "/api/v1/products"),
    ("POST", "/api/v1/shipments"), ("POST", "/api/v1/webhook-endpoints"),
    ("PUT", "/api/v1/journeys/{key}"), ("PUT", "/api/v1/templates/{key}/email/{locale}"),
    ("PUT", "/api/v1/templates/{key}/sms/{locale}"),
])
def test_an_upsert_documents_both_its_answers(method, path):
    assert {"200", "201"} <= set(SPEC["paths"][path][method.lower()]["responses"])


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("OPTIONS", "/api/v1/orders", "GET, POST"),
    ("DELETE", "/api/v1/orders/1", "GET"),
    ("PATCH", "/api/v1/suppressions", "DELETE, POST"),
    ("GET", "/api/v1/journeys/validate", "POST"),
    ("PUT", "/api/v1/journeys/install-builtins", "POST"),
    ("PATCH", "/api/v1/journeys/welcome", "GET, PUT"),
    ("DELETE", "/api/v1/templates/welcome/sms/en", "GET, PUT"),
])
def test_a_405_names_every_method_of_its_path(client, store, method, path, allowed):
    response = client.request(method, path, headers=store.auth)

    assert (response.status_code, response.headers["allow"]) == (405, allowed)
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "7"])
@pytest.mark.parametrize(("method", "path"), WITH_BODY, ids=" ".join)
def test_a_json_body_of_the_wrong_type_is_a_422_in_the_error_shape(client, store, method,
                                                                   path, body):
    url = (path.replace("{key}", "welcome").replace("{locale}", "en"))

    response = client.request(method, url, content=body, headers={
        **store.auth, "Content-Type": "application/json"})

    assert response.status_code == 422, response.text
    assert set(response.json()["error"]) == {"code", "message", "field"}


def test_every_link_leads_to_an_operation_and_its_parameters():
    by_id = {o["operationId"]: o for _, _, o in OPERATIONS}
    links = [link for _, _, o in OPERATIONS for answer in o["responses"].values()
             for link in answer.get("links", {}).values()]

    assert len(links) >= 25
    for link in links:
        target = by_id[link["operationId"]]
        names = {p["name"] for p in target.get("parameters", [])}
        assert set(link.get("parameters", {})) <= names, link
        if "requestBody" in link:
            assert "requestBody" in target, link


def test_a_query_parameter_given_twice_is_refused(client, store):
    response = client.get("/api/v1/orders?limit=5&limit=6", headers=store.auth)

    assert response.status_code == 422
    assert response.json()["error"] == {"code": "invalid", "field": "limit",
                                        "message": "limit is given more than once"}


@pytest.mark.parametrize("written", ["1.5", "+1", "1e0", " 1"])
def test_a_number_in_a_path_or_query_is_written_in_digits(client, store, written):
    by_path = client.get(f"/api/v1/orders/{written}", headers=store.auth)
    by_query = client.get("/api/v1/orders", params={"limit": written}, headers=store.auth)

    assert (by_path.status_code, by_query.status_code) == (422, 422)


def test_a_flag_is_true_or_false(client, store):
    response = client.post("/api/v1/orders?upsert=yes", json={}, headers=store.auth)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "upsert"
