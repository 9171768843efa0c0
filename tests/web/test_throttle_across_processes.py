"""Two `afterward serve --no-worker` processes on one database, as behind a load
balancer: the shopper lookup limit and the admin sign-in limit are counted once for
both, not once each."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from afterward.web.pages import lookup
from tests.servers import ServerProcess, http_client, http_post
from tests.web import tracking_scenes
from tests.web.helpers import PASSWORD, csrf_of, make_admin


@pytest.fixture
def two_servers(db_url: str) -> Iterator[tuple[str, str]]:
    servers = [ServerProcess(db_url, "--no-worker") for _ in range(2)]
    try:
        for server in servers:
            server.wait_ready(timeout=60)
        yield servers[0].url, servers[1].url
    finally:
        for server in servers:
            try:
                server.terminate()
            except subprocess.TimeoutExpired:
                server.kill()


def track(base: str, number: str, email: str) -> httpx.Response:
    return http_post(f"{base}/track", data={"order_number": number, "email": email},
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
    with http_client(timeout=30) as client:
        failures = [sign_in(client, (first, second)[i % 2], "wrong password!").status_code
                    for i in range(10)]

        # when the right password comes to either server
        on_first = sign_in(client, first, PASSWORD)
        on_second = sign_in(client, second, PASSWORD)

    # then both refuse it
    assert failures == [401] * 10
    assert (on_first.status_code, on_second.status_code) == (429, 429)
    assert "Too many failed attempts. Wait 15 minutes, then try again." in on_second.text
