"""loyalty/programs.py: a store's program read back as it is stored, the validated
document kept for the next read only while the stored one is the same."""

from __future__ import annotations

from sqlalchemy import update

from afterward.loyalty import programs
from afterward.loyalty.models import LoyaltyProgramRow
from afterward.loyalty.program import DEFAULT, Program

ONE = Program.model_validate({"points_per_currency_unit": 1, "pending_days": 30})
FIVE = Program.model_validate({"points_per_currency_unit": 5, "pending_days": 7})


def test_a_store_without_a_program_has_none_active_and_loads_the_defaults(db, store):
    with db.reading() as session:
        found = (programs.active(session, store_id=store.id),
                 programs.load(session, store_id=store.id))

    assert found == (None, DEFAULT)


def test_the_same_stored_document_is_read_as_the_same_program(db, store):
    with db.transaction() as session:
        programs.save(session, store_id=store.id, program=FIVE)
    with db.reading() as session:
        first = programs.load(session, store_id=store.id)
    with db.reading() as session:
        second = programs.load(session, store_id=store.id)

    assert first == FIVE
    assert second is first


def test_a_document_changed_behind_this_process_s_back_is_read_as_it_now_is(db, store):
    with db.transaction() as session:
        programs.save(session, store_id=store.id, program=ONE)
    with db.reading() as session:
        before = programs.load(session, store_id=store.id)
    with db.transaction() as session:  # as another process would write it: no save()
        session.execute(update(LoyaltyProgramRow).where(LoyaltyProgramRow.store_id == store.id)
                        .values(document=FIVE.model_dump(mode="json")))
    with db.reading() as session:
        after = programs.load(session, store_id=store.id)

    assert (before, after) == (ONE, FIVE)
