"""Real server processes for tests: `afterward serve` (or `afterward worker`) started as
a child process on a free port over the test database, stopped with SIGTERM."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from afterward.tls import client_context

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "test-secret-key-0123456789"

# How many server processes the concurrency tests run against. On SQLite both: one
# process batches writes in its group committer (api/group_commit.py), two contend for
# the database file. On PostgreSQL the database sees the same in both cases (separate
# connections meeting on row and advisory locks), so two processes, the harder one.
if os.environ.get("AFTERWARD_TEST_DATABASE_URL", "").startswith("postgresql"):
    SERVER_COUNTS, SERVER_COUNT_IDS = [2], ["two processes"]
else:
    SERVER_COUNTS, SERVER_COUNT_IDS = [1, 2], ["one process", "two processes"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_env(db_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "AFTERWARD_DATABASE_URL": db_url,
            "AFTERWARD_SECRET_KEY": SECRET_KEY, "AFTERWARD_LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            **{f"AFTERWARD_{k.upper()}": v for k, v in extra.items()}}


class _Child:
    """An `afterward` command in a child process over the test database, its stderr in
    test-artifacts/<log name>."""

    def __init__(self, command: list[str], log_name: str, db_url: str,
                 **settings: str) -> None:
        self.log = ROOT / "test-artifacts" / log_name
        self.log.parent.mkdir(exist_ok=True)
        # A session of its own: kill() ends `serve --workers N`'s HTTP processes too,
        # which would otherwise outlive their parent with connections to the database.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "afterward.cli.__main__", *command],
            env=child_env(db_url, **settings), cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=self.log.open("wb"), start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def errors_logged(self) -> str:
        """What the process logged at ERROR (tracebacks of unexpected errors)."""
        text = self.log.read_text(errors="replace")
        return "\n".join(line for line in text.splitlines() if " ERROR " in line)

    def terminate(self, timeout: float = 30.0) -> float:
        """SIGTERM, then wait; returns the seconds it took to exit. One that outlives
        `timeout` is killed before the TimeoutExpired goes up: a test that fails here
        leaves no process behind holding the next test's database rows."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise
        self._kill_group()
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._kill_group()

    def _kill_group(self) -> None:
        """Whatever the process started and left running (its session's processes)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def http_client(**options: Any) -> httpx.Client:
    """An httpx.Client with the process's one TLS context (afterward.tls): httpx would
    build one for each client, ~35 ms of CPU, many times what a request to a local
    server costs."""
    return httpx.Client(verify=client_context(), **options)


def http_get(url: str, **options: Any) -> httpx.Response:
    """httpx.get with the process's one TLS context (http_client)."""
    return httpx.get(url, verify=client_context(), **options)


def http_post(url: str, **options: Any) -> httpx.Response:
    """httpx.post with the process's one TLS context (http_client)."""
    return httpx.post(url, verify=client_context(), **options)


class ServerProcess(_Child):
    """`afterward serve` on 127.0.0.1:<free port>; `url` is its base."""

    def __init__(self, db_url: str, *args: str, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings.setdefault("public_url", self.url)
        super().__init__(["serve", "--port", str(self.port), *args],
                         f"server-{self.port}.log", db_url, **settings)

    def wait_ready(self, timeout: float = 30.0) -> ServerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}): "
                                   f"{self.log.read_text()[-2000:]}")
            try:
                if http_get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the server did not answer /healthz in time")


class WorkerProcess(_Child):
    """`afterward worker` over the test database, its log in test-artifacts."""

    def __init__(self, db_url: str, *args: str, **settings: str) -> None:
        super().__init__(["worker", *args], f"worker-{os.getpid()}-{next(_worker_numbers)}.log",
                         db_url, **settings)


_worker_numbers = itertools.count(1)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    location: str | None = None  # a redirect's


CLIENT_TIMEOUT = 60.0  # a hang, not a slow answer: a first message trains the intent model


def hammer(base_url: str | Sequence[str], calls: list[Call], *,
           clients: int = 16) -> list[Answer]:
    """Send `calls` from `clients` threads at once (each its own connection pools) and
    return the answers in call order; given several servers' base URLs, call i goes to
    server i mod n. A request that times out or loses its connection fails the test: a
    hang is never an acceptable answer."""
    bases = [base_url] if isinstance(base_url, str) else list(base_url)
    local = threading.local()
    start = threading.Barrier(min(clients, len(calls)))

    opened: list[httpx.Client] = []

    def client(base: str) -> httpx.Client:
        pool: dict[str, httpx.Client] = local.__dict__.setdefault("clients", {})
        if base not in pool:
            pool[base] = http_client(base_url=base, timeout=CLIENT_TIMEOUT)
            opened.append(pool[base])
        return pool[base]

    def send(index: int) -> Answer:
        if index < start.parties:  # the first wave leaves together
            start.wait(timeout=CLIENT_TIMEOUT)
        call = calls[index]
        response = client(bases[index % len(bases)]).request(call.method, call.path,
                                                             **call.options)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return Answer(response.status_code, body, response.headers.get("location"))

    try:
        with ThreadPoolExecutor(max_workers=clients) as pool:
            return list(pool.map(send, range(len(calls))))
    finally:
        for each in opened:
            each.close()


def server_errors(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if a.status >= 500]


def fresh_database(template_url: str, directory: Path, name: str) -> str:
    """A migrated database of its own, copied from the session's template (SQLite) or
    created next to it (PostgreSQL), for a server that outlives one test."""
    if not template_url.startswith("postgresql"):
        target = directory / f"{name}.db"
        shutil.copyfile(template_url.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    return new_postgres_database(template_url, f"{template_url.rsplit('/', 1)[1]}_{name}")


def new_postgres_database(server_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `server_url`, migrate it, and
    return its URL."""
    from sqlalchemy import create_engine, text

    from afterward.storage.migrate import upgrade

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    return url
