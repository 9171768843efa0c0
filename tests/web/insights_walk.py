"""Cohorts, KPIs and programs in the hostile shop (hostile_shop.py): a journey with a
control group whose name is hostile, with customers counted in both groups (so its
name is drawn in the programs chart too), and the visits the walk makes to the
admin's insights pages. The CSV downloads are not pages (test_no_script_injection's
NOT_PAGES): their text cells are kept from being read as formulas
(tests/insights/test_exports.py)."""

from __future__ import annotations

from datetime import timedelta

from afterward.commerce import stores
from afterward.commerce.models import Customer, Order
from afterward.journeys import service
from afterward.journeys.models import Enrolment
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from tests.hostile import hostile
from tests.journeys.helpers import definition, install
from tests.web import hostile_shop as h
from tests.web.hostile_walk import Visit, query

PROGRAM = hostile("program name", 200)
TYPED_PERIOD = hostile("typed period", 8)


def insights_shop(db: Database) -> None:
    with db.reading() as session:
        found = stores.get_by_slug(session, h.SLUG)
        assert found is not None
        store_id = found.id
    add_program(db, store_id, PROGRAM)


def add_program(db: Database, store_id: int, name: str, key: str = "hostile-holdout") -> None:
    """A journey called `name` holding out half its customers: two in each group, forty
    days ago, one of each group ordering three days later."""
    install(db, store_id, definition(key=key, name=name, steps=[
        {"key": "split", "holdout": {"share": 0.5}},
        {"key": "hello", "send": {"channel": "email", "template": "order_confirmation",
                                  "purpose": "transactional"}}]))
    enrolled_at = utcnow() - timedelta(days=40)
    with db.transaction() as session:
        journey = service.get(session, store_id=store_id, key=key)
        assert journey is not None
        version = service.version_of(session, journey=journey, version=1)
        assert version is not None
        for n, group in enumerate(("treatment", "treatment", "control", "control")):
            person = Customer(store_id=store_id, email=f"{key}-{n}@example.com")
            session.add(person)
            session.flush()
            session.add(Enrolment(
                store_id=store_id, journey_id=journey.id, version_id=version.id,
                customer_id=person.id, subject_type="customer", subject_id=person.id,
                trigger_event_id=9000 + n, entry_key=f"customer:{person.id}",
                status="completed", holdout_group=group, enrolled_at=enrolled_at, seq=1,
                position=2))
            if n in (0, 2):
                session.add(Order(store_id=store_id, number=f"{key}-{n}", currency="EUR",
                                  customer_id=person.id, total_minor=2000 * (n + 1),
                                  placed_at=enrolled_at + timedelta(days=3)))


ADMIN = (
    Visit("/admin/insights", "/admin/insights", (h.STORE_NAME,)),
    Visit("/admin/insights", "/admin/insights?" + query(days=TYPED_PERIOD), status=400),
    Visit("/admin/insights/programs", "/admin/insights/programs", (PROGRAM,)),
    Visit("/admin/insights/programs", "/admin/insights/programs?" + query(window="7"),
          (PROGRAM,)),
    Visit("/admin/insights/programs", "/admin/insights/programs?" + query(
        window=TYPED_PERIOD), status=400),
)
