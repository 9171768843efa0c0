"""One verifying TLS context per process (afterward.tls), shared by every HTTP client
the code makes: the same checks as httpx's own default, built once."""

from __future__ import annotations

import ssl

import httpx

from afterward.messaging.channels import egress
from afterward.tls import client_context


def test_the_context_verifies_certificates_and_host_names_as_httpx_s_default_does():
    shared, plain = client_context(), httpx.create_ssl_context()

    assert (shared.verify_mode, shared.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert (shared.verify_mode, shared.check_hostname, shared.minimum_version,
            shared.options) == (plain.verify_mode, plain.check_hostname,
                                plain.minimum_version, plain.options)
    assert shared.cert_store_stats() == plain.cert_store_stats()


def test_it_is_built_once_per_process():
    assert client_context() is client_context()


def test_the_guarded_transport_connects_with_it():
    transport = egress._GuardedTransport()

    assert transport._pool._ssl_context is client_context()


def test_the_client_of_posts_where_private_addresses_are_allowed_is_made_with_it():
    transport = egress._client(allow_private=True)._transport

    assert transport._pool._ssl_context is client_context()  # type: ignore[attr-defined]
