from __future__ import annotations

import pytest

from tests.feedback.scene import Shop, open_shop


@pytest.fixture
def shop(client, db, make_store) -> Shop:
    return open_shop(client, db, make_store)
