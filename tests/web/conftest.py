from __future__ import annotations

import pytest

from afterward.accounts import service as accounts
from tests.web.helpers import CHEAP_HASHER


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", lambda: CHEAP_HASHER)
