"""A store's review settings as data (`PUT /api/v1/reviews/settings`): the
auto-publish rule, the flagged words, the reward a published review earns, the
attributes rated per product category and how long a request's link lasts. Pure: no
database; `load` and `save` read and write the document."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.orm import Session

from afterward.commerce.fields import JSON_INTEGER, Flag
from afterward.feedback.models import ReviewSettingsRow
from afterward.storage.types import utcnow

Rating = Annotated[int, Field(ge=1, le=5), JSON_INTEGER]
Minor = Annotated[int, Field(ge=1, le=10**9), JSON_INTEGER]
Percent = Annotated[int, Field(ge=1, le=100), JSON_INTEGER]
Days = Annotated[int, Field(ge=1, le=3650), JSON_INTEGER]
Word = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[^\x00-\x1f]+$")]
Attribute = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Category = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AutoPublish(Document):
    """A review is published at submission when it has at least `min_rating` stars,
    no flag (a flagged word, a link) and, with `verified_only`, a verified buyer;
    else it waits in the moderation queue."""

    enabled: Flag = True
    min_rating: Rating = 4
    verified_only: Flag = False


class Rewards(Document):
    """What a published review earns, never depending on its rating: `points` (the
    loyalty program's `bonuses.review`, and `bonuses.review_photo` on top for a review
    with a photo), a single-use discount `code` (an amount or a percentage, for the
    reviewer's next order) or nothing. Only reviews with a customer earn."""

    kind: Literal["none", "points", "code"] = "none"
    code_amount_minor: Minor | None = None
    code_percent: Percent | None = None
    code_expiry_days: Days | None = 90
    photo_only: Flag = False  # only a review with a photo earns

    @model_validator(mode="after")
    def _one_value(self) -> Rewards:
        if self.kind == "code" and (self.code_amount_minor is None) == (
                self.code_percent is None):
            raise ValueError("a code reward is worth code_amount_minor or code_percent, "
                             "one of them")
        return self


class ReviewSettings(Document):
    auto_publish: AutoPublish = AutoPublish()
    flagged_words: Annotated[list[Word], Field(max_length=500)] = []
    rewards: Rewards = Rewards()
    # Per product category (as products name it), the attributes rated 1-5 beside
    # the stars, e.g. {"apparel": ["fit", "quality"], "coffee": ["taste"]}.
    attributes: Annotated[dict[Category, Annotated[list[Attribute], Field(max_length=6)]],
                          Field(max_length=200)] = {}
    link_days: Days = 60  # a request's link opens the form this long

    @field_validator("flagged_words")
    @classmethod
    def _words_once(cls, words: list[str]) -> list[str]:
        return list(dict.fromkeys(w.strip().lower() for w in words if w.strip()))

    def attributes_for(self, category: str | None) -> list[str]:
        if not category:
            return []
        return self.attributes.get(category) or self.attributes.get(category.lower()) or []


DEFAULT = ReviewSettings()


def load(session: Session, *, store_id: int) -> ReviewSettings:
    row = session.get(ReviewSettingsRow, store_id)
    return DEFAULT if row is None else ReviewSettings.model_validate(row.document)


def save(session: Session, *, store_id: int, settings: ReviewSettings) -> ReviewSettings:
    document = settings.model_dump(mode="json")
    row = session.get(ReviewSettingsRow, store_id, with_for_update=True)
    if row is None:
        session.add(ReviewSettingsRow(store_id=store_id, document=document,
                                      updated_at=utcnow()))
    else:
        row.document, row.updated_at = document, utcnow()
    session.flush()
    return settings
