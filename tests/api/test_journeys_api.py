"""Journeys API: versioned saves, errors naming the path, switching on and off,
enrolments with history, results, and one store never seeing another's journeys."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from afterward.journeys.models import Enrolment, EnrolmentStep, Journey, JourneyVersion
from afterward.storage.types import utcnow
from tests.factories import order_body
from tests.journeys.helpers import consume, definition, step, the_enrolments


def put(client, store, raw, key=None):
    return client.put(f"/api/v1/journeys/{key or raw['key']}", json=raw, headers=store.auth)


def test_each_changed_save_is_a_new_version_and_an_unchanged_one_is_not(client, store):
    first = put(client, store, definition())
    same = put(client, store, definition())
    changed = put(client, store, definition(name="Thank you"))

    assert first.status_code == 201, first.text
    assert (same.status_code, changed.status_code) == (200, 201)
    body = changed.json()
    assert (body["key"], body["name"], body["version"], body["enabled"]) == (
        "thanks", "Thank you", 2, False)
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert body["definition"] == definition(name="Thank you")
    assert (body["enrolled"], body["active"], body["completed"], body["exited"]) == (0, 0, 0, 0)
    old = client.get("/api/v1/journeys/thanks/versions/1", headers=store.auth)
    assert old.status_code == 200
    assert old.json()["definition"] == definition()
    assert client.get("/api/v1/journeys/thanks/versions/3",
                      headers=store.auth).status_code == 404


def test_an_invalid_definition_is_refused_with_its_path_and_nothing_is_saved(client, db, store):
    raw = definition(steps=[{"wait": {"duration": "soon"}}])

    response = put(client, store, raw)

    assert response.status_code == 422
    assert response.json() == {"error": {
        "code": "invalid", "field": "steps[0].wait.duration",
        "message": "steps[0].wait.duration: 'soon' is not a duration like P3D, PT12H, 3d or 12h"}}
    with db.reading() as session:
        assert session.scalar(select(func.count(Journey.id))) == 0


def test_the_key_in_the_body_must_be_the_key_in_the_path(client, store):
    response = put(client, store, definition(key="other"), key="thanks")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "key"
    missing = client.put("/api/v1/journeys/thanks", headers=store.auth,
                         json={k: v for k, v in definition().items() if k != "key"})
    assert missing.status_code == 201
    assert missing.json()["key"] == "thanks"


def test_validate_checks_without_saving(client, db, store):
    ok = client.post("/api/v1/journeys/validate", json=definition(), headers=store.auth)
    bad = client.post("/api/v1/journeys/validate", json={"key": "x"}, headers=store.auth)

    assert ok.json() == {"valid": True, "key": "thanks", "name": "Thanks",
                         "trigger_events": ["order.created"], "steps": 1}
    assert bad.status_code == 422
    with db.reading() as session:
        assert session.scalar(select(func.count(Journey.id))) == 0


def test_enable_and_disable(client, store):
    put(client, store, definition())

    on = client.post("/api/v1/journeys/thanks/enable", headers=store.auth)
    off = client.post("/api/v1/journeys/thanks/disable", headers=store.auth)
    unknown = client.post("/api/v1/journeys/nope/enable", headers=store.auth)

    assert (on.status_code, on.json()["enabled"]) == (200, True)
    assert (off.status_code, off.json()["enabled"]) == (200, False)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"


def test_install_builtins_through_the_api_is_idempotent(client, store):
    first = client.post("/api/v1/journeys/install-builtins", headers=store.auth)
    second = client.post("/api/v1/journeys/install-builtins", headers=store.auth)

    assert {i["outcome"] for i in first.json()["items"]} == {"created"}
    assert {i["outcome"] for i in second.json()["items"]} == {"unchanged"}
    listed = client.get("/api/v1/journeys", headers=store.auth).json()["items"]
    # 12 of journeys' own, 4 of returns, 5 of loyalty, 2 of feedback, 2 of insights
    # (replenishment, subscription renewal risk), 2 of the assistant (the team's
    # answer, the tracking link asked for)
    assert len(listed) == 27 and all(j["enabled"] and j["builtin"] for j in listed)


def enrol_one(client, db, store):
    put(client, store, definition(steps=[{"key": "wait", "wait": {"duration": "P1D"}},
                                         {"key": "hello", "send": {
                                             "template": "order_confirmation"}}]))
    client.post("/api/v1/journeys/thanks/enable", headers=store.auth)
    order = client.post("/api/v1/orders", headers=store.auth,
                        json=order_body(placed_at=utcnow().isoformat())).json()
    consume(db, store.id)
    [row] = the_enrolments(db, store.id)
    step(db, row.id)
    return row.id, order


def test_enrolments_and_their_history(client, db, store):
    enrolment_id, order = enrol_one(client, db, store)
    step(db, enrolment_id, now=utcnow() + timedelta(days=1))

    listed = client.get("/api/v1/journeys/thanks/enrolments", headers=store.auth).json()
    detail = client.get(f"/api/v1/journey-enrolments/{enrolment_id}", headers=store.auth)
    active = client.get("/api/v1/journeys/thanks/enrolments?status=active", headers=store.auth)

    [item] = listed["items"]
    assert (item["id"], item["journey_key"], item["version"], item["status"]) == (
        enrolment_id, "thanks", 1, "completed")
    assert (item["order_id"], item["customer_id"]) == (order["id"], order["customer_id"])
    assert active.json()["items"] == []
    assert detail.status_code == 200
    steps = [(h["step_key"], h["kind"]) for h in detail.json()["history"]]
    assert steps == [(None, "enrolled"), ("wait", "wait"), ("wait", "waited"),
                     ("hello", "send"), (None, "completed")]
    assert detail.json()["history"][3]["message_id"] is not None
    summary = client.get("/api/v1/journeys/thanks", headers=store.auth).json()
    assert (summary["enrolled"], summary["completed"]) == (1, 1)


def test_results_for_a_journey_without_a_holdout_are_empty(client, store):
    put(client, store, definition())

    response = client.get("/api/v1/journeys/thanks/results?window_days=14", headers=store.auth)
    too_long = client.get("/api/v1/journeys/thanks/results?window_days=999", headers=store.auth)

    assert response.status_code == 200
    body = response.json()
    assert (body["window_days"], body["pending"], body["conversion_lift"]) == (14, 0, None)
    assert body["treatment"] == {"customers": 0, "converted": 0, "conversion_rate": None,
                                 "revenue_minor": 0, "revenue_per_customer_minor": None,
                                 "codes_issued": 0, "codes_redeemed": 0,
                                 "code_revenue_minor": 0}
    assert too_long.status_code == 422


def counts(db):
    with db.reading() as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m))
                for m in (Journey, JourneyVersion, Enrolment, EnrolmentStep)}


def test_another_store_s_key_can_neither_read_nor_change_a_journey(client, db, make_store):
    a, b = make_store("store-a"), make_store("store-b")
    enrolment_id, _ = enrol_one(client, db, a)
    before = counts(db)
    routes = [
        ("get", "/api/v1/journeys/thanks"), ("get", "/api/v1/journeys/thanks/versions/1"),
        ("post", "/api/v1/journeys/thanks/enable"), ("post", "/api/v1/journeys/thanks/disable"),
        ("get", "/api/v1/journeys/thanks/enrolments"), ("get", "/api/v1/journeys/thanks/results"),
        ("get", f"/api/v1/journey-enrolments/{enrolment_id}"),
    ]

    for method, path in routes:
        response = client.request(method.upper(), path, headers=b.auth)
        assert response.status_code == 404, (method, path, response.text)
    assert client.get("/api/v1/journeys", headers=b.auth).json() == {"items": []}
    assert counts(db) == before

    own = put(client, b, definition(name="B's thanks"))
    assert (own.status_code, own.json()["version"]) == (201, 1)
    mine = client.get("/api/v1/journeys/thanks", headers=a.auth).json()
    assert (mine["name"], mine["version"], mine["enabled"]) == ("Thanks", 1, True)


def test_every_journey_route_is_in_the_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]

    assert {p for p in paths if "journey" in p} == {
        "/api/v1/journeys", "/api/v1/journeys/validate", "/api/v1/journeys/install-builtins",
        "/api/v1/journeys/{key}", "/api/v1/journeys/{key}/versions/{version}",
        "/api/v1/journeys/{key}/enable", "/api/v1/journeys/{key}/disable",
        "/api/v1/journeys/{key}/enrolments", "/api/v1/journeys/{key}/results",
        "/api/v1/journey-enrolments/{enrolment_id}"}
