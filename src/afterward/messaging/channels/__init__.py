"""Channels behind one interface, found by name. Each module keeps its network
call in one method (`_transmit`), so tests replace only that when they must;
errors say whether a retry can help."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from afterward.config import Settings


@dataclass(frozen=True)
class ChannelConfig:
    smtp_url: str = ""
    sms_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    timeout: float = 10.0
    allow_private_urls: bool = False  # egress.py: webhooks and SMS may reach private hosts

    @classmethod
    def from_settings(cls, settings: Settings) -> ChannelConfig:
        return cls(smtp_url=settings.smtp_url, sms_url=getattr(settings, "sms_url", ""),
                   public_url=settings.public_url,
                   allow_private_urls=settings.allow_private_urls)


@dataclass(frozen=True)
class Outgoing:
    """A rendered message, as a channel needs it: plain values, no ORM rows."""

    message_id: int
    store_id: int
    channel: str
    recipient: str
    idempotency_key: str
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    sender: str | None = None  # email: 'Name <address>'
    reply_to: str | None = None
    message_id_header: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    payload: Mapping[str, Any] = field(default_factory=dict)  # webhook body
    signing_secret: str | None = None  # webhook
    previous_signing_secrets: tuple[str, ...] = ()  # webhook: rotated, still in their grace


@dataclass(frozen=True)
class Receipt:
    transport: str
    provider_id: str | None = None


class ChannelError(Exception):
    """transient: a later retry may succeed. maybe_sent: the failure came after the
    provider may have accepted the message, so we cannot tell whether it left."""

    def __init__(self, message: str, *, transient: bool, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.maybe_sent = maybe_sent


class Channel(ABC):
    name: ClassVar[str]
    # True when delivery is a write in our own transaction (the outbox): after a
    # crash we know for sure whether it happened, so a resend is always safe.
    in_database: ClassVar[bool] = False

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    @abstractmethod
    def send(self, message: Outgoing, session: Session) -> Receipt:
        """Deliver one message. Network channels must not use `session`."""


_KINDS: dict[str, Callable[[ChannelConfig], Channel]] = {}


def register(name: str) -> Callable[[type[Channel]], type[Channel]]:
    def add(cls: type[Channel]) -> type[Channel]:
        cls.name = name
        _KINDS[name] = cls
        return cls

    return add


def channel_named(name: str, config: ChannelConfig) -> Channel:
    _load()
    try:
        return _KINDS[name](config)
    except KeyError:
        raise ValueError(f"unknown channel {name!r}; known: {', '.join(sorted(_KINDS))}") from None


def transport_for(channel: str, config: ChannelConfig) -> str:
    """Email without AFTERWARD_SMTP_URL, or SMS without AFTERWARD_SMS_URL, goes to the outbox."""
    if channel == "email" and not config.smtp_url:
        return "outbox"
    if channel == "sms" and not config.sms_url:
        return "outbox"
    return channel


def names() -> list[str]:
    _load()
    return sorted(_KINDS)


def _load() -> None:
    from afterward.messaging.channels import email, outbox, sms, webhook  # noqa: F401
