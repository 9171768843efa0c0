"""The hand-written journeys migration matches the models, and goes down and up again."""

from __future__ import annotations

from tests.migrations import differences_from_models, tables_after_down_and_up

TABLES = {"journeys", "journey_versions", "journey_enrolments", "journey_enrolment_steps",
          "event_consumers"}


def test_the_journey_tables_match_the_models(db_url):
    assert differences_from_models(db_url, TABLES) == []


def test_the_journey_migration_goes_down_and_up(tmp_path):
    after_down, after_up = tables_after_down_and_up(tmp_path, "0004")

    assert TABLES.isdisjoint(after_down)
    assert after_up >= TABLES


def test_the_events_table_with_its_txid_matches_the_models(db_url):
    assert differences_from_models(db_url, {"'events'", "event_consumers"}) == []


RETURNS_TABLES = {"return_policies", "returns", "return_lines", "return_claims",
                  "return_refund_requests", "store_credit_accounts", "store_credit_entries"}


def test_the_txid_migration_goes_down_and_up(tmp_path):
    from sqlalchemy import create_engine, inspect

    after_down, after_up = tables_after_down_and_up(tmp_path, "0006")
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    columns = {c["name"] for c in inspect(engine).get_columns("events")}
    engine.dispose()

    assert after_down == after_up - {"message_bodies", "throttle_hits",  # added by 0010, 0012
                                     *RETURNS_TABLES,  # 0014
                                     "return_photos", "discount_codes",  # 0015, 0016
                                     "loyalty_programs", "loyalty_accounts",  # 0017
                                     "loyalty_entries", "loyalty_orders",
                                     "loyalty_referrals",  # 0019
                                     "review_settings", "review_requests", "reviews",
                                     "review_photos", "review_votes",  # 0020
                                     "survey_responses", "survey_alerts",  # 0021
                                     "text_sentiments", "text_themes", "text_runs",  # 0024
                                     "insight_runs", "customer_insights",
                                     "replenishment_dates",  # 0025
                                     "recommendation_runs", "recommendation_pairs",
                                     "recommendation_items",  # 0026
                                     "conversations", "conversation_messages",  # 0027
                                     "customer_subscriptions",  # 0029
                                     "review_summaries",  # 0030
                                     "assistant_embeds"}  # 0031
    assert "txid" in columns


ASSISTANT_TABLES = {"conversations", "conversation_messages", "assistant_embeds"}


def test_the_assistant_tables_match_the_models(db_url):
    assert differences_from_models(db_url, ASSISTANT_TABLES) == []


def test_the_subscriptions_migration_goes_down_and_up(tmp_path):
    from sqlalchemy import create_engine, inspect

    after_down, after_up = tables_after_down_and_up(tmp_path, "0028")
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    columns = {c["name"] for c in inspect(engine).get_columns("order_lines")}
    engine.dispose()

    assert after_up - after_down == {"customer_subscriptions",  # 0029
                                     "review_summaries",  # 0030, above it
                                     "assistant_embeds"}  # 0031, above it
    assert "subscription" in columns
