"""What every suite shares: options, figures, throwaway databases, free ports."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from afterward.storage.db import backend_name, normalize_url
from afterward.tls import client_context

Backend = Literal["sqlite", "postgresql"]


class BenchError(RuntimeError):
    """A benchmark cannot run here (missing tool, no database); the message says why."""


@dataclass(frozen=True)
class BenchOptions:
    backend: Backend = "sqlite"
    orders: int | None = None  # suite-specific size; None: the suite's default
    # Seconds of load for suites that drive a server (0 skips it); None: the suite's own.
    duration: float | None = None

    def seconds(self, default: float = 10.0) -> float:
        return default if self.duration is None else self.duration


@dataclass(frozen=True)
class Figure:
    suite: str
    metric: str
    value: float
    unit: str
    backend: Backend

    def as_dict(self) -> dict[str, Any]:
        value = round(self.value, 3) if isinstance(self.value, float) else self.value
        return {"suite": self.suite, "metric": self.metric, "value": value,
                "unit": self.unit, "backend": self.backend}


def postgres_admin_url() -> str:
    """AFTERWARD_BENCH_POSTGRES_URL, or AFTERWARD_DATABASE_URL when it is PostgreSQL: a
    server where the bench may create (and drop) databases of its own."""
    for name in ("AFTERWARD_BENCH_POSTGRES_URL", "AFTERWARD_DATABASE_URL"):
        url = os.environ.get(name, "")
        if url and backend_name(normalize_url(url)) == "postgresql":
            return normalize_url(url)
    # Short: fail() wraps at the terminal width, and a reason should be one line.
    raise BenchError("--backend postgresql needs AFTERWARD_BENCH_POSTGRES_URL")


@contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="afterward-bench-") as name:
        yield Path(name)


@contextmanager
def fresh_database(backend: Backend, workdir: Path, label: str) -> Iterator[str]:
    """A new, empty database URL (not migrated); PostgreSQL ones are dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / label}.db"
        return
    admin_url = postgres_admin_url()
    name = f"afterward_bench_{label}_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise BenchError(f"cannot create a PostgreSQL database: {exc}") from exc
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER_SECRET = "bench-secret-key-0123456789abcdef"


def cli(*args: str) -> list[str]:
    """The `afterward` command line, run with this interpreter."""
    return [sys.executable, "-m", "afterward.cli.__main__", *args]


def server_env(url: str) -> dict[str, str]:
    return {**os.environ, "AFTERWARD_DATABASE_URL": url, "AFTERWARD_LOG_LEVEL": "warning",
            "AFTERWARD_SECRET_KEY": SERVER_SECRET}


@contextmanager
def serve_http(env: dict[str, str], workdir: Path, processes: int, *,
               with_worker: bool = False) -> Iterator[tuple[str, int]]:
    """`afterward serve --no-worker` (or with its worker) on a free port until the block
    ends; yields the base URL and the server's pid (for CPU accounting)."""
    port = free_port()
    workers = ["--workers", str(processes)] if processes > 1 else []
    workers += [] if with_worker else ["--no-worker"]
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(cli("serve", "--port", str(port), *workers),
                                   env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, process, log_path)
            yield base, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"afterward serve exited: {log.read_text(errors='replace')[-500:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1, verify=client_context()).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise BenchError("afterward serve did not become healthy within 60 s")


def process_tree_cpu(pid: int, *, reaped: bool = False) -> float:
    """CPU seconds (user + system) of a process and all its descendants (`reaped`: and
    of its children that have ended, as the process counted them when they did)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = int(fields[11]) + int(fields[12])
        if reaped and int(entry) == pid:
            times[pid] += int(fields[13]) + int(fields[14])
    tree, total, frontier = {pid}, 0, [pid]
    while frontier:
        current = frontier.pop()
        total += times.get(current, 0)
        children = [p for p, parent in parents.items() if parent == current and p not in tree]
        tree.update(children)
        frontier += children
    return total / tick


WARMUP_SECONDS = 2.0


SMOKE_RUNS = 5


def warm_up(wrk: str, script: Path, base: str, args: list[str], duration: float) -> None:
    """The load before a measured one, its figures thrown away: 2 s, or none before a
    run shorter than that (a smoke run, as the tests make: its figures only show that
    every request is answered)."""
    if duration >= WARMUP_SECONDS:
        run_wrk(wrk, script, base, args, WARMUP_SECONDS)


def run_wrk(wrk: str, script: Path, base: str, args: list[str], seconds: float,
            *, spare: float = 120) -> dict[str, Any]:
    """wrk with 2 threads and 4 keep-alive connections for `seconds` (whole seconds, at
    least 1), its Lua `script` given `args`; the JSON object the script's done() prints
    last."""
    whole = max(1, round(seconds))
    # A smoke run has no warm-up (warm_up): on a busy machine a cold server may finish
    # no request in its one second, so it is run again, a few times at most.
    for _ in range(SMOKE_RUNS if seconds < WARMUP_SECONDS else 1):
        done = subprocess.run([wrk, "-t2", "-c4", f"-d{whole}s", "--timeout", "10s", "-s",
                               str(script), base, "--", *args],
                              capture_output=True, text=True, timeout=whole + spare)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if done.returncode != 0 or not lines:
            raise BenchError(f"wrk failed: {(done.stderr or done.stdout).strip()[-300:]}")
        result: dict[str, Any] = json.loads(lines[-1])
        if result["requests"] > 0:
            return result
    raise BenchError("wrk completed no request")


# The start of a wrk Lua script that sends the requests of a file (its first argument;
# the second: wrk's thread count): thread k of n takes lines k, k+n, ... and cycles
# through them. The script it begins defines `make(line, args)`, giving the request of
# one line (wrk.format), and its own response() and done().
LUA_REQUEST_FILE = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  local nthreads = tonumber(args[2])
  reqs = {}
  local n = 0
  for line in io.lines(args[1]) do
    if n % nthreads == id - 1 then
      reqs[#reqs + 1] = make(line, args)
    end
    n = n + 1
  end
  at = 0
  started()
end

function request()
  at = at % #reqs + 1
  return reqs[at]
end
"""

# The end of a wrk Lua script whose threads count their unwanted answers in `bad`:
# the JSON line run_wrk reads (requests, duration, bad, socket errors, p50/p95/p99).
LUA_DONE_COUNTING_BAD = r"""function done(summary, latency, requests)
  local e, wrong = summary.errors, 0
  for _, thread in ipairs(threads) do
    wrong = wrong + thread:get("bad")
  end
  io.write(string.format('{"requests": %d, "duration_us": %d, "bad": %d, '
    .. '"socket_errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, wrong, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
