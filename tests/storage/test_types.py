"""UTCDateTime on SQLite writes the very text SQLAlchemy's own DATETIME processor writes,
refuses naive datetimes as before, and reads any text as SQLAlchemy's processing
followed by its conversion to UTC reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite

from afterward.storage.types import UTCDateTime

SQLITE = sqlite.dialect()
OURS = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
SQLALCHEMYS = DateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
READ = UTCDateTime().dialect_impl(SQLITE).result_processor(SQLITE, None)
SQLALCHEMYS_READ = DateTime().dialect_impl(SQLITE).result_processor(SQLITE, None)
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


TEXTS = [
    *(SQLALCHEMYS(m.astimezone(UTC).replace(tzinfo=None)) for m in MOMENTS),
    "2026-12-05 16:34:00",  # no fraction
    "2026-12-05 16:34:00.123",  # milliseconds, as SQLite's strftime('%f') writes them
    "2026-12-05 16:34",
    "2026-12-05",  # a date alone
    "2026-12-05T16:34:00.000001",
    "2026-12-05 18:34:00+02:00",  # an offset written already
]


def read_as_sqlalchemy_then_utc(text):
    parsed = SQLALCHEMYS_READ(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@pytest.mark.parametrize("text", TEXTS)
def test_a_stored_text_is_read_as_sqlalchemy_reads_it_then_made_utc(text):
    assert READ is not None and SQLALCHEMYS_READ is not None
    read = READ(text)

    assert read == read_as_sqlalchemy_then_utc(text)
    assert read.tzinfo is UTC
    assert read.isoformat() == read_as_sqlalchemy_then_utc(text).isoformat()


def test_a_null_is_read_as_none_and_text_that_is_no_moment_is_refused_as_sqlalchemy_refuses_it():
    assert READ is not None and SQLALCHEMYS_READ is not None
    assert READ(None) is None
    with pytest.raises(ValueError):
        SQLALCHEMYS_READ("not a moment")
    with pytest.raises(ValueError):
        READ("not a moment")


def test_what_is_written_reads_back_as_the_same_moment():
    assert OURS is not None and READ is not None
    for moment in MOMENTS:
        assert READ(OURS(moment)) == moment
