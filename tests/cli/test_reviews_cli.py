"""`afterward reviews import FILE --store S`: a CSV of reviews from another tool,
each row through the API's service as `source` "import"; line-numbered errors; all
or nothing by default, `--skip-bad` keeps the good rows; the same file twice adds
nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from afterward.cli.main import app
from afterward.events import Event
from afterward.feedback.models import Review
from tests.feedback.scene import open_shop, snapshot

runner = CliRunner()
HEADER = "sku,rating,title,body,author_name,email,order_number,created_at,published\n"


pytestmark = pytest.mark.usefixtures("cli_on_test_database")


@pytest.fixture
def shop(client, db, make_store):
    found = open_shop(client, db, make_store)
    found.order("1001")
    return found


def csv_file(tmp_path, *rows: str, header: str = HEADER):
    path = tmp_path / "reviews.csv"
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = ('TEA-1,5,Lovely,"Fresh, green.",Ada L.,ada@example.com,1001,2024-05-01,true',
        "MUG-1,2,,Chipped <b>rim</b>,Bob,,,2024-06-02T09:30:00+02:00,false")


def reviews_in(db) -> list[tuple]:
    with db.reading() as session:
        return [(r.sku, r.rating, r.title, r.body, r.author_name, r.source, r.verified_buyer,
                 r.status, r.submitted_at.replace(tzinfo=UTC))
                for r in session.scalars(select(Review).order_by(Review.id))]


def run(path, *extra: str):
    return runner.invoke(app, ["reviews", "import", str(path), "--store", "acme", *extra])


def test_a_good_file_is_imported_through_the_reviews_service(shop, db, tmp_path):
    result = run(csv_file(tmp_path, *GOOD))

    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 2 reviews; 0 imported before; skipped 0 rows\n"
    assert reviews_in(db) == [
        ("TEA-1", 5, "Lovely", "Fresh, green.", "Ada L.", "import", True, "published",
         datetime(2024, 5, 1, tzinfo=UTC)),
        ("MUG-1", 2, None, "Chipped <b>rim</b>", "Bob", "import", False, "pending",
         datetime(2024, 6, 2, 7, 30, tzinfo=UTC))]
    with db.reading() as session:
        names = list(session.scalars(select(Event.name).where(
            Event.name.like("review.%")).order_by(Event.id)))
    assert names == ["review.submitted", "review.published", "review.submitted"]


def test_the_same_file_twice_adds_nothing(shop, db, tmp_path):
    path = csv_file(tmp_path, *GOOD)
    run(path)
    before = snapshot(db)

    again = run(path)

    assert again.exit_code == 0, again.output
    assert again.stdout == "imported 0 reviews; 2 imported before; skipped 0 rows\n"
    assert snapshot(db) == before


BAD = ("TEA-1,6,Too many,,Ada,,,,", "TEA-1,4,,,Ada,,,,", "NOPE-1,4,Who,,Ada,,,,",
       "TEA-1,3,When,,Ada,,,last week,")
BAD_LINES = [
    "line 3: rating: '6' is not a whole number of stars from 1 to 5",
    "line 4: title: an empty review: give a title or a text (body)",
    "line 5: sku: NOPE-1 is not a product of this store",
    "line 6: created_at: 'last week' is not an ISO 8601 date or date and time such as "
    "2025-03-01 or 2025-03-01T10:00:00+01:00"]


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(shop, db, tmp_path):
    before = snapshot(db)

    result = run(csv_file(tmp_path, GOOD[0], *BAD))

    assert result.exit_code == 1
    assert result.stdout.splitlines() == BAD_LINES
    assert "4 error(s) in reviews.csv; nothing was imported" in result.stderr
    assert snapshot(db) == before


def test_skip_bad_imports_the_good_rows_and_reports_the_others(shop, db, tmp_path):
    result = run(csv_file(tmp_path, GOOD[0], *BAD), "--skip-bad", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["rows"], report["imported"], report["skipped"]) == (5, 1, 4)
    assert [e["line"] for e in report["errors"]] == [3, 4, 5, 6]
    assert [r[0] for r in reviews_in(db)] == ["TEA-1"]


def test_an_unknown_column_refuses_the_file_even_with_skip_bad(shop, db, tmp_path):
    before = snapshot(db)
    path = csv_file(tmp_path, "TEA-1,5,Nice,Good,Ada,yes",
                    header="sku,rating,title,body,author_name,verified\n")

    result = run(path, "--skip-bad")

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "line 1: verified: unknown column (known: sku, rating, title, body, author_name, "
        "email, order_number, created_at, published)"]
    assert snapshot(db) == before


def test_another_stores_order_is_not_found(shop, db, client, make_store, tmp_path):
    other = open_shop(client, db, make_store, "other")
    other.order("2002")
    before = snapshot(db)

    result = run(csv_file(tmp_path, "TEA-1,5,Nice,,Ada,ada@example.com,2002,,"))

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "line 2: order_number: no order with this number in this store"]
    assert snapshot(db) == before


def test_an_unknown_store_is_a_one_line_failure(shop, tmp_path):
    result = runner.invoke(app, ["reviews", "import", str(csv_file(tmp_path, *GOOD)),
                                 "--store", "nope"])

    assert result.exit_code == 1
    assert "no store 'nope'" in result.stderr
