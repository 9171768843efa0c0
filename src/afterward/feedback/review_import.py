"""Reviews from another tool's CSV export (`afterward reviews import FILE --store S`):
columns sku, rating, title, body, author_name, email, order_number, created_at,
published (any order; sku, rating, author_name and title or body required). Each row
goes through service.submit as the API's `source` "import" would, keyed by its own
content (`import:<sha256>`), so the same file twice adds nothing. Bad rows are
reported by their line (the header is line 1); by default one bad row refuses the
file (`ImportRefused`: the caller's transaction rolls back), with `skip_bad` the good
rows are kept. Nothing here commits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from afterward.commerce.ingest import csv_table
from afterward.commerce.ingest.csv_format import InvalidRow, ProgressFn, RowError
from afterward.commerce.ingest.csv_table import ImportRefused, Report
from afterward.feedback import service
from afterward.feedback.errors import ReviewError
from afterward.feedback.schemas import ReviewIn
from afterward.storage import locks

COLUMNS = ("sku", "rating", "title", "body", "author_name", "email", "order_number",
           "created_at", "published")
REQUIRED = ("sku", "rating", "author_name")
TRUE = ("true", "yes", "1", "y", "published")
FALSE = ("false", "no", "0", "n", "unpublished", "hidden")


@dataclass(frozen=True)
class Row:
    line: int
    data: ReviewIn
    publish: bool | None
    key: str


def read(data: bytes, progress: ProgressFn | None = None) -> tuple[list[Row], Report]:
    """The file's good rows, and a report with every bad one (csv_table.read)."""
    report = Report()
    rows = csv_table.read(data, columns=COLUMNS, required=REQUIRED, parse=_row,
                          report=report, header_errors=_header_errors, progress=progress)
    return rows, report


def _header_errors(header: list[str]) -> list[RowError]:
    if "title" not in header and "body" not in header:
        return [RowError(1, "title", "missing column: title or body (or both)")]
    return []


def _row(line: int, value: dict[str, str]) -> Row:
    errors: list[RowError] = []
    rating: int | str = value["rating"]
    if not (value["rating"].isdecimal() and 1 <= int(value["rating"]) <= 5):
        errors.append(RowError(line, "rating", f"{value['rating']!r} is not a whole number "
                               "of stars from 1 to 5"))
    else:
        rating = int(value["rating"])
    submitted_at = None
    if value.get("created_at"):
        try:
            submitted_at = _moment(value["created_at"])
        except ValueError as exc:
            errors.append(RowError(line, "created_at", str(exc)))
    publish = None
    if value.get("published"):
        flag = value["published"].lower()
        if flag not in TRUE + FALSE:
            errors.append(RowError(line, "published", f"{value['published']!r} is not "
                                   "true or false"))
        publish = flag in TRUE
    body = {"sku": value["sku"], "rating": rating, "title": value.get("title") or None,
            "body": value.get("body") or None, "author_name": value["author_name"],
            "email": value.get("email") or None,
            "order_number": value.get("order_number") or None, "source": "import",
            "submitted_at": submitted_at}
    if errors:
        raise InvalidRow(errors)
    try:
        data = ReviewIn.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        raise InvalidRow([_explained(line, error) for error in exc.errors()]) from None
    key = "import:" + hashlib.sha256(json.dumps(
        [body[name] if name != "published" else value.get("published", "")
         for name in (*body, "published")], default=str).encode()).hexdigest()
    return Row(line, data, publish, key)


def _explained(line: int, error: Any) -> RowError:
    column = ".".join(str(p) for p in error["loc"]) or "row"
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"] and "title or a text" in message:
        return RowError(line, "title", "an empty review: give a title or a text (body)")
    return RowError(line, column, message)


def _moment(text: str) -> str:
    """ISO 8601: a date (midnight UTC), a date and time (UTC unless it says)."""
    try:
        parsed = datetime.fromisoformat(text.replace(" UTC", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or date and time such as "
                         "2025-03-01 or 2025-03-01T10:00:00+01:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat()


def write(session: Session, *, store_id: int, rows: list[Row], report: Report,
          skip_bad: bool = False, progress: ProgressFn | None = None,
          now: datetime | None = None) -> Report:
    """Each row through service.submit (in a savepoint, so a row the store refuses,
    an unknown SKU say, is reported by its line and the others go on); the report
    given back is a new one, `report` (what reading found) left as it was, so a
    transaction run again (`Database.run`, after a lost race) counts once. Any error
    and not `skip_bad`: ImportRefused, for the caller to roll back."""
    if report.unreadable:
        raise ImportRefused(report)
    report = replace(report, errors=list(report.errors))
    # One lock for the file (two imports into one store run one after the other), not
    # one per row: PostgreSQL's lock table would not hold a large file's.
    locks.hold(session, "review-import", store_id)
    for done, row in enumerate(rows, start=1):
        try:
            with session.begin_nested():
                _, created = service.submit(session, store_id=store_id, data=row.data,
                                            idempotency_key=row.key, now=now,
                                            publish=row.publish, hold_key=False)
        except ReviewError as exc:
            report.errors.append(RowError(row.line, exc.field or "row", str(exc.message)))
            continue
        if created:
            report.imported += 1
        else:
            report.already += 1
        if progress is not None and (done % 200 == 0 or done == len(rows)):
            progress("writing", done, len(rows))
    report.refuse_unless(skip_bad)
    return report
