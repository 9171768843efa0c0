"""A worker killed with SIGKILL inside each job kind's handler, after the handler did
its work and before it returned: another worker takes the job once the lease (2 s)
runs out, the job ends done, and its effect exists exactly once, nothing missing."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from afterward.config import Settings
from afterward.messaging import runtime
from tests.faults.helpers import (
    dead_jobs,
    eventually,
    job_states,
    read_inside,
    unfinished_jobs,
    wait_for,
)
from tests.faults.job_kinds import CANNOT_RUN, SCENARIOS, World
from tests.messaging.conftest import SmtpServer
from tests.returns.easypost_standin import API_KEY as EASYPOST_KEY
from tests.returns.easypost_standin import EasyPostStandIn, easypost  # noqa: F401 (fixture)
from tests.servers import ROOT, WorkerProcess, child_env

PUBLIC_URL = "https://shop.example"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def world(db, store, smtp: SmtpServer, settings: Settings,
          easypost: EasyPostStandIn) -> Iterator[World]:  # noqa: F811 (the fixture)
    runtime.configure(dataclasses.replace(settings, smtp_url=smtp.url, public_url=PUBLIC_URL))
    yield World(db, store.id, smtp.mailbox, easypost)
    runtime.reset()


def real_job_kinds() -> set[str]:
    """What load_handlers() registers, in a fresh interpreter (this one also holds the
    test plugins' kinds, and a test may have replaced a real handler)."""
    listed = subprocess.run(
        [sys.executable, "-c", "from afterward import jobs, worker; worker.load_handlers(); "
                               "print(*jobs.registered_kinds())"],
        env=child_env("sqlite:///unused.db"), cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=60)
    return set(listed.stdout.split())


def test_every_job_kind_the_real_handlers_register_is_tested_or_named_with_a_reason():
    assert real_job_kinds() == SCENARIOS.keys() | CANNOT_RUN.keys()
    assert not SCENARIOS.keys() & CANNOT_RUN.keys()


@dataclass(frozen=True)
class GatedWorker:
    """`afterward worker` with the kill plugin around one kind's handler and a 2 s
    lease, that takes jobs once told to (it starts while the test builds the job)."""

    process: WorkerProcess
    go: Path

    @classmethod
    def start(cls, db_url: str, kind: str, tmp_path: Path, smtp: SmtpServer,
              name: str, standin: EasyPostStandIn) -> GatedWorker:
        go = tmp_path / f"go-{name}"
        return cls(WorkerProcess(
            db_url, job_lease_seconds="2", smtp_url=smtp.url, public_url=PUBLIC_URL,
            easypost_url=standin.url, easypost_api_key=EASYPOST_KEY,
            plugins="tests.faults.kill_plugin", test_kill_kind=kind,
            test_inside_file=str(tmp_path / "inside"), test_go_file=str(go)), go)

    def take_jobs(self) -> None:
        self.go.touch()


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_a_worker_killed_inside_the_handler_leaves_the_job_to_the_next_that_does_it_once(
        kind, world, db, db_url, smtp, tmp_path):
    # given a job of this kind, a worker inside its handler with the work done, and
    # another one started meanwhile, waiting
    first, second = (GatedWorker.start(db_url, kind, tmp_path, smtp, name, world.easypost)
                     for name in ("first", "second"))
    try:
        scenario = SCENARIOS[kind]
        facts = scenario.arrange(world)
        first.take_jobs()
        pid, job_ids = wait_for(lambda: read_inside(tmp_path / "inside"),
                                what=f"the worker inside the {kind} handler")
        assert pid == first.process.pid
        # when the first is killed there
        first.process.kill()
        # then the second takes the job once its lease is over, and finishes it and
        # everything it led to
        second.take_jobs()
        wait_for(lambda: unfinished_jobs(db) == 0, what="every due job done")
        # while the second still runs: a replay's later steps fall due after this moment
        eventually(lambda: scenario.check(world, facts))
    finally:
        first.process.kill()
        took = second.process.terminate(timeout=15)
    assert job_states(db, job_ids) == dict.fromkeys(job_ids, ("done", 2))
    assert (dead_jobs(db), second.process.process.returncode) == ([], 0)
    assert took < 15
