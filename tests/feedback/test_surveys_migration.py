"""Migration 0021 (surveys) matches the models and goes down and up again."""

from __future__ import annotations

from tests.migrations import differences_from_models, tables_after_down_and_up

TABLES = {"survey_responses", "survey_alerts"}


def test_the_survey_tables_match_the_models(db_url):
    assert differences_from_models(db_url, TABLES) == []


def test_the_surveys_migration_goes_down_to_0020_and_up_again(tmp_path):
    after_down, after_up = tables_after_down_and_up(tmp_path, "0020")

    assert after_down & TABLES == set()
    assert "reviews" in after_down
    assert after_up >= TABLES
