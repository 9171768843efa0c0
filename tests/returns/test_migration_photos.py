"""Migration 0015 (return photos, the lines asked a photo of, gift returns) matches the
models and goes down to 0014 and up again."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from tests.migrations import differences_from_models, tables_after_down_and_up


def test_the_photo_and_gift_tables_match_the_models(db_url):
    assert differences_from_models(db_url, {"return_photos", "returns", "return_lines"}) == []


def test_the_migration_goes_down_to_0014_and_up_again(tmp_path):
    after_down, after_up = tables_after_down_and_up(tmp_path, "0014")

    assert "return_photos" not in after_down
    assert {"return_photos", "returns", "return_lines"} <= after_up
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("returns")}
        line_columns = {c["name"] for c in inspect(engine).get_columns("return_lines")}
    finally:
        engine.dispose()
    assert {"gift_recipient_email", "gift_recipient_name", "gift_customer_id"} <= columns
    assert "photo_required" in line_columns
