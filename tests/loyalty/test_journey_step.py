"""The journey step `loyalty_points` (loyalty/journey_step.py, brought to journeys
through Module.journey_steps): spendable points at once, once per order (shipment,
customer) however often the step runs or the journey enrols, read from the program
for the late-parcel apology, and validated with the path of each problem."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select, update

from afterward.events import Event
from afterward.journeys import builtins, parsing
from afterward.journeys.definition import Action, DefinitionError
from afterward.journeys.models import Enrolment, EnrolmentStep
from afterward.loyalty import ledger, programs
from afterward.loyalty.models import LoyaltyEntry
from afterward.loyalty.program import Bonuses, Program
from afterward.modules import installed
from afterward.storage.types import utcnow
from tests.journeys.helpers import consume, definition, emit, install, step, the_enrolments
from tests.messaging.conftest import shop


def points_step(**spec) -> dict:
    return definition(key="sorry", steps=[{"key": "points", "loyalty_points": spec}])


def entries(db) -> list[tuple[str, int, int, str, str | None, str]]:
    with db.reading() as session:
        return [(e.kind, e.points, e.balance_delta, e.source, e.reason, e.idempotency_key)
                for e in session.scalars(select(LoyaltyEntry).order_by(LoyaltyEntry.id))]


def balance(db, store_id: int, customer_id: int) -> tuple[int, int]:
    with db.reading() as session:
        held = ledger.find_account(session, store_id=store_id, customer_id=customer_id)
        return (held.points_balance, held.points_pending) if held else (0, 0)


def detail(db, enrolment_id: int) -> dict:
    with db.reading() as session:
        found = session.scalar(select(EnrolmentStep.detail).where(
            EnrolmentStep.enrolment_id == enrolment_id,
            EnrolmentStep.kind == "loyalty_points").order_by(EnrolmentStep.id.desc()))
        assert found is not None
        return found


def run_for_order(db, store_id: int, raw: dict) -> tuple[int, int, int]:
    install(db, store_id, raw)
    customer_id, order_id, _, _ = shop(db, store_id)
    emit(db, store_id, "order.created", "order", order_id, customer_id=customer_id)
    consume(db, store_id)
    [row] = the_enrolments(db, store_id)
    step(db, row.id)
    return row.id, customer_id, order_id


def test_loyalty_brings_the_step_and_journeys_do_not_import_loyalty():
    [loyalty] = [m for m in installed() if m.name == "loyalty"]
    assert loyalty.journey_steps == ("afterward.loyalty.journey_step",)
    import pathlib

    import afterward.journeys
    folder = pathlib.Path(afterward.journeys.__file__).parent
    assert [p.name for p in folder.rglob("*.py") if "afterward.loyalty" in p.read_text()] == []


def test_the_step_credits_spendable_points_at_once(db, store):
    enrolment_id, customer_id, order_id = run_for_order(
        db, store.id, points_step(points=200, reason="late parcel apology"))

    assert balance(db, store.id, customer_id) == (200, 0)
    assert entries(db) == [("adjust", 200, 200, "journey", "late parcel apology",
                            f"journey:sorry:points:order:{order_id}")]
    assert detail(db, enrolment_id)["points"] == 200
    with db.reading() as session:
        earned = session.scalar(select(Event).where(Event.name == "loyalty.points_earned"))
        assert earned is not None and earned.payload["source"] == "journey"


def test_a_step_that_runs_again_or_a_second_enrolment_for_the_order_credits_nothing(
        db, store):
    enrolment_id, customer_id, order_id = run_for_order(db, store.id, points_step(points=200))
    with db.transaction() as session:  # the step again from the start
        session.execute(update(Enrolment).where(Enrolment.id == enrolment_id).values(
            status="active", position=0, active_key=None, finished_at=None))
    step(db, enrolment_id)
    emit(db, store.id, "order.created", "order", order_id, customer_id=customer_id)
    consume(db, store.id)
    second = the_enrolments(db, store.id)[-1]
    assert second.id != enrolment_id
    step(db, second.id)

    assert balance(db, store.id, customer_id) == (200, 0)
    assert len(entries(db)) == 1
    assert detail(db, second.id) == {"points": 0, "skipped": "credited once per order already"}


@pytest.mark.parametrize(("late_parcel", "credited"), [(0, 0), (150, 150)])
def test_the_program_s_late_parcel_bonus_is_what_the_step_credits(
        db, store, late_parcel, credited):
    with db.transaction() as session:
        programs.save(session, store_id=store.id,
                      program=Program(bonuses=Bonuses(late_parcel=late_parcel)))

    enrolment_id, customer_id, _ = run_for_order(
        db, store.id, points_step(points="program:late_parcel", once_per="customer"))

    assert balance(db, store.id, customer_id) == (credited, 0)
    assert len(entries(db)) == (1 if credited else 0)
    if not credited:
        assert detail(db, enrolment_id) == {"skipped": "the program's bonuses.late_parcel is 0"}


def test_the_built_in_delay_apology_credits_the_late_parcel_bonus_once_per_order(db, store):
    [raw] = [copy.deepcopy(d) for d in builtins.definitions() if d["key"] == "shipment_delayed"]
    raw["trigger"].pop("filter")  # lateness itself is tested in tests/journeys
    with db.transaction() as session:
        programs.save(session, store_id=store.id,
                      program=Program(bonuses=Bonuses(late_parcel=100)))
    install(db, store.id, raw)
    customer_id, order_id, shipment_id, _ = shop(db, store.id)
    for _ in range(2):  # delayed twice: re_entry never, and once per order anyway
        emit(db, store.id, "shipment.delayed", "shipment", shipment_id)
        consume(db, store.id)
        for row in the_enrolments(db, store.id):
            if row.status == "active":
                step(db, row.id)

    assert balance(db, store.id, customer_id) == (100, 0)
    assert [e[3:] for e in entries(db)] == [
        ("journey", "late parcel apology",
         f"journey:shipment_delayed:late_points:order:{order_id}")]
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_the_built_in_delay_apology_credits_nothing_without_a_program(db, store):
    [raw] = [copy.deepcopy(d) for d in builtins.definitions() if d["key"] == "shipment_delayed"]
    raw["trigger"].pop("filter")
    install(db, store.id, raw)
    _, _, shipment_id, _ = shop(db, store.id)
    emit(db, store.id, "shipment.delayed", "shipment", shipment_id)
    consume(db, store.id)
    [row] = the_enrolments(db, store.id)

    step(db, row.id)

    assert entries(db) == []
    assert detail(db, row.id) == {"skipped": "the program's bonuses.late_parcel is 0"}


@pytest.mark.parametrize(("spec", "path", "message"), [
    ({}, "steps[0].loyalty_points.points",
     "required: a whole number from 1 to 1000000 (or program:late_parcel)"),
    ({"points": -5}, "steps[0].loyalty_points.points",
     "required: a whole number from 1 to 1000000 (or program:late_parcel)"),
    ({"points": 10**7}, "steps[0].loyalty_points.points",
     "required: a whole number from 1 to 1000000 (or program:late_parcel)"),
    ({"points": "program:nope"}, "steps[0].loyalty_points.points",
     "a whole number of points, or one of program:birthday, program:first_order, "
     "program:late_parcel, program:review, program:review_photo, program:signup"),
    ({"points": 10, "once_per": "week"}, "steps[0].loyalty_points.once_per",
     "one of order, shipment, customer, enrolment"),
    ({"points": 10, "reason": "two\nlines"}, "steps[0].loyalty_points.reason",
     "expected one line of 1-200 characters"),
    ({"points": 10, "bonus": 1}, "steps[0].loyalty_points.bonus",
     "unknown field (allowed: once_per, points, reason)"),
])
def test_a_bad_points_step_is_refused_with_its_path(spec, path, message):
    with pytest.raises(DefinitionError) as refused:
        parsing.parse(points_step(**spec))

    assert [(p.path, p.message) for p in refused.value.problems] == [(path, message)]


def test_a_points_step_parses_with_order_as_the_default_unit():
    journey = parsing.parse(points_step(points=50.0))

    assert journey.steps[0] == Action("points", "loyalty_points", (50, None, "order"))


def test_concurrent_runs_for_one_order_credit_once(db, store):
    from concurrent.futures import ThreadPoolExecutor

    from afterward.journeys import actions

    customer_id, order_id, _, _ = shop(db, store.id)
    config = (200, "sorry", "order")

    def credit(n: int) -> int:
        detail = db.run(lambda session: actions.run(
            session, "loyalty_points", config, store_id=store.id, journey_key="sorry",
            step_key="points", enrolment_id=n, customer_id=customer_id, order_id=order_id,
            shipment_id=None, now=utcnow()))
        return int(detail["points"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        credited = list(pool.map(credit, range(1, 13)))

    assert sorted(credited) == [0] * 11 + [200]
    assert balance(db, store.id, customer_id) == (200, 0)
    assert len(entries(db)) == 1
