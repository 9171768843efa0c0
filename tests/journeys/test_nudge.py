"""The worker's event nudge: a new event is consumed by the next check, not by the
next run of the periodic consume job; nothing happens twice when they race."""

from __future__ import annotations

import threading

from afterward.worker import EventNudge, Worker
from tests.journeys.helpers import consume, definition, install, the_enrolments
from tests.journeys.test_consumer import an_order, order_created


def test_the_nudge_consumes_a_new_event_once(db, store):
    install(db, store.id, definition())
    consume(db, store.id)  # the cursor exists, as after the first periodic run
    nudge = EventNudge(db)
    assert nudge.consume_if_behind() == 0  # nothing new: only the look-up

    ada, order_id = an_order(db, store.id, "2001")
    event_id = order_created(db, store.id, order_id, ada.id)

    assert nudge.consume_if_behind() == 1
    [only] = the_enrolments(db, store.id)
    assert (only.trigger_event_id, only.order_id) == (event_id, order_id)
    assert nudge.consume_if_behind() == 0
    assert consume(db, store.id).events == 0  # the periodic job finds nothing left
    assert len(the_enrolments(db, store.id)) == 1


def test_a_running_worker_consumes_without_the_periodic_job(db, store):
    install(db, store.id, definition())
    consume(db, store.id)
    worker = Worker(db, idle_sleep=0.05)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        ada, order_id = an_order(db, store.id, "2002")
        order_created(db, store.id, order_id, ada.id)
        found = []
        for _ in range(200):  # the periodic job runs every 5 s; this waits at most ~4 s
            found = the_enrolments(db, store.id)
            if found:
                break
            worker.stopping.wait(0.02)
        assert [e.order_id for e in found] == [order_id]
    finally:
        worker.stop()
        thread.join(timeout=10)
