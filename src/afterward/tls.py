"""The TLS settings of every HTTP client this process makes (webhooks out, the SMS
provider, the carrier's API, a rephrasing model), built once: building them reads the
whole CA bundle, ~35 ms of CPU, which httpx otherwise does again for every client it
makes, so for every webhook and SMS sent. One context serves every thread."""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def client_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi's CA bundle, or SSL_CERT_FILE and
    SSL_CERT_DIR where set), made on first use."""
    return httpx.create_ssl_context()
