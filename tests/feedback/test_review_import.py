"""The reviews import's write, run again: `Database.run` runs a transaction again from
the start after a lost race, so what the write counts starts afresh each time."""

from __future__ import annotations

import pytest

from afterward.feedback import review_import
from tests.feedback.scene import open_shop

FILE = (b"sku,rating,title,body,author_name\n"
        b"TEA-1,5,Lovely,Fresh,Ada\nMUG-1,4,Sturdy,,Bob\n")


def test_a_write_run_again_after_a_rollback_counts_each_row_once(client, db, make_store):
    shop = open_shop(client, db, make_store)
    rows, report = review_import.read(FILE)

    with pytest.raises(RuntimeError), db.transaction() as session:  # the first attempt
        first = review_import.write(session, store_id=shop.store.id, rows=rows,
                                    report=report)
        raise RuntimeError("lost a race")
    again = db.run(lambda session: review_import.write(
        session, store_id=shop.store.id, rows=rows, report=report))

    assert (first.imported, again.imported, again.already, again.errors) == (2, 2, 0, [])
    assert (report.read, report.imported, report.already) == (2, 0, 0)
