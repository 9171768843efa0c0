"""Signed tokens and URLs for open pixels, click redirects and unsubscribe links.
Message ids are sequential, so each token is signed with the secret key and a
purpose-specific salt: a token for one purpose is worthless for another."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.signer import HMACAlgorithm

OPEN, CLICK, UNSUBSCRIBE = "open", "click", "unsubscribe"
PREFERENCES = "preferences"


class InvalidToken(ValueError):
    pass


@dataclass(frozen=True)
class LinkSigner:
    secret_key: str
    public_url: str

    def _serializer(self, purpose: str) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret_key, salt=f"afterward.messaging.{purpose}")

    def token(self, purpose: str, message_id: int, url: str | None = None) -> str:
        """A `URLSafeSerializer` token (`read` checks it with itsdangerous), made faster:
        the derived key is computed once per purpose, the payload is never tried with
        zlib (itsdangerous keeps a compressed payload only when it is shorter; either
        form reads back), and the HMAC-SHA1 comes from SHA-1 states with the key's pads
        already hashed. hmac.digest lets go of the GIL for its one call into OpenSSL,
        and in a worker with three threads getting it back took a thread switch."""
        signing = _signing(self.secret_key, purpose)
        if url is None:
            payload = base64_encode(f"[{message_id:d}]".encode())  # json.dumps([id])
        else:
            payload = base64_encode(signing.serializer.serializer.dumps(
                [message_id, url]).encode())
        return (payload + signing.separator + base64_encode(signing.mac(payload))).decode(
            "ascii")

    def read(self, purpose: str, token: str) -> tuple[int, str | None]:
        try:
            data = self._serializer(purpose).loads(token)
        except BadSignature as exc:
            raise InvalidToken("this link is not valid") from exc
        if not isinstance(data, list) or not data or not isinstance(data[0], int):
            raise InvalidToken("this link is not valid")
        return data[0], (str(data[1]) if len(data) > 1 else None)

    def base(self) -> str:
        return self.public_url.rstrip("/")

    def open_url(self, message_id: int) -> str:
        return f"{self.base()}/m/o/{self.token(OPEN, message_id)}.gif"

    def click_url(self, message_id: int, target: str) -> str:
        return f"{self.base()}/m/c/{self.token(CLICK, message_id, target)}"

    def unsubscribe_url(self, message_id: int) -> str:
        return f"{self.base()}/m/u/{self.token(UNSUBSCRIBE, message_id)}"

    def preferences_url(self, message_id: int) -> str:
        return f"{self.base()}/preferences/{self.token(PREFERENCES, message_id)}"

    def unsubscribe_mailto(self, message_id: int, mailbox: str) -> str:
        subject = quote(f"unsubscribe {self.token(UNSUBSCRIBE, message_id)}")
        return f"mailto:{mailbox}?subject={subject}"


@dataclass(frozen=True)
class _Signing:
    serializer: URLSafeSerializer
    separator: bytes
    inner: hashlib._Hash  # SHA-1 states after the key xor ipad, and xor opad (RFC 2104)
    outer: hashlib._Hash

    def mac(self, payload: bytes) -> bytes:
        """HMAC-SHA1(key, payload), what hmac.digest(key, payload, "sha1") gives."""
        inner = self.inner.copy()
        inner.update(payload)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.digest()


@lru_cache(maxsize=64)
def _signing(secret_key: str, purpose: str) -> _Signing:
    serializer = URLSafeSerializer(secret_key, salt=f"afterward.messaging.{purpose}")
    signer = serializer.make_signer()
    # The signer's algorithm is HMAC-SHA1, which _Signing.mac computes.
    assert isinstance(signer.algorithm, HMACAlgorithm) and \
        signer.algorithm.digest_method().name == "sha1"
    key = signer.derive_key()  # itsdangerous derives a SHA-1 digest: shorter than a block
    block = hashlib.sha1().block_size
    assert len(key) <= block
    key = key.ljust(block, b"\0")
    return _Signing(serializer, signer.sep,
                    hashlib.sha1(bytes(b ^ 0x36 for b in key)),
                    hashlib.sha1(bytes(b ^ 0x5C for b in key)))
