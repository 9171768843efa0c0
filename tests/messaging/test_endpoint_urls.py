"""A webhook endpoint's URL is taken exactly when the schema's pattern allows it: with
private addresses refused (the default), a name or a public IPv4 address; with them
allowed, any name or address."""

from __future__ import annotations

import random
import re
from ipaddress import IPv4Address, IPv6Address

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afterward.commerce.validation import InvalidValue
from afterward.messaging import endpoints
from afterward.messaging.channels import egress


def taken(db, store_id: int, url: str, *, allow_private: bool) -> bool:
    try:
        with db.transaction() as session:
            endpoints.put_webhook_endpoint(session, store_id=store_id, url=url,
                                           allow_private_urls=allow_private)
    except InvalidValue:
        return False
    return True


def test_the_public_ipv4_pattern_is_what_refusal_lets_through():
    pattern = re.compile(egress.PUBLIC_IPV4_PATTERN)
    rng = random.Random(7)
    for first in range(256):
        for second in range(256):
            address = IPv4Address(f"{first}.{second}.{rng.randrange(256)}.{rng.randrange(256)}")
            assert bool(pattern.fullmatch(str(address))) == (egress.refusal(address) is None)


def test_every_ipv6_address_is_a_host_where_private_ones_are_allowed():
    rng = random.Random(7)
    for _ in range(2000):
        address = IPv6Address(rng.getrandbits(128) & rng.choice([2**128 - 1, 2**64 - 1]))
        for written in (address.compressed, address.exploded):
            assert re.fullmatch(endpoints.URL_PATTERN, f"http://[{written}]/hooks")


@pytest.mark.parametrize("allow_private", [False, True])
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_an_url_the_pattern_allows_is_taken(db, store, allow_private, data):
    pattern = endpoints.URL_PATTERN if allow_private else endpoints.PUBLIC_URL_PATTERN
    url = data.draw(st.from_regex(pattern, fullmatch=True))

    assert jsonschema_rs.validator_for({"pattern": pattern}).is_valid(url)
    assert taken(db, store.id, url, allow_private=allow_private)


@pytest.mark.parametrize(("url", "public", "private"), [
    ("https://hooks.example.com/in", True, True), ("http://93.184.216.34:8080/", True, True),
    ("http://10.0.0.1/hooks", False, True), ("http://[2606:4700::1]/", False, True),
    ("http://localhost:8000/", False, True), ("http://0/", False, True),
    ("http://a..b/", False, False), ("http://[6]/", False, False),
    ("ftp://x.example/", False, False),
])
def test_which_urls_are_taken(db, make_store, url, public, private):
    store = make_store("acme")

    assert (taken(db, store.id, url, allow_private=False),
            taken(db, store.id, url, allow_private=True)) == (public, private)
