from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from afterward.accounts import service as accounts
from afterward.cli.main import app
from tests.web.helpers import PASSWORD

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("cli_on_test_database")


def stored_user(db, email):
    with db.reading() as session:
        user = accounts.get_by_email(session, email)
        return None if user is None else (user.email, user.is_owner,
                                          sorted(s.slug for s in user.stores))


def test_create_user_with_a_password_option_and_stores(db, make_store):
    make_store("acme")
    make_store("globex")

    result = runner.invoke(app, ["admin", "create-user", "--email", "Ann@Example.com",
                                 "--password", PASSWORD, "--store", "acme", "--store", "globex"])

    assert result.exit_code == 0, result.output
    assert "admin user ann@example.com created" in result.output
    assert stored_user(db, "ann@example.com") == ("ann@example.com", False, ["acme", "globex"])


def test_create_user_reads_the_password_from_stdin(db, store):
    result = runner.invoke(app, ["admin", "create-user", "--email", "o@example.com", "--owner",
                                 "--password-stdin"], input=PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    with db.reading() as session:
        assert accounts.check_credentials(session, email="o@example.com", password=PASSWORD)


def test_create_user_prompts_for_the_password_twice(db, store):
    result = runner.invoke(app, ["admin", "create-user", "--email", "o@example.com", "--owner"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert stored_user(db, "o@example.com") == ("o@example.com", True, [])


@pytest.mark.parametrize(("arguments", "reason"), [
    (["--password", "too-short", "--store", "acme"], "a password has at least 10 characters"),
    (["--password", PASSWORD, "--store", "nope"], "no store 'nope'"),
    (["--password", PASSWORD], "give the user at least one store, or make them an owner"),
    (["--password", PASSWORD, "--password-stdin", "--owner"],
     "use either --password or --password-stdin, not both"),
])
def test_create_user_fails_with_one_line_and_creates_nothing(db, store, arguments, reason):
    result = runner.invoke(app, ["admin", "create-user", "--email", "ann@example.com",
                                 *arguments])

    assert result.exit_code == 1
    assert result.output.strip() == f"error: {reason}"
    assert stored_user(db, "ann@example.com") is None


def test_create_user_refuses_an_existing_email(db, store):
    runner.invoke(app, ["admin", "create-user", "--email", "ann@example.com", "--owner",
                        "--password", PASSWORD])

    result = runner.invoke(app, ["admin", "create-user", "--email", "ann@example.com",
                                 "--owner", "--password", PASSWORD])

    assert result.exit_code == 1
    assert result.output.strip() == "error: an admin user 'ann@example.com' already exists"


def test_list_users_prints_each_user_with_their_stores(db, store):
    runner.invoke(app, ["admin", "create-user", "--email", "ann@example.com", "--store", "acme",
                        "--password", PASSWORD])
    runner.invoke(app, ["admin", "create-user", "--email", "boss@example.com", "--owner",
                        "--password", PASSWORD])

    text = runner.invoke(app, ["admin", "list-users"])
    as_json = runner.invoke(app, ["admin", "list-users", "--json"])

    assert text.exit_code == 0
    assert text.output.splitlines() == ["ann@example.com\tacme\tnever",
                                        "boss@example.com\towner (all stores)\tnever"]
    assert json.loads(as_json.output) == [
        {"email": "ann@example.com", "owner": False, "stores": ["acme"], "last_login_at": None},
        {"email": "boss@example.com", "owner": True, "stores": [], "last_login_at": None},
    ]
