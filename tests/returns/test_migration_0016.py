"""Migration 0016 (carrier labels, the inbound parcel, instant exchanges, the new
statuses; discount codes) matches the models and goes down and up again."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from tests.migrations import differences_from_models, tables_after_down_and_up


def test_the_returns_and_codes_tables_match_the_models(db_url):
    assert differences_from_models(db_url, {"returns", "discount_codes"}) == []


def test_the_migration_goes_down_to_0015_and_up_again(tmp_path):
    after_down, after_up = tables_after_down_and_up(tmp_path, "0015")

    assert "discount_codes" not in after_down
    assert "discount_codes" in after_up
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("returns")}
        assert {"label_status", "tracking_number", "inbound_shipment_id", "arrived_at",
                "instant_exchange"} <= columns
    finally:
        engine.dispose()
