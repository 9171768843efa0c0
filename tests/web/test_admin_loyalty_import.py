"""Members imported from another program in the admin: a CSV file uploaded and carried
over as `afterward loyalty import` does; what was carried over said, bad rows listed
by line with nothing imported, and a bad form refused readably."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from afterward.commerce.models import Customer
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry
from tests.loyalty.conftest import Club
from tests.web.helpers import csrf_of, make_admin, sign_in

TIERS = [{"key": "silver", "name": "Silver", "min_spend_minor": 2000},
         {"key": "gold", "name": "Gold", "min_spend_minor": 10000}]
GOOD = b"email,first_name,points,tier\nada@example.com,Ada,1200,Gold\nbo@example.com,,300,\n"


@pytest.fixture
def admin_of(client, db, make_store) -> Club:
    club = Club(client, db, make_store("acme", currency="EUR"))
    assert club.put_program(points_per_currency_unit=1, tiers=TIERS).status_code == 200
    make_admin(db)
    sign_in(client)
    return club


def upload(client, content: bytes | None, **fields: str):
    page = client.get("/admin/loyalty/import")
    files = {"members": ("members.csv", content, "text/csv")} if content is not None else None
    return client.post("/admin/loyalty/import", files=files, data={
        "csrf": csrf_of(page.text), "keep_tier_days": "365", **fields})


def written(db) -> tuple[int, int, int]:
    with db.reading() as session:
        return tuple(int(session.scalar(select(func.count()).select_from(m)) or 0)
                     for m in (Customer, LoyaltyAccount, LoyaltyEntry))


def test_the_page_explains_the_columns_and_is_linked_from_the_overview(admin_of, client):
    page = client.get("/admin/loyalty/import")

    assert page.status_code == 200
    assert '<form method="post" action="/admin/loyalty/import" enctype="multipart/form-data"' \
        in page.text
    assert "<code>points</code>" in page.text and "10,000,000" in page.text
    assert 'href="/admin/loyalty/import"' in client.get("/admin/loyalty").text


def test_an_uploaded_file_carries_the_members_over_and_says_so(admin_of, client, db):
    answer = upload(client, GOOD)

    assert answer.status_code == 200, answer.text
    assert "Carried over 2 members: 1,500 points, 1 tier, 2 new customers." in answer.text
    assert "0 imported before, 0 with nothing to carry." in answer.text
    with db.reading() as session:
        assert dict(session.execute(select(Customer.email, LoyaltyAccount.points_balance)
                                    .join(LoyaltyAccount,
                                          LoyaltyAccount.customer_id == Customer.id)).all()
                    ) == {"ada@example.com": 1200, "bo@example.com": 300}

    again = upload(client, GOOD)

    assert "Carried over 0 members" in again.text and "2 imported before" in again.text


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(admin_of, client, db):
    before = written(db)

    answer = upload(client, GOOD + b"cy@example.com,,many,\n")

    assert answer.status_code == 422
    assert "Nothing was imported: 1 problem in the file." in answer.text
    assert ('<th scope="row" data-label="Line" class="num">4</th><td data-label="Column">'
            'points</td><td data-label="Problem">&#39;many&#39; is not a whole number of '
            'points from 0 to 10,000,000</td>') in answer.text
    assert written(db) == before


def test_skipping_bad_rows_imports_the_others(admin_of, client, db):
    answer = upload(client, GOOD + b"cy@example.com,,many,\n", skip_bad="1")

    assert answer.status_code == 200
    assert "Carried over 2 members" in answer.text and "1 bad row skipped" in answer.text
    assert written(db)[2] == 2


@pytest.mark.parametrize(("content", "fields", "problem"), [
    (None, {}, "Choose the CSV file to import."),
    (b"", {}, "Choose the CSV file to import."),
    (GOOD, {"keep_tier_days": "a year"},
     "Days to keep a carried-over tier: a whole number from 0 to 3650."),
])
def test_a_bad_form_is_refused_readably_with_nothing_written(admin_of, client, db, content,
                                                            fields, problem):
    before = written(db)

    answer = upload(client, content, **fields)

    assert answer.status_code == 422
    assert problem in answer.text
    assert written(db) == before


def test_an_unreadable_file_is_refused_whole(admin_of, client, db):
    before = written(db)

    answer = upload(client, "email,points\nzoë@example.com,10\n".encode("latin-1"),
                    skip_bad="1")

    assert answer.status_code == 422
    assert "not UTF-8" in answer.text
    assert written(db) == before


def test_a_form_without_its_csrf_token_imports_nothing(admin_of, client, db):
    before = written(db)

    answer = client.post("/admin/loyalty/import", data={"keep_tier_days": "365"},
                         files={"members": ("members.csv", GOOD, "text/csv")})

    assert answer.status_code == 403
    assert written(db) == before
