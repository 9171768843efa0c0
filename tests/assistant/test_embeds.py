"""The sites allowed to embed a store's chat: origins as browsers send them, checked
before anything is written; and `afterward assistant embed`, which sets them and prints
the script tag."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from afterward.assistant import access, embeds
from afterward.cli.main import app


@pytest.mark.parametrize(("given", "stored"), [
    ("https://Shop.Example", "https://shop.example"),
    ("https://shop.example:443/", "https://shop.example"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("  https://www.shop.example:8443  ", "https://www.shop.example:8443"),
    ("http://[::1]:3000", "http://[::1]:3000"),
])
def test_an_origin_is_kept_as_a_browser_sends_it(given, stored):
    assert embeds.normalize_origin(given) == stored


@pytest.mark.parametrize("given", [
    "", "*", "null", "shop.example", "ftp://shop.example", "https://shop.example/page",
    "https://shop.example?x=1", "https://user:pw@shop.example", "https://*.shop.example",
    "https://shop.example:99999", "javascript:alert(1)", "https://" + "a" * 200 + ".example",
])
def test_what_is_not_an_origin_is_refused(given):
    with pytest.raises(embeds.EmbedError):
        embeds.normalize_origin(given)


def test_a_list_with_one_bad_origin_is_refused_whole_and_nothing_changes(db, store):
    with db.transaction() as session:
        assert embeds.set_origins(session, store_id=store.id, values=[
            "https://shop.example", "https://SHOP.example/", "https://m.shop.example"]) == (
            "https://shop.example", "https://m.shop.example")
    with db.transaction() as session, pytest.raises(embeds.EmbedError):
        embeds.set_origins(session, store_id=store.id,
                           values=["https://new.example", "https://shop.example/path"])
    with db.transaction() as session, pytest.raises(embeds.EmbedError):
        embeds.set_origins(session, store_id=store.id,
                           values=[f"https://s{n}.example" for n in range(21)])
    with db.reading() as session:
        assert embeds.origins(session, store.id) == ("https://shop.example",
                                                     "https://m.shop.example")
        assert embeds.allowed(session, store.id, "https://m.shop.example")
        assert not embeds.allowed(session, store.id, "https://m.shop.example.evil")
        assert not embeds.allowed(session, store.id, None)


@pytest.mark.parametrize(("text", "number"), [
    ("1001 ada@example.com", "1001"), ("#A-1001, ada@example.com.", "A-1001"),
    ("1001 and 1002 ada@example.com", None), ("ada@example.com", None),
    ("my address is ada2@example.com", None),
])
def test_a_bare_order_number_beside_the_email_is_taken_when_it_is_the_only_one(
        text, number):
    found = access.facts_of(text)
    assert (found.number if found else None) == number


def test_the_command_sets_the_sites_and_prints_the_script_tag(db, store, db_url,
                                                              monkeypatch):
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)
    monkeypatch.setenv("AFTERWARD_PUBLIC_URL", "https://aw.example")
    runner = CliRunner()

    set_ = runner.invoke(app, ["assistant", "embed", store.slug, "--origin",
                               "https://Shop.example/", "--origin", "http://localhost:3000",
                               "--json"])
    bad = runner.invoke(app, ["assistant", "embed", store.slug, "--origin",
                              "https://shop.example/cart"])
    unknown = runner.invoke(app, ["assistant", "embed", "nope"])
    shown = runner.invoke(app, ["assistant", "embed", store.slug, "--json"])

    assert set_.exit_code == 0, set_.output
    assert json.loads(set_.stdout) == json.loads(shown.stdout) == {
        "store": store.slug, "origins": ["https://shop.example", "http://localhost:3000"],
        "script_url": f"https://aw.example/embed/{store.slug}/assistant.js",
        "snippet": f'<script src="https://aw.example/embed/{store.slug}/assistant.js" '
                   'async></script>'}
    assert bad.exit_code == 1
    assert "not an origin (scheme://host[:port]): 'https://shop.example/cart'" in bad.output
    assert (unknown.exit_code, unknown.output.strip()) == (1, "error: no store 'nope'")
