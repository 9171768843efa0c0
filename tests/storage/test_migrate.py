"""HEAD names the newest migration; a database at HEAD is not migrated again; the
migrated schema is the models' schema."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from afterward.storage import migrate


def test_head_is_the_newest_migration():
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))

    assert scripts.get_heads() == [migrate.HEAD]


def test_a_new_database_is_migrated_to_head_and_then_left_alone(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/new.db"

    migrate.upgrade_if_behind(url)
    assert migrate.current_heads(url) == {migrate.HEAD}

    def refuse(url: str, revision: str = "head") -> None:
        raise AssertionError("migrated again")

    monkeypatch.setattr(migrate, "upgrade", refuse)
    migrate.upgrade_if_behind(url)
    assert migrate.current_heads(url) == {migrate.HEAD}


def test_a_database_behind_head_is_migrated(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    migrate.upgrade(url, "0008")

    migrate.upgrade_if_behind(url)

    assert migrate.current_heads(url) == {migrate.HEAD}


def test_the_migrated_schema_matches_the_models_in_every_table(db_url):
    from afterward.storage.registry import metadata
    from tests.migrations import differences_from_models

    assert differences_from_models(db_url, set(metadata().tables)) == []
