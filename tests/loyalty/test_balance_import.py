"""Members carried over from another loyalty program (loyalty/balance_import.py): each
balance once, spendable at once, as an `adjust` entry with source `import`; a tier
kept for a year whatever the spend, pushed to the store platform but neither a tier-up
email nor entry points; line-numbered errors and nothing written."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from afterward.commerce.ingest.csv_table import ImportRefused
from afterward.commerce.models import Customer
from afterward.events import Event
from afterward.jobs import Job
from afterward.loyalty import balance_import, tiers
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry
from afterward.loyalty.program import Program
from tests.webhook_listeners import listening

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
TIERS = [{"key": "silver", "name": "Silver", "min_spend_minor": 2000, "entry_points": 100},
         {"key": "gold", "name": "Gold VIP", "min_spend_minor": 50000, "entry_points": 500,
          "free_shipping": True}]
HEADER = "email,customer_id,first_name,last_name,birthday,points,tier,reason\n"


@pytest.fixture
def tiered(club):
    assert club.put_program(points_per_currency_unit=10, tiers=TIERS,
                            tier_grace_days=30).status_code == 200
    return club


def carry(db, store_id, text, *, skip_bad=False, now=NOW, keep_tier_days=365):
    rows, report = balance_import.read(text.encode())
    return balance_import.carry(db, store_id=store_id, rows=rows, report=report,
                                skip_bad=skip_bad, keep_tier_days=keep_tier_days, now=now)


def account(db, customer_id):
    with db.reading() as session:
        held = session.scalar(select(LoyaltyAccount).where(
            LoyaltyAccount.customer_id == customer_id))
        assert held is not None
        return (held.points_balance, held.points_pending, held.lifetime_points, held.tier,
                held.tier_kept_until and held.tier_kept_until.replace(tzinfo=UTC))


def imported_entries(db):
    with db.reading() as session:
        return [(e.account_id, e.kind, e.points, e.balance_delta, e.source, e.reason,
                 e.idempotency_key) for e in session.scalars(
                    select(LoyaltyEntry).where(LoyaltyEntry.source == "import")
                    .order_by(LoyaltyEntry.id))]


def event_names(db):
    with db.reading() as session:
        return list(session.scalars(select(Event.name).order_by(Event.id)))


def counts(db):
    with db.reading() as session:
        return {m.__tablename__: int(session.scalar(select(func.count()).select_from(m)) or 0)
                for m in (Customer, LoyaltyAccount, LoyaltyEntry, Event)}


def customer_id_of(db, email):
    with db.reading() as session:
        found = session.scalar(select(Customer.id).where(Customer.email == email))
        assert found is not None
        return found


def test_a_file_carries_balances_and_tiers_over_for_known_and_new_members(tiered, db):
    _, ada = tiered.order("1001", email="ada@example.com")
    with db.transaction() as session:
        session.get(Customer, ada).external_id = "207119551"
    before = event_names(db)

    report = carry(db, tiered.store.id, HEADER
                   + ",207119551,,,,1250,gold vip,\n"
                   + "Bob@Example.COM,,Bob,Stone,1990-04-02,300,silver,Smile.io balance\n"
                   + "cy@example.com,,,,,0,,\n")

    bob = customer_id_of(db, "Bob@example.com")
    assert (report.read, report.imported, report.already, report.unchanged, report.points,
            report.tiers, report.new_customers, report.errors) == (
        3, 2, 0, 1, 1550, 2, 2, [])
    kept = NOW + timedelta(days=365)
    assert account(db, ada) == (1250, 0, 1250, "gold", kept)
    assert account(db, bob) == (300, 0, 300, "silver", kept)
    assert imported_entries(db) == [
        (ada_account(db, ada), "adjust", 1250, 1250, "import",
         "Carried over from the previous rewards program", f"import:{ada}"),
        (ada_account(db, bob), "adjust", 300, 300, "import", "Smile.io balance",
         f"import:{bob}")]
    with db.reading() as session:
        new = session.get(Customer, bob)
        assert (new.first_name, new.last_name, new.birthday) == ("Bob", "Stone",
                                                                date(1990, 4, 2))
        created = session.scalars(select(Event.payload).where(
            Event.name == "customer.created").order_by(Event.id)).all()
        changes = session.scalars(select(Event.payload).where(
            Event.name == "loyalty.tier_changed").order_by(Event.id)).all()
    assert created[-2:] == [{"source": "loyalty_import"}, {"source": "loyalty_import"}]
    assert [(c["customer_id"], c["from"], c["to"], c["direction"]) for c in changes] == [
        (ada, None, "gold", "carried"), (bob, None, "silver", "carried")]
    assert "loyalty.points_earned" not in event_names(db)[len(before):]


def ada_account(db, customer_id):
    with db.reading() as session:
        return session.scalar(select(LoyaltyAccount.id).where(
            LoyaltyAccount.customer_id == customer_id))


def test_a_carried_tier_gives_no_entry_points_but_is_pushed_to_the_store(tiered, db):
    listening(db, tiered.store.id, events=["loyalty.tier_changed"])
    _, ada = tiered.order("1001", email="ada@example.com")
    tiered.consume()  # the order's 30.00 reach silver: its entry points
    carry(db, tiered.store.id, HEADER + "ada@example.com,,,,,0,gold,\n")

    tiered.consume()

    with db.reading() as session:
        entry_keys = list(session.scalars(select(LoyaltyEntry.idempotency_key).where(
            LoyaltyEntry.source == "tier").order_by(LoyaltyEntry.id)))
        pushed = [j.payload["data"] for j in session.scalars(select(Job).where(
            Job.kind == "webhooks.publish").order_by(Job.id))
            if j.payload["event_type"] == "loyalty.tier_changed"]
    assert entry_keys == [f"tier:silver:{ada}"]
    assert [(p["from"], p["to"], p["direction"], p["tags_add"], p["tags_remove"])
            for p in pushed] == [
        (None, "silver", "up", ["afterward-tier-silver"], []),
        ("silver", "gold", "carried", ["afterward-tier-gold", "afterward-free-shipping"],
         ["afterward-tier-silver"])]


def test_a_carried_tier_is_kept_whatever_the_spend_until_its_date_then_the_spend_decides(
        tiered, db):
    _, ada = tiered.order("1001", email="ada@example.com")  # 30.00: silver's spend
    tiered.consume()
    carry(db, tiered.store.id, HEADER + "ada@example.com,,,,,10,gold,\n", keep_tier_days=90)
    program = Program.model_validate({"points_per_currency_unit": 10, "tiers": TIERS,
                                      "tier_grace_days": 30})

    def review(at):
        def work(session):
            held = session.scalar(select(LoyaltyAccount).where(
                LoyaltyAccount.customer_id == ada))
            tiers.review(session, held, program, at)
        db.run(work)
        return account(db, ada)[3]

    assert review(NOW + timedelta(days=89)) == "gold"
    assert review(NOW + timedelta(days=90)) == "silver"


def test_a_member_in_a_higher_tier_keeps_it_and_gets_the_points(tiered, db):
    _, ada = tiered.order("1001", email="ada@example.com")
    tiered.consume()
    carry(db, tiered.store.id, HEADER + "ada@example.com,,,,,0,gold,\n")

    report = carry(db, tiered.store.id, "email,points,tier\nada@example.com,40,Silver\n")

    assert (report.imported, report.tiers, report.points) == (1, 0, 40)
    assert account(db, ada)[3] == "gold"


def test_the_same_file_twice_changes_nothing(tiered, db):
    text = HEADER + "ada@example.com,,Ada,,,120,silver,\nbo@example.com,,,,,5,,\n"
    carry(db, tiered.store.id, text)
    before = (counts(db), imported_entries(db))

    again = carry(db, tiered.store.id, text)

    assert (again.imported, again.already, again.points, again.new_customers) == (0, 2, 0, 0)
    assert (counts(db), imported_entries(db)) == before


def test_an_imported_balance_is_spendable_at_once_and_pays_a_debt_first(club, db):
    _, ada = club.order("1001", email="ada@example.com")
    club.consume()  # 300 points pending
    with db.transaction() as session:
        session.execute(LoyaltyAccount.__table__.update().where(
            LoyaltyAccount.customer_id == ada).values(points_debt=30))

    carry(db, club.store.id, "email,points\nada@example.com,100\n")

    assert club.points(ada) == (70, 300, 0)
    listening(db, club.store.id)  # the store platform takes the codes
    assert club.put_program(points_per_currency_unit=10, rewards=[
        {"key": "five-off", "name": "5 off", "points": 50, "discount_minor": 500}
    ]).status_code == 200
    redeemed = club.client.post("/api/v1/loyalty/redemptions", headers=club.auth, json={
        "customer_id": ada, "reward": "five-off"})
    assert redeemed.status_code == 201, redeemed.text
    assert club.points(ada) == (20, 300, 0)


def test_a_known_customer_is_left_as_the_store_wrote_them_but_gains_a_missing_birthday(
        tiered, db):
    _, ada = tiered.order("1001", email="ada@example.com")

    carry(db, tiered.store.id, "email,first_name,birthday,points\n"
                               "ada@example.com,Adeline,1985-12-24,10\n")

    with db.reading() as session:
        found = session.get(Customer, ada)
        assert (found.first_name, found.birthday) == ("Ada", date(1985, 12, 24))


BAD = ("ada@example.com,,,,,-5,,", "bo@example.com,,,,,1.5,,", "cy@example.com,,,,,99999999,,",
       ",,Dee,,,10,,", "not-an-email,,,,,10,,", "ed@example.com,,,,,10,platinum,",
       "fay@example.com,,,,31.02.1990,10,,", "ada@example.com,,,,,20,,",
       "ada@EXAMPLE.com,,,,,20,,")
BAD_LINES = [
    "line 2: points: '-5' is not a whole number of points from 0 to 10,000,000",
    "line 3: points: '1.5' is not a whole number of points from 0 to 10,000,000",
    "line 4: points: '99999999' is not a whole number of points from 0 to 10,000,000",
    "line 5: email: give the member's email or customer_id",
    "line 6: email: 'not-an-email' is not a valid email address",
    "line 7: tier: 'platinum' is not a tier of the program (silver, gold)",
    "line 8: birthday: expected a date like 2026-01-31",
    "line 10: email: the same member as line 9"]


def test_bad_rows_are_reported_by_line_and_nothing_is_written(tiered, db):
    before = counts(db)

    with pytest.raises(ImportRefused) as refused:
        carry(db, tiered.store.id, HEADER + "\n".join(BAD) + "\n")

    report = refused.value.report
    assert [str(e) for e in report.errors] == BAD_LINES
    assert (report.imported, report.points, report.new_customers, report.skipped) == (
        0, 0, 0, 8)
    assert counts(db) == before


def test_skip_bad_carries_the_good_rows_over(tiered, db):
    report = carry(db, tiered.store.id, HEADER + "\n".join(BAD) + "\n", skip_bad=True)

    assert (report.read, report.imported, report.points, report.skipped) == (9, 1, 20, 8)
    assert tiered.points(customer_id_of(db, "ada@example.com")) == (20, 0, 0)


def test_a_store_without_a_program_refuses_the_file(client, db, store):
    before = counts(db)

    with pytest.raises(ImportRefused) as refused:
        carry(db, store.id, "email,points\nada@example.com,10\n")

    assert [str(e) for e in refused.value.report.errors] == [
        "line 1: file: the store has no loyalty program yet: put one first "
        "(PUT /api/v1/loyalty/program)"]
    assert counts(db) == before


@pytest.mark.parametrize(("text", "expected"), [
    ("points\n10\n", ["line 1: email: missing column: email or customer_id (or both)"]),
    ("email,points,vip\nada@example.com,10,yes\n",
     ["line 1: vip: unknown column (known: email, customer_id, first_name, last_name, "
      "birthday, points, tier, reason)"]),
    ("email,tier\nada@example.com,gold\n", ["line 1: points: missing column"]),
])
def test_a_file_with_bad_columns_is_refused_as_a_whole(tiered, db, text, expected):
    before = counts(db)

    with pytest.raises(ImportRefused) as refused:
        carry(db, tiered.store.id, text, skip_bad=True)

    assert [str(e) for e in refused.value.report.errors] == expected
    assert counts(db) == before


def test_imports_of_one_file_at_once_carry_each_member_once(tiered, db):
    text = HEADER + "".join(f"m{i}@example.com,,,,,{i + 1},silver,\n" for i in range(20))

    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(lambda _: carry(db, tiered.store.id, text), range(4)))

    assert sorted((r.imported, r.already) for r in reports) == [(0, 20)] * 3 + [(20, 0)]
    assert sum(r.new_customers for r in reports) == 20
    with db.reading() as session:
        assert session.scalar(select(func.sum(LoyaltyAccount.points_balance))) == 210
        assert session.scalar(select(func.count()).select_from(Customer)) == 20
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.name == "loyalty.tier_changed")) == 20


def test_a_large_file_is_written_a_chunk_a_transaction_and_a_failed_chunk_is_completed_later(
        tiered, db, monkeypatch):
    monkeypatch.setattr(balance_import, "CHUNK", 2)
    text = "email,points\n" + "".join(f"m{i}@example.com,{10 * (i + 1)}\n" for i in range(5))
    carry_one = balance_import._carry

    def failing_on_the_fourth(session, tally, *, row, **rest):
        if row.line == 5:
            raise RuntimeError("the disk is full")
        carry_one(session, tally, row=row, **rest)

    monkeypatch.setattr(balance_import, "_carry", failing_on_the_fourth)
    with pytest.raises(RuntimeError):
        carry(db, tiered.store.id, text)
    assert [e[2] for e in imported_entries(db)] == [10, 20]  # the first chunk stayed

    monkeypatch.setattr(balance_import, "_carry", carry_one)
    steps = []
    rows, report = balance_import.read(text.encode())
    balance_import.carry(db, store_id=tiered.store.id, rows=rows, report=report,
                         progress=lambda phase, done, total: steps.append((phase, done, total)))

    assert (report.imported, report.already, report.points) == (3, 2, 120)
    assert [e[2] for e in imported_entries(db)] == [10, 20, 30, 40, 50]
    assert [s for s in steps if s[0] == "writing"] == [
        ("writing", 2, 5), ("writing", 4, 5), ("writing", 5, 5)]
