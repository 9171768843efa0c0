"""The `survey` part of a message's context (Module.message_parts), for a message about
an order (REF `order_id`): the eleven one-click NPS links (0-10) and the delivery
survey's yes/no links, each signed (survey_links.py). Signing thirteen links costs
~0.4 ms, and almost every message names an order while only the delivered email shows
them, so the links are made when a template first reads the part (LazyPart)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session

from afterward.feedback.survey_links import ScoreLink, url

NAME = "survey"
REF = "order_id"
KEYS = ("nps_links", "delivery_yes_url", "delivery_no_url")


class LazyPart(Mapping[str, Any]):
    """A dict whose values are built on first access."""

    def __init__(self, keys: tuple[str, ...], build: Callable[[], dict[str, Any]]) -> None:
        self._keys, self._build = keys, build
        self._values: dict[str, Any] | None = None

    def _built(self) -> dict[str, Any]:
        if self._values is None:
            self._values = self._build()
        return self._values

    def __getitem__(self, key: str) -> Any:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def links(public_url: str, secret_key: str, store_id: int, order_id: int) -> dict[str, Any]:
    def link(survey: str, score: int) -> str:
        return url(public_url, secret_key, ScoreLink(store_id, order_id, survey, score))

    return {"nps_links": [{"score": score, "url": link("nps", score)} for score in range(11)],
            "delivery_yes_url": link("delivery", 1), "delivery_no_url": link("delivery", 0)}


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> Mapping[str, Any] | None:
    if not secret_key:
        return None
    return LazyPart(KEYS, lambda: links(public_url, secret_key, store_id, id))


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    """Plausible values for previews and for checking a template before it is saved."""
    base = f"{public_url.rstrip('/')}/survey/sample"
    return {"nps_links": [{"score": score, "url": f"{base}-nps-{score}"} for score in range(11)],
            "delivery_yes_url": f"{base}-delivery-yes", "delivery_no_url": f"{base}-delivery-no"}
