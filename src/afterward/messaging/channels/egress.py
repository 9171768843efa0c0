"""Outbound HTTP to a URL someone configured (a store's webhook endpoint, the SMS
provider): never to this machine, the private network or a cloud's metadata service
(server-side request forgery), unless AFTERWARD_ALLOW_PRIVATE_URLS says so.

The check is made where the connection is opened, on every address the host name
resolves to, and the connection goes to an address that was checked: a name cannot
resolve to a public address for the check and a private one for the connection.
Redirects are not followed. A URL whose host is a literal address can also be
refused when it is set (`literal_refusal`), but only the send-time check is sure."""

from __future__ import annotations

import http.cookiejar
import os
import socket
import threading
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from afterward.tls import client_context

IPAddress = IPv4Address | IPv6Address
ALLOW_SETTING = "AFTERWARD_ALLOW_PRIVATE_URLS=true"
METADATA = frozenset(ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
    "169.254.170.2",  # AWS ECS task metadata
    "fd00:ec2::254",  # AWS over IPv6
    "100.100.100.200",  # Alibaba Cloud
    "192.0.0.192",  # Oracle Cloud
))
# Not public, though Python 3.11's `is_global` says otherwise for some of them.
NOT_PUBLIC = (IPv4Network("100.64.0.0/10"), IPv4Network("192.0.0.0/24"),
              IPv4Network("198.18.0.0/15"), IPv6Network("64:ff9b:1::/48"))
UNIQUE_LOCAL = IPv6Network("fc00::/7")
NAT64 = IPv6Network("64:ff9b::/96")


# The IPv4 addresses `refusal` lets through, written as dotted decimals, as a regex:
# for the API's schema, which then says which literal hosts an endpoint may have.
# Refused: 0/8 10/8 100.64/10 127/8 169.254/16 172.16/12 192.0.0/24 192.0.2/24
# 192.168/16 198.18/15 198.51.100/24 203.0.113/24 224/4 240/4 (tests/messaging/
# test_egress.py checks this against `refusal`).
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_NOT_0_2 = "(?:1|[3-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])"
_NOT_100 = "(?:[0-9]|[1-9][0-9]|10[1-9]|1[1-9][0-9]|2[0-4][0-9]|25[0-5])"
_NOT_113 = "(?:[0-9]|[1-9][0-9]|10[0-9]|11[0-24-9]|1[2-9][0-9]|2[0-4][0-9]|25[0-5])"
_ANY3 = rf"\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_ANY2 = rf"\.{_OCTET}\.{_OCTET}"
PUBLIC_IPV4_PATTERN = "(?:" + "|".join((
    rf"(?:[1-9]|1[1-9]|[2-9][0-9]|1(?:0[1-9]|1[0-9]|2[0-6])|1(?:2[89]|[3-5][0-9]|6[0-8])"
    rf"|17[01]|1(?:7[3-9]|8[0-9]|9[01])|19[3-7]|199|20[0-2]|20[4-9]|21[0-9]|22[0-3]){_ANY3}",
    rf"100\.(?:[0-9]|[1-5][0-9]|6[0-3]|12[89]|1[3-9][0-9]|2[0-4][0-9]|25[0-5]){_ANY2}",
    rf"169\.(?:25[0-35]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]){_ANY2}",
    rf"172\.(?:[0-9]|1[0-5]|3[2-9]|[4-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5]){_ANY2}",
    rf"192\.0\.{_NOT_0_2}\.{_OCTET}",
    rf"192\.(?:[1-9]|[1-9][0-9]|1[0-5][0-9]|16[0-79]|1[7-9][0-9]|2[0-4][0-9]|25[0-5]){_ANY2}",
    rf"198\.51\.{_NOT_100}\.{_OCTET}",
    rf"198\.(?:[0-9]|1[0-7]|[2-4][0-9]|50|5[2-9]|[6-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])"
    rf"{_ANY2}",
    rf"203\.0\.{_NOT_113}\.{_OCTET}",
    rf"203\.(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5]){_ANY2}",
)) + ")"


class EgressRefused(Exception):
    """The URL leads somewhere private: nothing was sent, and a retry changes nothing."""


def refusal(address: IPAddress) -> str | None:
    """What kind of address this is when it may not be reached ("a loopback
    address"), else None. An IPv4 address inside an IPv6 one is judged too."""
    for candidate in (*_embedded_ipv4(address), address):
        kind = _private_kind(candidate)
        if kind is not None:
            return kind
    return None


