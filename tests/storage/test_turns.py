"""Writers of one process get the write lock in the order they asked for it."""

from __future__ import annotations

import threading

import pytest

from afterward.storage.turns import Turns


def wait_until_waiting(turns: Turns, count: int) -> None:
    for _ in range(2000):
        with turns._mutex:
            if len(turns._waiting) == count:
                return
        threading.Event().wait(0.005)
    raise AssertionError(f"{count} threads never queued")


def test_waiting_threads_get_the_lock_in_the_order_they_asked():
    turns, order = Turns(), []
    turns.acquire()
    threads = []
    for n in range(5):
        def take(n: int = n) -> None:
            with turns:
                order.append(n)
        thread = threading.Thread(target=take)
        thread.start()
        wait_until_waiting(turns, n + 1)
        threads.append(thread)

    turns.release()
    for thread in threads:
        thread.join(timeout=5)

    assert order == [0, 1, 2, 3, 4]


def test_the_thread_that_released_cannot_jump_ahead_of_a_waiting_one():
    turns, order = Turns(), []
    turns.acquire()
    waiter = threading.Thread(target=lambda: (turns.acquire(), order.append("waiter"),
                                              turns.release()))
    waiter.start()
    wait_until_waiting(turns, 1)

    turns.release()
    turns.acquire()  # the releasing thread asks again at once
    order.append("releaser")
    turns.release()
    waiter.join(timeout=5)

    assert order == ["waiter", "releaser"]


def test_a_wait_that_times_out_leaves_the_queue_as_it_was():
    turns = Turns()
    turns.acquire()
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(turns.acquire(timeout=0.05)))
    thread.start()
    thread.join(timeout=5)

    assert outcome == [False]
    assert len(turns._waiting) == 0
    turns.release()
    assert turns.acquire(timeout=0) is True


def test_the_holder_may_take_it_again_and_must_release_as_often():
    turns = Turns()
    with turns, turns:
        assert turns._depth == 2
    assert turns._owner is None


def test_only_the_holder_may_release_it():
    turns = Turns()
    turns.acquire()
    errors = []

    def release_from_elsewhere() -> None:
        try:
            turns.release()
        except RuntimeError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=release_from_elsewhere)
    thread.start()
    thread.join(timeout=5)

    assert errors == ["released by a thread that does not hold it"]
    turns.release()


@pytest.mark.parametrize("threads", [8])
def test_many_threads_each_get_their_turns_and_never_overlap(threads):
    turns, inside, overlaps, done = Turns(), [0], [], []

    def work() -> None:
        for _ in range(200):
            with turns:
                inside[0] += 1
                if inside[0] != 1:
                    overlaps.append(inside[0])
                inside[0] -= 1
        done.append(1)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert (len(done), overlaps) == (threads, [])
