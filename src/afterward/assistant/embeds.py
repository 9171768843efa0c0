"""The chat on the store's own site: which origins (scheme, host and port of the
store's pages) may embed it. The embed's script is public; its messages are answered
cross-origin only for the origins listed here (none until the merchant lists them).
An origin is stored as a browser sends it in `Origin`: lower case, no path, no
default port."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, Session, mapped_column

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow

MAX_ORIGINS = 20
MAX_ORIGIN = 200
_DEFAULT_PORTS = {"http": 80, "https": 443}


class AssistantEmbed(Base):
    """A store's allowed origins for the embedded chat (absent: none)."""

    __tablename__ = "assistant_embeds"

    store_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    origins: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EmbedError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_origin(value: str) -> str:
    """`https://Shop.example:443/` -> `https://shop.example`; anything that is not an
    http(s) origin (a path, a query, credentials, `*`, `null`) is refused."""
    text = value.strip()
    if not text or len(text) > MAX_ORIGIN:
        raise EmbedError(f"not an origin: {value[:MAX_ORIGIN]!r}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise EmbedError(f"not an origin: {text!r}") from None
    host = (parts.hostname or "").lower()
    if (parts.scheme not in _DEFAULT_PORTS or not host or parts.username is not None
            or parts.password is not None or parts.path not in ("", "/") or parts.query
            or parts.fragment or "*" in host):
        raise EmbedError(f"not an origin (scheme://host[:port]): {text!r}")
    shown_host = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{shown_host}:{port}"
    return f"{parts.scheme}://{shown_host}"


def origins(session: Session, store_id: int) -> tuple[str, ...]:
    row = session.get(AssistantEmbed, store_id)
    return tuple(row.origins) if row is not None else ()


def allowed(session: Session, store_id: int, origin: str | None) -> bool:
    """Whether a browser's `Origin` header is one of the store's (compared as sent:
    browsers send it in the normalized form)."""
    return bool(origin) and origin in origins(session, store_id)


def set_origins(session: Session, *, store_id: int, values: list[str]) -> tuple[str, ...]:
    """Replace the store's list; every value checked before anything is written."""
    cleaned: list[str] = []
    for value in values:
        origin = normalize_origin(value)
        if origin not in cleaned:
            cleaned.append(origin)
    if len(cleaned) > MAX_ORIGINS:
        raise EmbedError(f"at most {MAX_ORIGINS} origins")
    row = session.get(AssistantEmbed, store_id)
    if row is None:
        row = AssistantEmbed(store_id=store_id, origins=cleaned, updated_at=utcnow())
        session.add(row)
    else:
        row.origins = cleaned
        row.updated_at = utcnow()
    session.flush()
    return tuple(cleaned)
