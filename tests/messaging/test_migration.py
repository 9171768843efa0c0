"""The hand-written migration matches the models, and goes down and up again."""

from __future__ import annotations

from sqlalchemy import inspect, text

from tests.migrations import differences_from_models, tables_after_down_and_up

TABLES = {"messages", "message_bodies", "message_templates", "message_suppressions",
          "message_outbox",
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
    if db.backend == "sqlite":  # no HOT updates there: the status filter keeps its index
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


def test_the_bodies_migration_moves_each_message_body_out_and_back(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from afterward.storage.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'bodies.db'}"
    command.upgrade(alembic_config(url), "0009")
    engine = create_engine(url)
    message = ("INSERT INTO messages (id, store_id, channel, purpose, category, "
               "idempotency_key, payload, status, send_attempts, open_count, click_count, "
               "send_after, created_at, updated_at, body_text, body_html) VALUES "
               "({id}, 1, 'email', 'transactional', 'c', 'k{id}', '{{}}', 'sent', 1, 0, 0, "
               "'2026-11-22 10:00:00', '2026-11-22 10:00:00', '2026-11-22 10:00:00', {bodies})")
    with engine.begin() as conn:
        conn.execute(text(message.format(id=1, bodies="'Hi', '<p>Hi</p>'")))
        conn.execute(text(message.format(id=2, bodies="NULL, NULL")))

    command.upgrade(alembic_config(url), "0010")
    with engine.connect() as conn:
        moved = conn.execute(text("SELECT message_id, store_id, body_text, body_html "
                                  "FROM message_bodies")).all()
        columns = {c["name"] for c in inspect(conn).get_columns("messages")}
    command.downgrade(alembic_config(url), "0009")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT id, body_text, body_html FROM messages "
                                 "ORDER BY id")).all()
    engine.dispose()

    assert moved == [(1, 1, "Hi", "<p>Hi</p>")]
    assert {"body_text", "body_html"}.isdisjoint(columns)
    assert back == [(1, "Hi", "<p>Hi</p>"), (2, None, None)]
