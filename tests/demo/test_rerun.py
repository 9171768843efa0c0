"""Running the demo again: it reuses the store, --reset rebuilds it, and the
credentials follow the secret key. The tests that only run it again share one small
build (in a database of their own, on one test process): a build takes 7-25 s."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from afterward.accounts import service as accounts
from afterward.accounts.models import AdminUser, admin_user_stores
from afterward.app import bind
from afterward.cli.main import app as cli
from afterward.config import Settings
from afterward.demo.build import DemoSummary, build_demo
from afterward.jobs import Job, JobStatus
from afterward.journeys.models import Enrolment
from afterward.storage import registry
from afterward.storage.db import Database
from tests.demo.conftest import NOW, SECRET
from tests.servers import fresh_database
from tests.web.helpers import CHEAP_HASHER

# Six weeks of a tiny store: enough for the journeys to enrol, send and exit.
SMALL = {"customers": 8, "orders": 16, "days": 42, "seed": 3, "now": NOW}


# Rows the replay writes through the journeys and messaging.
REPLAYED = {"journey_enrolments", "journey_enrolment_steps", "messages", "message_bodies",
            "message_outbox", "jobs", "orders", "order_lines", "shipments", "shipment_lines",
            "tracking_events", "events", "discount_codes"}  # offers: treated customers only


def rows_of_store(db, store_id: int) -> dict[str, int]:
    with db.reading() as session:
        found = {t.name: session.scalar(select(func.count()).select_from(t)
                                        .where(t.c.store_id == store_id))
                 for t in registry.metadata().sorted_tables if "store_id" in t.c}
    return {name: count for name, count in found.items() if count}


def row_counts(db) -> dict[str, int]:
    with db.reading() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t))
                for t in registry.metadata().sorted_tables}


@pytest.fixture(scope="module")
def built_once(template_url: str, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[Database, DemoSummary]]:
    """One SMALL build, run again by the tests that share it (a second run writes
    nothing); their group keeps them on one test process."""
    url = fresh_database(template_url, tmp_path_factory.mktemp("rerun"), "rerun")
    database = Database(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "hasher", lambda: CHEAP_HASHER)
        summary = build_demo(database, secret_key=SECRET, **SMALL)
    yield database, summary
    database.dispose()


SHARED_BUILD = pytest.mark.xdist_group("demo_rerun")


@SHARED_BUILD
def test_a_second_run_changes_nothing_and_shows_the_same_credentials(built_once):
    db, first = built_once
    before = row_counts(db)

    second = build_demo(db, secret_key=SECRET, customers=999, orders=9999, seed=1, now=NOW)

    assert row_counts(db) == before
    assert before["journey_enrolments"] > 0 and before["messages"] > 0
    assert (first.created, second.created) == (True, False)
    assert second.api_key == first.api_key and second.api_key is not None
    assert second.admin_password == first.admin_password and second.admin_password is not None
    assert second.webhook_secrets == first.webhook_secrets
    assert second.tracking_token == first.tracking_token
    assert second.counts == first.counts
    assert first.counts["customers"] == 8


@SHARED_BUILD
def test_another_secret_key_does_not_reveal_the_credentials(built_once):
    db, _ = built_once
    before = row_counts(db)

    other = build_demo(db, secret_key="another-secret-key-9876543210", **SMALL)

    assert other.created is False
    assert other.api_key is None and other.admin_password is None
    assert set(other.webhook_secrets) == {"aftership", "easypost", "generic", "shippo",
                                          "shopify", "twilio"}
    assert row_counts(db) == before


@SHARED_BUILD
def test_the_demo_api_key_is_accepted_and_the_admin_can_sign_in(built_once, app):
    db, summary = built_once
    bind(app, Settings(database_url=str(db.engine.url.render_as_string(hide_password=False)),
                       secret_key=SECRET, public_url="http://testserver"), db)

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/orders", params={"number": "10001"},
                              headers={"Authorization": f"Bearer {summary.api_key}"})

    assert response.status_code == 200
    assert [order["number"] for order in response.json()["items"]] == ["10001"]
    with db.reading() as session:
        user = accounts.check_credentials(session, email="admin@demo.local",
                                          password=summary.admin_password)
        assert user is not None and [s.slug for s in user.stores] == ["demo"]


def test_reset_rebuilds_the_store_without_leftovers(db):
    first = build_demo(db, secret_key=SECRET, **SMALL)
    once = row_counts(db)

    rebuilt = build_demo(db, secret_key=SECRET, reset=True, **SMALL)

    assert rebuilt.created is True and rebuilt.store_id != first.store_id
    again = row_counts(db)
    # The same history, written again; the journeys' rows may differ, because a holdout
    # group is drawn from the store's id and the rebuilt store is another store.
    assert {t: n for t, n in again.items() if t not in REPLAYED} == {
        t: n for t, n in once.items() if t not in REPLAYED}
    assert all(again[table] > 0 for table in ("journey_enrolments", "messages"))
    assert rows_of_store(db, first.store_id) == {}
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(AdminUser)) == 1
        links = session.execute(select(admin_user_stores)).all()
    assert [link.store_id for link in links] == [rebuilt.store_id]


def test_more_customers_than_orders_is_refused_before_writing(db):
    before = row_counts(db)

    with pytest.raises(ValueError, match="orders >= customers"):
        build_demo(db, secret_key=SECRET, customers=20, orders=10, now=NOW)

    assert row_counts(db) == before


def test_the_command_builds_in_a_fresh_process_and_runs_every_job_the_replay_queues(
        db, db_url, tmp_path, monkeypatch):
    # A fresh process has loaded no job handlers: the replay must load them itself.
    source = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "AFTERWARD_DATABASE_URL": db_url, "AFTERWARD_SECRET_KEY": SECRET,
           "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")])}

    result = subprocess.run(
        [sys.executable, "-m", "afterward.cli", "demo", "--no-serve", "--customers", "8",
         "--orders", "16", "--days", "42"], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=300)

    assert result.returncode == 0, result.stderr
    with db.reading() as session:
        dead = session.scalar(select(func.count()).select_from(Job).where(
            Job.status == JobStatus.dead.value))
        enrolled = session.scalar(select(func.count()).select_from(Enrolment))
    assert (dead, enrolled > 0) == (0, True)
    assert "no handler" not in result.stderr
    printed = result.stdout + result.stderr  # the banner goes to the console's stderr
    assert "Demo store built" in printed
    orders = re.search(r"8 customers,\s+(\d+) orders", printed)
    assert orders is not None and int(orders[1]) >= 16


@SHARED_BUILD
def test_the_command_run_again_finds_the_store_and_prints_the_urls(monkeypatch, built_once):
    db, summary = built_once
    monkeypatch.setenv("AFTERWARD_DATABASE_URL",
                       db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", SECRET)

    again = CliRunner().invoke(cli, ["demo", "--no-serve", "--port", "8123"])

    assert again.exit_code == 0, again.output
    assert f"Demo store found ({summary.counts['orders']} orders)" in again.output
    assert "http://127.0.0.1:8123/admin" in again.output
    assert "http://127.0.0.1:8123/t/" in again.output
    assert "admin@demo.local" in again.output


def test_the_command_refuses_fewer_orders_than_customers(monkeypatch, db_url):
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)

    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--customers", "40", "--orders", "10"])

    assert result.exit_code == 1
    assert "--orders must be at least --customers" in result.output
