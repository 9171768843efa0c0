"""Migration 0017 (loyalty) matches the models and goes down and up again."""

from __future__ import annotations

from tests.migrations import differences_from_models, tables_after_down_and_up

TABLES = {"loyalty_programs", "loyalty_accounts", "loyalty_entries", "loyalty_orders"}


def test_the_loyalty_tables_match_the_models(db_url):
    assert differences_from_models(db_url, TABLES) == []


def test_the_migration_goes_down_to_0016_and_up_again(tmp_path):
    after_down, after_up = tables_after_down_and_up(tmp_path, "0016")

    assert after_down & TABLES == set()
    assert after_up >= TABLES
