"""The hand-written migration matches the models, and goes down and up again."""

from __future__ import annotations

from sqlalchemy import inspect, text

from tests.migrations import differences_from_models, tables_after_down_and_up

TABLES = {"messages", "message_templates", "message_suppressions", "message_outbox",
          "webhook_endpoints", "messaging_settings"}


def test_the_messaging_tables_match_the_models(db_url):
    assert differences_from_models(db_url, TABLES) == []


def test_the_messaging_migration_goes_down_and_up(tmp_path):
    after_down, after_up = tables_after_down_and_up(tmp_path, "0002")

    assert TABLES.isdisjoint(after_down)
    assert after_up >= TABLES


def test_on_postgresql_no_index_of_messages_names_a_column_a_state_change_writes(db):
    written = {"status", "status_reason", "approved_at", "sending_at", "sent_at",
               "finished_at", "updated_at", "send_attempts", "transport", "recipient",
               "message_id_header", "provider_message_id", "subject", "body_text",
               "body_html", "locale", "segments", "template_id", "send_after"}
    indexes = inspect(db.engine).get_indexes("messages")

    names = {i["name"] for i in indexes} - {"uq_messages_idempotency"}  # (PostgreSQL's)
    if db.backend == "sqlite":  # no HOT updates there, and a status scan reads the bodies
        assert names == {"ix_messages_budget", "ix_messages_store_created",
                         "ix_messages_store_status"}
        return
    assert names == {"ix_messages_budget", "ix_messages_store_created"}
    assert all(written.isdisjoint(i["column_names"]) for i in indexes)
    if db.backend == "postgresql":  # room on each page for the new row versions
        with db.reading() as session:
            assert session.execute(text(
                "SELECT reloptions FROM pg_class WHERE relname = 'messages'")).scalar() == [
                "fillfactor=70"]
