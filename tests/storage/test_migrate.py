"""HEAD names the newest migration; a database at HEAD is not migrated again."""

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
