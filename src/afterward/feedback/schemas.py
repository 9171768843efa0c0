"""API shapes for reviews (DESIGN.md, "Contracts ... Reviews and surveys")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from afterward.commerce.fields import JSON_INTEGER, NOT_BLANK, Email, LocaleTag, Moment
from afterward.commerce.schemas import Strict

Rating = Annotated[int, Field(ge=1, le=5), JSON_INTEGER]
Sku = Annotated[str, Field(min_length=1, max_length=100, json_schema_extra={
    "pattern": NOT_BLANK})]
Attribute = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
PHOTO_BASE64_MAX = 11_184_812  # 8 MB (afterward/images.py MAX_BYTES) in base64


class PhotoIn(Strict):
    """A customer's photo of the product: its bytes in base64, sniffed, capped and
    re-encoded without metadata (afterward/images.py) before the review is written;
    `content_type` must be what the bytes are."""

    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    data_base64: str = Field(min_length=4, max_length=PHOTO_BASE64_MAX)


class ReviewIn(Strict):
    """A review of one product. `order_number` with an `email` that matches the
    order's makes it a verified buyer's. `source` "import" (reviews from another
    tool) may keep their original `submitted_at`."""

    sku: Sku
    rating: Rating
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=5000)
    author_name: str = Field(min_length=1, max_length=100, json_schema_extra={
        "pattern": NOT_BLANK})
    email: Email | None = None
    order_number: str | None = Field(None, min_length=1, max_length=64,
                                     json_schema_extra={"pattern": NOT_BLANK})
    locale: LocaleTag | None = None
    attributes: Annotated[dict[Attribute, Rating], Field(max_length=6)] = {}
    source: Literal["api", "import"] = "api"
    submitted_at: Moment | None = None
    photos: Annotated[list[PhotoIn], Field(max_length=3)] = []

    @model_validator(mode="after")
    def _says_something(self) -> ReviewIn:
        if not (self.title or self.body):
            raise ValueError("a review needs a title or a text")
        if self.submitted_at is not None and self.source != "import":
            raise ValueError("submitted_at is kept only for source import")
        return self


class RejectIn(Strict):
    reason: str = Field(min_length=1, max_length=500, json_schema_extra={"pattern": NOT_BLANK})


class ReplyIn(Strict):
    """The merchant's public reply, shown under the review; an empty text removes it."""

    text: str = Field(max_length=5000)


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    product_id: int | None
    order_id: int | None
    customer_id: int | None
    request_id: int | None
    rating: int
    title: str | None
    body: str | None
    author_name: str
    email: str | None
    locale: str | None
    attributes: dict[str, int]
    source: str
    verified_buyer: bool
    status: str
    flags: list[str]
    reject_reason: str | None
    reply: str | None
    replied_at: datetime | None
    helpful: int
    unhelpful: int
    incentive: str | None
    incentive_points: int | None
    has_photos: bool
    submitted_at: datetime
    published_at: datetime | None
    rejected_at: datetime | None
