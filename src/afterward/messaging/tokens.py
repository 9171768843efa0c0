"""Signed tokens and URLs for open pixels, click redirects and unsubscribe links.
Message ids are sequential, so each token is signed with the secret key and a
purpose-specific salt: a token for one purpose is worthless for another."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from itsdangerous.encoding import base64_encode

OPEN, CLICK, UNSUBSCRIBE = "open", "click", "unsubscribe"
PREFERENCES = "preferences"


class InvalidToken(ValueError):
    pass


@dataclass(frozen=True)
class LinkSigner:
    secret_key: str
    public_url: str

    def _serializer(self, purpose: str) -> URLSafeSerializer:
        return _serializer(self.secret_key, purpose)

    def token(self, purpose: str, message_id: int, url: str | None = None) -> str:
        """What `URLSafeSerializer.dumps([message_id, url])` gives (`read` checks it with
        itsdangerous), made cheaper for the many links of a batch of emails: the key is
        derived once per purpose and keyed into an `hmac` object that each token copies,
        and the payload is never tried with zlib (itsdangerous keeps a compressed
        payload only when it is shorter, and reads either form back)."""
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
    keyed: hmac.HMAC  # HMAC-SHA1 keyed with the serializer's derived key, never updated

    def mac(self, payload: bytes) -> bytes:
        """The signature itsdangerous computes: HMAC-SHA1(derived key, payload)."""
        mac = self.keyed.copy()
        mac.update(payload)
        return mac.digest()


def _serializer(secret_key: str, purpose: str) -> URLSafeSerializer:
    # HMAC with SHA-1 named here, not left to itsdangerous' default, since _Signing
    # computes the same signature itself.
    return URLSafeSerializer(secret_key, salt=f"afterward.messaging.{purpose}",
                             signer_kwargs={"digest_method": hashlib.sha1})


@lru_cache(maxsize=64)
def _signing(secret_key: str, purpose: str) -> _Signing:
    serializer = _serializer(secret_key, purpose)
    signer = serializer.make_signer()
    return _Signing(serializer, signer.sep,
                    hmac.new(signer.derive_key(), digestmod=hashlib.sha1))
