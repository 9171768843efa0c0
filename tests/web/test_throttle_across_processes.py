"""Two `afterward serve --no-worker` processes on one database, as behind a load
balancer: the shopper lookup limit and the admin sign-in limit are counted once for
both, not once each."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from afterward.web.pages import lookup
from tests.web import tracking_scenes
from tests.web.helpers import PASSWORD, csrf_of, make_admin

ROOT = Path(__file__).parent.parent.parent
SECRET = "two-servers-secret-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db_url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "AFTERWARD_DATABASE_URL": db_url, "AFTERWARD_SECRET_KEY": SECRET,
           "AFTERWARD_LOG_LEVEL": "warning",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT),
                                          os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "afterward.cli.__main__", "serve", "--no-worker",
         "--port", str(port)], env=env, cwd=workdir, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    return process, f"http://127.0.0.1:{port}"


def wait_healthy(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr.read().decode()[-800:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the server did not answer within 60 s")


@pytest.fixture
def two_servers(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    started = [start_server(db_url, tmp_path) for _ in range(2)]
    try:
        for process, base in started:
            wait_healthy(process, base)
        yield started[0][1], started[1][1]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def track(base: str, number: str, email: str) -> httpx.Response:
    return httpx.post(f"{base}/track", data={"order_number": number, "email": email},
                      follow_redirects=False, timeout=30)


def without_nonce_and_input(response: httpx.Response, *typed: str) -> str:
    body = re.sub(r'nonce="[^"]+"', "", response.text)
    for value in typed:
        body = body.replace(f'value="{value}"', 'value=""')
    return body


@pytest.mark.slow
def test_lookups_spread_over_two_servers_share_one_limit(db, two_servers):
    # given the limit's worth of lookups, alternating between the servers
    tracking_scenes.build(db)
    first, second = two_servers
    statuses = [track((first, second)[i % 2], f"9{i}", "x@example.com").status_code
                for i in range(lookup.LIMIT)]

    # when the next lookup goes to either server, with the right facts or wrong ones
    right_on_first = track(first, "1001", tracking_scenes.EMAIL)
    wrong_email_on_second = track(second, "1001", "eve@example.com")
    wrong_number_on_first = track(first, "1999", tracking_scenes.EMAIL)

    # then every one is refused alike, saying nothing about the facts
    assert statuses == [404] * lookup.LIMIT
    refused = (right_on_first, wrong_email_on_second, wrong_number_on_first)
    assert [r.status_code for r in refused] == [429, 429, 429]
    assert [r.headers["retry-after"] for r in refused] == ["600", "600", "600"]
    assert all("location" not in r.headers for r in refused)
    assert all("Too many attempts" in r.text for r in refused)
    assert all("We could not find that order" not in r.text for r in refused)
    assert without_nonce_and_input(right_on_first, "1001", tracking_scenes.EMAIL) == \
        without_nonce_and_input(wrong_email_on_second, "1001", "eve@example.com") == \
        without_nonce_and_input(wrong_number_on_first, "1999", tracking_scenes.EMAIL)


def sign_in(client: httpx.Client, base: str, password: str) -> httpx.Response:
    form = client.get(f"{base}/admin/login")
    return client.post(f"{base}/admin/login", follow_redirects=False, data={
        "email": "ann@example.com", "password": password, "csrf": csrf_of(form.text)})


@pytest.mark.slow
def test_failed_sign_ins_spread_over_two_servers_share_one_lock(db, store, two_servers):
    # given ten wrong passwords, alternating between the servers
    make_admin(db)
    first, second = two_servers
    with httpx.Client(timeout=30) as client:
        failures = [sign_in(client, (first, second)[i % 2], "wrong password!").status_code
                    for i in range(10)]

        # when the right password comes to either server
        on_first = sign_in(client, first, PASSWORD)
        on_second = sign_in(client, second, PASSWORD)

    # then both refuse it
    assert failures == [401] * 10
    assert (on_first.status_code, on_second.status_code) == (429, 429)
    assert "Too many failed attempts. Wait 15 minutes, then try again." in on_second.text
