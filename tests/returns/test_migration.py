"""Migration 0014 (returns, claims, refund requests, store credit; variants' stock)
matches the models and goes down and up again."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from tests.migrations import differences_from_models, tables_after_down_and_up

TABLES = {"return_policies", "returns", "return_lines", "return_claims",
          "return_refund_requests", "store_credit_accounts", "store_credit_entries"}


def test_the_returns_tables_match_the_models(db_url):
    assert differences_from_models(db_url, TABLES | {"variants"}) == []


def test_the_migration_goes_down_to_0013_and_up_again(tmp_path):
    after_down, after_up = tables_after_down_and_up(tmp_path, "0013")

    assert after_down & TABLES == set()
    assert after_up >= TABLES
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert "inventory_quantity" in {c["name"] for c in inspect(engine).get_columns(
            "variants")}
    finally:
        engine.dispose()
