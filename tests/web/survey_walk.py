"""The survey pages in the hostile shop (hostile_shop.py): the hostile customer's
order answered by a detractor with a hostile comment, and the visits the walk makes
to the shopper's survey page and the admin's results and inbox, forms included."""

from __future__ import annotations

import dataclasses
from typing import Any

from afterward.commerce import stores
from afterward.feedback import survey_links, surveys
from afterward.storage.db import Database
from tests.hostile import hostile
from tests.web import hostile_shop as h
from tests.web.hostile_walk import CSRF, Visit, q, query

COMMENT = hostile("survey comment", 1000)
TYPED_NOTE = hostile("typed note", 200)
SLUG_TYPED = "[typed]\"><img src=x onerror=alert(1)>' onmouseover='alert(1) {{7*7}}"


@dataclasses.dataclass(frozen=True)
class SurveyShop(h.Shop):
    survey_path: str = "/survey/s"  # the hostile order's NPS 2 link
    alert_id: int = 1


def survey_shop(db: Database, settings: Any, shop: h.Shop) -> SurveyShop:
    with db.transaction() as session:
        found = stores.get_by_slug(session, h.SLUG)
        assert found is not None
        store_id = found.id
        done = surveys.answer(session, store_id=store_id, order_id=shop.order_id,
                              survey="nps", score=2, source="link", comment=COMMENT)
        response_id = done.response.id
    from sqlalchemy import select

    from afterward.feedback.models import SurveyAlert
    with db.reading() as session:
        alert_id = session.scalar(select(SurveyAlert.id).where(
            SurveyAlert.response_id == response_id))
    fields = {f.name: getattr(shop, f.name) for f in dataclasses.fields(shop)}
    token = survey_links.signed(settings.secret_key, survey_links.ScoreLink(
        store_id, shop.order_id, "nps", 2))
    return SurveyShop(**fields, survey_path=f"{survey_links.PATH}/{token}",
                      alert_id=int(alert_id or 0))


SHOPPER = (
    Visit("/survey/{token}", "{shop.survey_path}", (h.STORE_NAME, COMMENT)),
    Visit("/survey/{token}", "{shop.survey_path}?" + query(lang="xx", note=TYPED_NOTE),
          (COMMENT,)),
    Visit("/survey/{token}", "/survey/" + q(SLUG_TYPED), status=404),
    Visit("/survey/{token}", "{shop.survey_path}", (COMMENT,), status=403,
          form={"csrf": "forged", "comment": COMMENT}),
    Visit("/survey/{token}", "{shop.survey_path}", (COMMENT, h.STORE_NAME),
          form={"csrf": CSRF, "comment": COMMENT}),
)
ADMIN = (
    Visit("/admin/surveys", "/admin/surveys", (COMMENT,)),
    Visit("/admin/surveys", "/admin/surveys?" + query(survey="nps", note=TYPED_NOTE),
          (COMMENT,)),
    Visit("/admin/surveys", "/admin/surveys?" + query(survey=SLUG_TYPED), status=400),
    Visit("/admin/surveys/inbox", "/admin/surveys/inbox", (COMMENT, h.EMAIL)),
    Visit("/admin/surveys/inbox", "/admin/surveys/inbox?" + query(status=SLUG_TYPED),
          status=400),
    Visit("/admin/surveys/inbox/{alert_id}/close", "/admin/surveys/inbox/{shop.alert_id}/close",
          form={"csrf": CSRF}),
    Visit("/admin/surveys/inbox", "/admin/surveys/inbox?status=closed", (COMMENT,)),
)
