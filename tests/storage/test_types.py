"""UTCDateTime on SQLite writes, by datetime.isoformat, the very text SQLAlchemy's own
DATETIME processor writes, and refuses naive datetimes as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite

from afterward.storage.types import UTCDateTime

SQLITE = sqlite.dialect()
OURS = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
SQLALCHEMYS = DateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
MOMENTS = [
    datetime(2026, 12, 5, 16, 34, 0, tzinfo=UTC),
    datetime(2026, 12, 5, 16, 34, 0, 123456, tzinfo=UTC),
    datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(999, 3, 4, 5, 6, 7, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 3, 29, 2, 30, 0, 5, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_moment_is_written_as_sqlalchemys_datetime_writes_it_in_utc(moment):
    assert OURS is not None and SQLALCHEMYS is not None
    expected = SQLALCHEMYS(moment.astimezone(UTC).replace(tzinfo=None))

    assert OURS(moment) == expected


def test_none_stays_none():
    assert OURS is not None
    assert OURS(None) is None


def test_a_naive_datetime_is_refused():
    assert OURS is not None
    with pytest.raises(ValueError, match="naive datetime refused"):
        OURS(datetime(2026, 12, 5, 16, 34))


def test_postgresql_keeps_sqlalchemys_processing():
    dialect = postgresql.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    moment = datetime(2026, 12, 5, 16, 34, tzinfo=timezone(timedelta(hours=1)))

    assert ours is not None
    assert ours(moment) == datetime(2026, 12, 5, 15, 34, tzinfo=UTC)
