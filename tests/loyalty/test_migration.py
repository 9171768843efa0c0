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


def test_accounts_opened_before_referrals_get_a_referral_code_each(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from afterward.commerce import stores
    from afterward.commerce.models import Customer
    from afterward.loyalty import ledger
    from afterward.storage.db import Database
    from afterward.storage.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        store = stores.create_store(session, slug="old", name="Old")
        for n in range(3):
            customer = Customer(store_id=store.id, email=f"c{n}@example.com")
            session.add(customer)
            session.flush()
            ledger.account(session, store_id=store.id, customer_id=customer.id)
    db.dispose()
    command.downgrade(alembic_config(url), "0017")

    upgrade(url)

    engine = create_engine(url)
    with engine.connect() as conn:
        codes = [row[0] for row in conn.execute(text(
            "SELECT referral_code FROM loyalty_accounts"))]
    engine.dispose()
    assert len(codes) == 3 and len(set(codes)) == 3
    assert all(code and len(code) == 22 for code in codes)
