"""Migrations 0017 (loyalty) and 0019 (referrals) match the models and goes down and up again."""

from __future__ import annotations

from tests.migrations import differences_from_models, tables_after_down_and_up

TABLES = {"loyalty_programs", "loyalty_accounts", "loyalty_entries", "loyalty_orders",
          "loyalty_referrals"}


def test_the_loyalty_tables_match_the_models(db_url):
    assert differences_from_models(db_url, TABLES) == []


def test_the_migration_goes_down_to_0016_and_up_again(tmp_path):
    after_down, after_up = tables_after_down_and_up(tmp_path, "0016")

    assert after_down & TABLES == set()
    assert after_up >= TABLES


def test_the_referrals_migration_goes_down_to_0017_and_up_again(tmp_path):
    after_down, after_up = tables_after_down_and_up(tmp_path, "0017")

    assert "loyalty_referrals" not in after_down
    assert after_down >= TABLES - {"loyalty_referrals"}
    assert after_up >= TABLES
