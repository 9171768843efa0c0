"""What send-time code needs from the settings. Job handlers receive only a session
and the job, so the process configures this once (the CLI and app at start, tests
in a fixture); without that, the first use reads the environment."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from afterward.config import Settings
from afterward.messaging.channels import ChannelConfig
from afterward.messaging.tokens import LinkSigner


@dataclass(frozen=True)
class Runtime:
    channels: ChannelConfig
    links: LinkSigner
    public_url: str


_lock = threading.Lock()
_current: Runtime | None = None


def configure(settings: Settings) -> Runtime:
    global _current
    runtime = Runtime(channels=ChannelConfig.from_settings(settings),
                      links=LinkSigner(settings.secret_key, settings.public_url),
                      public_url=settings.public_url.rstrip("/"))
    with _lock:
        _current = runtime
    return runtime


@contextmanager
def configured(settings: Settings) -> Iterator[Runtime]:
    """`configure` for the length of a block, then the runtime before it again (the
    demo sends its history's messages to the outbox, whatever the server uses)."""
    global _current
    with _lock:
        previous = _current
    try:
        yield configure(settings)
    finally:
        with _lock:
            _current = previous


def current() -> Runtime:
    with _lock:
        runtime = _current
    return runtime if runtime is not None else configure(Settings.from_env())


def reset() -> None:
    global _current
    with _lock:
        _current = None