def _private_kind(ip: IPAddress) -> str | None:
    if ip in METADATA:
        return "a cloud metadata address"
    for private, kind in ((ip.is_unspecified, "an unspecified address"),
                          (ip.is_loopback, "a loopback address"),
                          (ip.is_link_local, "a link-local address"),
                          (ip.is_multicast, "a multicast address"),
                          (ip in UNIQUE_LOCAL, "a unique-local address"),
                          (ip.is_reserved, "a reserved address"),
                          (ip.is_private, "a private address")):
        if private:
            return kind
    if not ip.is_global or any(ip in net for net in NOT_PUBLIC):
        return "a reserved address"
    return None


def _embedded_ipv4(ip: IPAddress) -> Iterator[IPv4Address]:
    if not isinstance(ip, IPv6Address):
        return
    if ip.ipv4_mapped is not None:
        yield ip.ipv4_mapped
    if ip.sixtofour is not None:
        yield ip.sixtofour
    if ip.teredo is not None:
        yield from ip.teredo
    if ip in NAT64:
        yield IPv4Address(int(ip) & 0xFFFFFFFF)


def literal_refusal(url: str) -> str | None:
    """Why a URL may not be used, when its host alone says so (a literal address in
    any of its spellings, or `localhost`); None when only resolving it could tell."""
    host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is a loopback name"
    try:
        found = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST,
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None  # a name, not an address
    for address in _addresses(found):
        kind = refusal(address)
        if kind is not None:
            return f"{host} is {kind}"
    return None


def post(url: str, *, allow_private: bool, timeout: float, **request: Any) -> httpx.Response:
    """POST without following redirects; EgressRefused when the host is private."""
    return _client(allow_private).post(url, timeout=timeout, **request)


_CLIENTS: dict[tuple[int, bool], httpx.Client] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(allow_private: bool) -> httpx.Client:
    """This process's client for these sends: its connections are kept open and used
    again (a delivery to a host just posted to skips the TCP and TLS handshakes), and
    are only ever opened by the checks above. It keeps no cookies: one endpoint's
    cookie is never sent to the next. Made per process (a worker forked after a send
    must not share its sockets); httpx's client may be shared between threads."""
    key = (os.getpid(), allow_private)
    client = _CLIENTS.get(key)
    if client is None:
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                cookies = http.cookiejar.CookieJar(  # no domain allowed: none kept
                    policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
                client = _CLIENTS[key] = (
                    httpx.Client(verify=client_context(), follow_redirects=False,
                                 cookies=cookies) if allow_private
                    else httpx.Client(transport=_GuardedTransport(), follow_redirects=False,
                                      cookies=cookies))
    return client


def _addresses(found: list[tuple[Any, ...]]) -> list[IPAddress]:
    # An IPv6 link-local address may carry its interface ("fe80::1%eth0").
    return list(dict.fromkeys(ip_address(str(info[4][0]).partition("%")[0]) for info in found))


class _GuardedBackend(httpcore.SyncBackend):
    """Opens connections only to checked addresses: every address the host resolves
    to must be public, and the connection goes to one of those."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        addresses = _checked_addresses(host, port)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return super().connect_tcp(str(address), port, timeout, local_address,
                                           socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the name resolves to (DNS: tests replace only this)."""
    return _addresses(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))


def _checked_addresses(host: str, port: int) -> list[IPAddress]:
    try:
        addresses = resolve(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    if not addresses:
        raise httpcore.ConnectError(f"{host} resolves to no address")
    for address in addresses:
        kind = refusal(address)
        if kind is not None:
            where = f"{host} is" if host == str(address) else f"{host} resolves to {address},"
            raise EgressRefused(f"refused: {where} {kind}; nothing was sent "
                                f"({ALLOW_SETTING} allows private addresses)")
    return addresses


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, its connections opened by _GuardedBackend (httpx takes
    no network backend, so its pool is replaced by one that has it). No proxy from
    the environment: the check must see the address actually connected to."""

    def __init__(self) -> None:
        super().__init__(trust_env=False, verify=client_context())
        self._pool = httpcore.ConnectionPool(ssl_context=client_context(),
                                             network_backend=_GuardedBackend())
