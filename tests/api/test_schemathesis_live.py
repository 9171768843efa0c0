"""schemathesis against a real `afterward serve` on the test database, all four phases
(examples, coverage, fuzzing, stateful) and every check, two workers, over HTTP:
no check fails, no request is answered with a 5xx or outlasts the request timeout,
and the stateful phase follows our links (api/openapi.py) to real objects.

The run's limits are in RUN_OPTIONS; tests/api/schemathesis.toml says why each
setting differs from schemathesis' default; tests/api/schemathesis_hooks.py holds
the rules of our bodies that JSON Schema cannot state."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from afterward.commerce import stores
from afterward.storage.db import Database
from tests.conftest import ONCE_ON_POSTGRESQL
from tests.servers import ROOT, ServerProcess, fresh_database

# One schemathesis run (a minute) serves every test here: kept on one test process.
# In .ci/run it runs once, in the PostgreSQL pass: PostgreSQL refuses what SQLite lets
# through (a text longer than its column, a number beyond its type), so a request that
# could fail on the database fails there; a plain `make test` runs it on SQLite.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("schemathesis"), ONCE_ON_POSTGRESQL]

SEED = 20261205
REQUEST_TIMEOUT = 10  # seconds: what the issue saw requests hang for
RUN_OPTIONS = [
    "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful", "--workers", "2",
    "--seed", str(SEED), "--max-examples", "10", "--request-timeout", str(REQUEST_TIMEOUT),
    # The API refuses NUL in any text (tests/api/test_nul_refused.py): no JSON Schema
    # keyword says so for every string.
    "--generation-allow-x00", "false",
    # Signed webhooks: a generated request cannot carry a valid signature, so it never
    # gets past the check. tests/api/test_webhooks_shopify.py, test_webhooks_carriers.py,
    # test_webhooks_messaging.py and test_concurrent_writes.py send them signed.
    "--exclude-path-regex", "^/api/v1/webhooks/",
    # Hypothesis's "too slow" health check times its own data generation (the journey
    # definition language is recursive): on a busy machine it fails a run whose every
    # request passed. A stopwatch, not a property of the API.
    "--suppress-health-check", "too_slow",
]
CONFIG = ROOT / "tests" / "api" / "schemathesis.toml"
HOOKS = "tests.api.schemathesis_hooks"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@dataclass
class Run:
    """What one schemathesis run did, read from its NDJSON report."""

    command: str
    exit_code: int
    output: str
    failures: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    unanswered: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    links_followed: int = 0
    requests: Counter[str] = field(default_factory=Counter)

    def explain(self) -> str:
        """The command line, then what schemathesis reported: its failures first."""
        start = self.output.find("= FAILURES =")
        shown = self.output[start:start + 12000] if start >= 0 else self.output[-6000:]
        return f"\n{self.command}\n(exit {self.exit_code})\n{shown}"


@pytest.fixture(scope="module")
def api(template_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = fresh_database(template_url, tmp_path_factory.mktemp("schemathesis"), "schemathesis")
    db = Database(url)
    with db.transaction() as session:
        store = stores.create_store(session, slug="fuzzed", name="Fuzzed", currency="EUR",
                                    timezone="UTC")
        key = stores.issue_api_key(session, store=store)
    db.dispose()
    server = ServerProcess(url).wait_ready()
    yield server.url, key
    server.terminate()
    assert server.errors_logged() == ""


@pytest.fixture(scope="module")
def run(api: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Run:
    url, key = api
    report = tmp_path_factory.mktemp("report") / "run.ndjson"
    command = [str(SCHEMATHESIS), "--no-color", "--config-file", str(CONFIG), "run",
               f"{url}/openapi.json", "-H", f"Authorization: Bearer {key}", *RUN_OPTIONS,
               "--report", "ndjson", "--report-ndjson-path", str(report)]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS,
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    shown = shlex.join(command).replace(key, "$API_KEY")
    result = Run(f"SCHEMATHESIS_HOOKS={HOOKS} PYTHONPATH=. {shown}", done.returncode,
                 done.stdout + done.stderr)
    if report.exists():
        for line in report.read_text().splitlines():
            _read(result, json.loads(line))
    return result


def _read(run: Run, event: dict[str, Any]) -> None:
    [(kind, data)] = event.items()
    if kind in ("NonFatalError", "FatalError"):
        run.errors.append(json.dumps(data)[:2000])
    if kind != "ScenarioFinished":
        return
    recorder = data.get("recorder") or {}
    for checks in (recorder.get("checks") or {}).values():
        run.failures.update(c["name"] for c in checks if c["status"] == "failure")
    for interaction in (recorder.get("interactions") or {}).values():
        run.requests[data["phase"]] += 1
        response = interaction.get("response")
        if response is None:
            request = interaction["request"]
            run.unanswered.append(f"{request['method']} {request['uri']}")
        else:
            run.statuses[response["status_code"]] += 1
    if data["phase"] == "stateful":
        run.links_followed += sum(1 for case in (recorder.get("cases") or {}).values()
                                  if case.get("is_transition_applied"))


def test_no_check_fails_in_any_phase(run: Run):
    assert run.failures == Counter(), run.explain()
    assert run.errors == [], run.explain()
    assert run.exit_code == 0, run.explain()


def test_no_request_is_answered_with_a_server_error(run: Run):
    assert {s: n for s, n in run.statuses.items() if s >= 500} == {}, run.explain()


def test_every_request_is_answered_within_the_request_timeout(run: Run):
    assert run.unanswered == [], run.explain()


def test_every_phase_sent_requests(run: Run):
    assert set(run.requests) == {"coverage", "fuzzing", "stateful"}, run.explain()
    assert min(run.requests.values()) >= 20, run.requests


def test_the_stateful_phase_follows_links_to_real_objects(run: Run):
    assert run.links_followed > 0, run.explain()
    assert run.statuses[200] + run.statuses[201] > 0
