"""Published reviews written straight into the feedback tables (the review API and
moderation are another part's): a review, its photos and its votes."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from afterward.feedback.models import Review, ReviewPhoto
from afterward.storage.db import Database

DAY1 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def png(colour: tuple[int, int, int] = (200, 30, 30), size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


def review(db: Database, store_id: int, sku: str = "TEA-1", *, rating: int = 5,
           status: str = "published", day: int = 0, photos: int = 0, **fields: Any) -> int:
    """A review of `sku`, published `day` days after 1 March 2026 (when published);
    its id."""
    when = DAY1 + timedelta(days=day)
    values: dict[str, Any] = {
        "store_id": store_id, "sku": sku, "rating": rating, "title": f"{rating} stars",
        "body": "Lovely tea.", "author_name": "Ada L.", "source": "link",
        "verified_buyer": True, "status": status, "submitted_at": when,
        "published_at": when if status == "published" else None, "updated_at": when,
        "has_photos": photos > 0, "attributes": {}}
    values.update(fields)
    with db.transaction() as session:
        row = Review(**values)
        session.add(row)
        session.flush()
        for position in range(photos):
            data = png((40 * position, 90, 160))
            session.add(ReviewPhoto(store_id=store_id, review_id=row.id, position=position,
                                    content_type="image/png", width=8, height=8,
                                    byte_size=len(data), data=data, created_at=when))
        return row.id


def photo_ids(db: Database, review_id: int) -> list[int]:
    from sqlalchemy import select

    with db.reading() as session:
        return list(session.scalars(select(ReviewPhoto.id).where(
            ReviewPhoto.review_id == review_id).order_by(ReviewPhoto.position)))
