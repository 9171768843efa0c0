"""Imports every module that defines tables, so Base.metadata is complete."""

from __future__ import annotations

from sqlalchemy import MetaData


def metadata() -> MetaData:
    from afterward import events, jobs  # noqa: F401
    from afterward.accounts import models as accounts_models  # noqa: F401
    from afterward.commerce import models as commerce_models  # noqa: F401
    from afterward.inbound import models as inbound_models  # noqa: F401
    from afterward.journeys import models as journeys_models  # noqa: F401
    from afterward.messaging import models as messaging_models  # noqa: F401
    from afterward.storage.db import Base
    from afterward.tracking import models as tracking_models  # noqa: F401
    from afterward.tracking import polling_models  # noqa: F401

    return Base.metadata
