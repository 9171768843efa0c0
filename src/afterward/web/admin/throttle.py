"""Sign-in throttling: LIMIT attempts for one email from one address within
WINDOW_SECONDS of the first; further attempts are refused, the right password
included, until the window ends. A successful sign-in clears the count. Counted in
the database (afterward/throttle.py), so every server process shares the limit."""

from __future__ import annotations

from afterward.config import Settings
from afterward.throttle import Throttle

LIMIT = 10
WINDOW_SECONDS = 15 * 60
SCOPE = "admin_login"


def login_throttle(settings: Settings) -> Throttle:
    return Throttle(scope=SCOPE, limit=LIMIT, window_seconds=WINDOW_SECONDS,
                    secret=settings.secret_key)
