"""The `csat` part of a message's context (Module.message_parts), for a message about a
return (REF `return_id`, as the journeys hand on a return's subject): five one-click
links, 1 to 5, asking how the return went; signed as the NPS links are."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from afterward.feedback.survey_links import ScoreLink, url
from afterward.returns import service as returns

NAME = "csat"
REF = "return_id"


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> dict[str, Any] | None:
    rma = returns.get_return(session, store_id=store_id, return_id=id)
    if rma is None or not secret_key or rma.status != "resolved":
        return None
    return {"number": rma.number, "links": [
        {"score": score, "url": url(public_url, secret_key,
                                    ScoreLink(store_id, rma.order_id, "csat", score, rma.id))}
        for score in range(1, 6)]}


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    base = f"{public_url.rstrip('/')}/survey/sample"
    return {"number": "R7K2M9Q4X",
            "links": [{"score": score, "url": f"{base}-csat-{score}"} for score in range(1, 6)]}
