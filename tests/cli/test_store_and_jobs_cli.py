from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from afterward import jobs
from afterward.cli.main import app
from afterward.commerce.models import ApiKey, Store, WebhookSecret
from afterward.jobs import Job
from afterward.storage.db import Database
from afterward.storage.types import utcnow

runner = CliRunner()


@pytest.fixture(autouse=True)
def database_env(monkeypatch, db_url):
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-key")


def run(*args: str):
    return runner.invoke(app, list(args))


def test_store_create_prints_the_slug_and_a_key_that_is_stored_hashed(db):
    result = run("store", "create", "--slug", "acme", "--name", "Acme", "--currency", "EUR",
                 "--timezone", "Europe/Berlin", "--json")

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert printed["slug"] == "acme"
    assert printed["api_key"].startswith("aw_")
    with db.reading() as session:
        store = session.scalar(select(Store))
        key = session.scalar(select(ApiKey))
        assert (store.currency, store.timezone) == ("EUR", "Europe/Berlin")
        assert printed["api_key"] not in (key.key_hash, key.prefix)
        assert len(key.key_hash) == 64


def test_the_printed_key_works_against_the_api(client):
    key = json.loads(run("store", "create", "--slug", "acme", "--name", "Acme",
                         "--json").stdout.strip().splitlines()[-1])["api_key"]

    response = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 200


@pytest.mark.parametrize("args,message", [
    (["--slug", "Bad Slug", "--name", "X"], "slug"),
    (["--slug", "acme", "--name", "X", "--currency", "EURO"], "unknown currency"),
    (["--slug", "acme", "--name", "X", "--timezone", "Mars/Base"], "unknown time zone"),
])
def test_store_create_refuses_bad_input_with_one_line_and_writes_nothing(db, args, message):
    result = run("store", "create", *args)

    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    with db.reading() as session:
        assert session.scalar(select(Store)) is None


def test_a_duplicate_slug_is_refused(db):
    run("store", "create", "--slug", "acme", "--name", "Acme")

    result = run("store", "create", "--slug", "acme", "--name", "Other")

    assert result.exit_code == 1
    assert "already exists" in result.output


def test_store_secret_sets_and_replaces_a_secret_without_echoing_it(db):
    run("store", "create", "--slug", "acme", "--name", "Acme")

    first = run("store", "secret", "acme", "shopify", "first-secret-value")
    second = run("store", "secret", "acme", "shopify", "second-secret-value")

    assert (first.exit_code, second.exit_code) == (0, 0)
    assert "secret-value" not in first.output + second.output
    with db.reading() as session:
        rows = session.scalars(select(WebhookSecret)).all()
        assert [(r.provider, r.secret) for r in rows] == [("shopify", "second-secret-value")]


def test_store_secret_keeps_the_replaced_secret_for_a_day_by_default(db):
    run("store", "create", "--slug", "acme", "--name", "Acme")
    run("store", "secret", "acme", "shopify", "first-secret-value")
    before = utcnow()

    result = run("store", "secret", "acme", "shopify", "second-secret-value")

    assert result.exit_code == 0, result.output
    with db.reading() as session:
        row = session.scalar(select(WebhookSecret))
    assert (row.secret, row.previous_secret) == ("second-secret-value", "first-secret-value")
    assert before + timedelta(hours=24) <= row.previous_expires_at <= \
        utcnow() + timedelta(hours=24)


def test_store_secret_takes_the_grace_in_hours_and_zero_replaces_at_once(db):
    run("store", "create", "--slug", "acme", "--name", "Acme")
    run("store", "secret", "acme", "shopify", "first-secret-value")
    before = utcnow()

    two_hours = run("store", "secret", "acme", "shopify", "second-secret-value",
                    "--grace-hours", "2")
    with db.reading() as session:
        expires = session.scalar(select(WebhookSecret.previous_expires_at))
    at_once = run("store", "secret", "acme", "shopify", "third-secret-value",
                  "--grace-hours", "0")

    assert (two_hours.exit_code, at_once.exit_code) == (0, 0)
    assert before + timedelta(hours=2) <= expires <= utcnow() + timedelta(hours=2)
    with db.reading() as session:
        row = session.scalar(select(WebhookSecret))
    assert (row.secret, row.previous_secret, row.previous_expires_at) == (
        "third-secret-value", None, None)


def test_store_secret_refuses_an_unknown_provider_or_store(db):
    run("store", "create", "--slug", "acme", "--name", "Acme")

    assert "unknown provider" in run("store", "secret", "acme", "fedex", "12345678").output
    assert "no store" in run("store", "secret", "nope", "shopify", "12345678").output


def test_store_list_never_shows_keys_or_secrets(db):
    created = run("store", "create", "--slug", "acme", "--name", "Acme", "--json")
    key = json.loads(created.stdout.strip().splitlines()[-1])["api_key"]
    run("store", "secret", "acme", "shopify", "very-secret-value")

    listed = run("store", "list", "--json")

    assert json.loads(listed.stdout) == [
        {"slug": "acme", "name": "Acme", "currency": "USD", "timezone": "UTC"}]
    assert key not in listed.output and "very-secret-value" not in listed.output


def test_a_revoked_key_is_refused_by_the_api(client):
    key = json.loads(run("store", "create", "--slug", "acme", "--name", "Acme",
                         "--json").stdout.strip().splitlines()[-1])["api_key"]

    result = run("store", "revoke-key", "acme", key[:10])

    assert result.exit_code == 0
    response = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401


def test_jobs_list_and_retry_bring_a_dead_job_back(db, store):
    with db.transaction() as session:
        job_id = jobs.enqueue(session, "customers.refresh_stats", {"customer_id": 1},
                              store_id=store.id)
        session.execute(update(Job).where(Job.id == job_id).values(status="dead",
                                                                   last_error="boom"))

    listed = run("jobs", "list", "--json")
    retried = run("jobs", "retry", str(job_id))
    again = run("jobs", "retry", str(job_id))

    assert [(j["id"], j["last_error"]) for j in json.loads(listed.stdout)] == [(job_id, "boom")]
    assert retried.exit_code == 0
    assert again.exit_code == 1 and f"no dead job {job_id}" in again.output
    with db.reading() as session:
        assert session.get(Job, job_id).status == "queued"


def test_migrate_is_idempotent():
    assert run("migrate").exit_code == 0
    assert run("migrate").exit_code == 0


def test_secrets_and_keys_never_reach_the_logs(client, store, caplog):
    caplog.set_level(logging.DEBUG)
    body = b'{"order": {}}'

    client.post("/api/v1/webhooks/shopify/acme", content=body,
                headers={"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": "bad"})
    client.get("/api/v1/orders", headers=store.auth)
    client.get("/api/v1/orders", headers={"Authorization": "Bearer aw_wrong"})

    assert "shpss_test_secret" not in caplog.text
    assert store.api_key not in caplog.text


def test_the_worker_checkpoints_sqlite_on_a_thread_of_its_own_as_the_server_does(
        db, monkeypatch):
    backgrounded: list[str] = []
    monkeypatch.setattr(Database, "checkpoint_in_background",
                        lambda self, every=1.0: backgrounded.append(self.backend))
    monkeypatch.setattr("afterward.process.freeze_start_up_heap", lambda: None)

    result = run("worker", "--until-idle")

    assert result.exit_code == 0, result.output
    assert backgrounded == [db.backend]  # on PostgreSQL, a call that does nothing
