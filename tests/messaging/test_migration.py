"""The hand-written migration matches the models, and goes down and up again."""

from __future__ import annotations

from tests.migrations import differences_from_models, tables_after_down_and_up

TABLES = {"messages", "message_templates", "message_suppressions", "message_outbox",
          "webhook_endpoints", "messaging_settings"}


def test_the_messaging_tables_match_the_models(db_url):
    assert differences_from_models(db_url, TABLES) == []


def test_the_messaging_migration_goes_down_and_up(tmp_path):
    after_down, after_up = tables_after_down_and_up(tmp_path, "0002")

    assert TABLES.isdisjoint(after_down)
    assert after_up >= TABLES
