"""`afterward loyalty import FILE --store S`: members' balances and tiers carried over
from another program (loyalty/balance_import.py); line-numbered errors, all or nothing
by default, the same file twice changes nothing, and imports running at once beside a
live server's redemptions carry each member once."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from afterward.cli.main import app
from afterward.commerce import stores
from afterward.commerce.models import Customer
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry
from afterward.storage.db import Database
from tests.servers import ROOT, Answer, Call, ServerProcess, child_env, fresh_database, hammer
from tests.webhook_listeners import listening

runner = CliRunner()
TIERS = [{"key": "silver", "name": "Silver", "min_spend_minor": 2000},
         {"key": "gold", "name": "Gold", "min_spend_minor": 5000}]
GOOD = ("email,customer_id,first_name,points,tier\n"
        "ada@example.com,,Ada,1200,gold\n"
        ",4711,,300,\n"
        "cy@example.com,,,0,\n")


pytestmark = pytest.mark.usefixtures("cli_on_test_database")


@pytest.fixture
def shop(client, store):
    answer = client.put("/api/v1/loyalty/program", headers=dict(store.auth),
                        json={"points_per_currency_unit": 1, "tiers": TIERS})
    assert answer.status_code == 200, answer.text
    return store


def members_file(tmp_path, text: str):
    path = tmp_path / "members.csv"
    path.write_text(text, encoding="utf-8")
    return path


def balances(db) -> list[tuple]:
    with db.reading() as session:
        return [tuple(row) for row in session.execute(
            select(Customer.email, Customer.external_id, LoyaltyAccount.points_balance,
                   LoyaltyAccount.tier)
            .join(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id)
            .order_by(Customer.id))]


def run(path, *extra: str):
    return runner.invoke(app, ["loyalty", "import", str(path), "--store", "acme", *extra])


def test_a_good_file_carries_the_members_over_and_says_what_it_did(shop, db, tmp_path):
    result = run(members_file(tmp_path, GOOD))

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "carried over 2 members (1,500 points, 1 tiers; 3 new customers); 0 imported "
        "before; 1 with nothing to carry; skipped 0 rows\n")
    assert balances(db) == [("ada@example.com", None, 1200, "gold"),
                            (None, "4711", 300, None), ("cy@example.com", None, 0, None)]


def test_the_same_file_twice_changes_nothing(shop, db, tmp_path):
    path = members_file(tmp_path, GOOD)
    run(path)
    before = balances(db)

    again = run(path, "--json")

    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == {
        "rows": 3, "imported": 0, "already_imported": 2, "skipped": 0, "errors": [],
        "points": 0, "tiers": 0, "new_customers": 0, "unchanged": 1}
    assert balances(db) == before


def test_bad_rows_are_reported_by_line_and_nothing_is_carried(shop, db, tmp_path):
    result = run(members_file(tmp_path, GOOD + "dee@example.com,,,lots,\n"
                                             "ed@example.com,,,10,bronze\n"))

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "line 5: points: 'lots' is not a whole number of points from 0 to 10,000,000",
        "line 6: tier: 'bronze' is not a tier of the program (silver, gold)"]
    assert "2 error(s) in members.csv; nothing was imported (--skip-bad imports the " \
           "good rows)" in result.stderr
    assert balances(db) == []


def test_skip_bad_carries_the_good_rows_over(shop, db, tmp_path):
    result = run(members_file(tmp_path, GOOD + "dee@example.com,,,lots,\n"), "--skip-bad")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "line 5: points: 'lots' is not a whole number of points from 0 to 10,000,000",
        "carried over 2 members (1,500 points, 1 tiers; 3 new customers); 0 imported "
        "before; 1 with nothing to carry; skipped 1 rows"]
    assert [b[2] for b in balances(db)] == [1200, 300, 0]


def test_an_unknown_store_is_refused(shop, db, tmp_path):
    result = runner.invoke(app, ["loyalty", "import", str(members_file(tmp_path, GOOD)),
                                 "--store", "nope"])

    assert result.exit_code == 1
    assert "no store 'nope'" in result.stderr
    assert balances(db) == []


@pytest.mark.slow
def test_imports_at_once_beside_a_live_servers_redemptions_carry_each_member_once(
        template_url, tmp_path):
    url = fresh_database(template_url, tmp_path, "carry")
    db = Database(url)
    with db.transaction() as session:
        store = stores.create_store(session, slug="busy", name="Busy", currency="EUR")
        auth = {"Authorization": f"Bearer {stores.issue_api_key(session, store=store)}"}
        store_id = store.id
    listening(db, store_id)  # the store platform takes the reward codes
    server = ServerProcess(url).wait_ready()
    try:
        program = hammer(server.url, [Call("PUT", "/api/v1/loyalty/program", {
            "headers": auth, "json": {"points_per_currency_unit": 1, "rewards": [
                {"key": "five-off", "name": "5 off", "points": 60,
                 "discount_minor": 500}]}})], clients=1)
        assert program[0].status == 200, program
        emails = [f"m{i}@example.com" for i in range(12)]
        made = hammer(server.url, [Call("POST", "/api/v1/customers", {
            "headers": auth, "json": {"email": e}}) for e in emails], clients=4)
        assert {a.status for a in made} == {201}, made
        ids = [int(a.body["id"]) for a in made]
        path = members_file(tmp_path, "email,points\n" + "".join(f"{e},100\n"
                                                                 for e in emails))
        command = [sys.executable, "-m", "afterward.cli.__main__", "loyalty", "import",
                   str(path), "--store", "busy", "--json"]
        imports = [subprocess.Popen(command, env=child_env(url), cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                   for _ in range(3)]
        spends = [Call("POST", "/api/v1/loyalty/redemptions", {
            "headers": auth, "json": {"customer_id": i, "reward": "five-off"}})
            for i in ids * 2]
        redeemed: list[tuple[Call, Answer]] = []
        while True:  # rounds of redemptions while the imports run, and one after
            running = any(p.poll() is None for p in imports)
            redeemed += zip(spends, hammer(server.url, spends, clients=8), strict=True)
            if not running:
                break
        outputs = [p.communicate(timeout=120) for p in imports]
    finally:
        took = server.terminate()

    assert [p.returncode for p in imports] == [0, 0, 0], [o[1] for o in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    assert sorted((r["imported"], r["already_imported"]) for r in reports) == [
        (0, 12), (0, 12), (12, 0)]
    assert {a.status for _, a in redeemed} <= {201, 422}, redeemed
    assert {a.body["error"]["code"] for _, a in redeemed if a.status == 422} == {
        "insufficient_points"}
    spent = {i: sum(1 for call, a in redeemed
                    if a.status == 201 and call.options["json"]["customer_id"] == i)
             for i in ids}
    with db.reading() as session:
        held = dict(session.execute(select(LoyaltyAccount.customer_id,
                                           LoyaltyAccount.points_balance)).all())
        carried = session.scalar(select(func.count()).select_from(LoyaltyEntry).where(
            LoyaltyEntry.source == "import"))
    db.dispose()
    assert carried == 12
    assert spent == dict.fromkeys(ids, 1)  # 100 points buy one 60-point reward, once
    assert held == dict.fromkeys(ids, 40)
    assert took < 15
    assert server.errors_logged() == ""
