"""What customers wrote, gathered across modules for the text models (sentiment,
themes: insights/text.py). A module that stores customers' words (a review, a survey
comment, a return reason, an assistant message) declares a reader in
`Module.texts`: "package.module:fn(session, *, store_id, since) -> Iterable[CustomerText]",
yielding its texts written at or after `since` (None: all), oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CustomerText:
    source: str  # "review", "survey", "return", "assistant"
    ref: int  # the row's id in its module ("review" 12 is reviews.id 12)
    text: str
    at: datetime  # aware UTC, when it was written
    rating: int | None = None  # 1-5 stars where the writer gave one (a free label)
    sku: str | None = None  # the product it is about, where it is about one
    customer_id: int | None = None
