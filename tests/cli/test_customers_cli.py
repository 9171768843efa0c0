"""`afterward customers export|erase`: by email or id, JSON out, line-clear refusals."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from afterward.cli.main import app
from afterward.commerce.models import Customer
from tests.factories import order_body

runner = CliRunner()


@pytest.fixture(autouse=True)
def database_env(monkeypatch, db_url):
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-key")


def run(*args: str):
    return runner.invoke(app, list(args))


def test_export_by_email_writes_the_customer_s_data_to_a_file(client, store, tmp_path):
    order = client.post("/api/v1/orders", json=order_body(), headers=store.auth).json()
    target = tmp_path / "export.json"

    result = run("customers", "export", "--store", store.slug, "--email",
                 order["email"], "--output", str(target))

    assert result.exit_code == 0, result.output
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["customer_id"] == order["customer_id"]
    assert data["commerce"]["orders"][0]["number"] == order["number"]


def test_erase_by_id_scrubs_the_customer(client, db, store):
    order = client.post("/api/v1/orders", json=order_body(), headers=store.auth).json()

    result = run("customers", "erase", "--store", store.slug, "--id",
                 str(order["customer_id"]), "--yes", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"]["orders"] == 1
    with db.reading() as session:
        assert session.get(Customer, order["customer_id"]).email is None


@pytest.mark.parametrize(("args", "message"), [
    (["--email", "nobody@example.com"], "no such customer"),
    (["--email", "not-an-email"], "not a valid email"),
    ([], "give the customer as --email or --id"),
])
def test_refusals_say_why_and_erase_nothing(client, db, store, args, message):
    order = client.post("/api/v1/orders", json=order_body(), headers=store.auth).json()

    result = run("customers", "erase", "--store", store.slug, *args, "--yes")

    assert result.exit_code == 1
    assert message in result.output
    with db.reading() as session:
        assert session.get(Customer, order["customer_id"]).email == order["email"]


def test_declining_the_question_erases_nothing(client, db, store):
    order = client.post("/api/v1/orders", json=order_body(), headers=store.auth).json()

    result = runner.invoke(app, ["customers", "erase", "--store", store.slug, "--id",
                                 str(order["customer_id"])], input="n\n")

    assert result.exit_code == 1
    assert "nothing erased" in result.output
    with db.reading() as session:
        assert session.get(Customer, order["customer_id"]).email == order["email"]
