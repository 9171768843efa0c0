"""Imports every module that defines tables, so Base.metadata is complete: the
spine's own, then each installed module's (Module.tables)."""

from __future__ import annotations

from sqlalchemy import MetaData


def metadata() -> MetaData:
    from afterward import event_cursors, events, jobs, modules, throttle  # noqa: F401
    from afterward.accounts import models as accounts_models  # noqa: F401
    from afterward.inbound import models as inbound_models  # noqa: F401
    from afterward.storage.db import Base

    modules.import_all("tables")
    return Base.metadata
