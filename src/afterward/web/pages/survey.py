"""The one-click survey links of the messages (/survey/{token}, feedback/survey_links.py).
Opening one records its score at once (a second click of the same score changes
nothing; another score of the same survey replaces the first) and the page thanks the
shopper and asks for a comment, a form guarded like the other shopper forms (a CSRF
value in a signed, HttpOnly, SameSite=Strict cookie). A tampered or foreign link, an
expired one, or an order that is gone: a page that says so, nothing recorded."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from afterward.commerce.models import Store
from afterward.feedback import detractors, survey_links, surveys
from afterward.feedback.survey_links import ScoreLink
from afterward.storage.db import Database
from afterward.web.pages.form_csrf import FormCsrf
from afterward.web.pages.render import render
from afterward.web.pages.tracking import lang_query, speaker_for
from afterward.web.pages.view import Brand

router = APIRouter(include_in_schema=False)

PATH = survey_links.PATH
FORMS = FormCsrf("aw_survey", PATH, "afterward.survey.csrf.v1")


def _link(request: Request, token: str) -> ScoreLink | str:
    """The link, or why it cannot be used: "invalid" or "expired"."""
    try:
        found = survey_links.read(request.app.state.settings.secret_key, token)
    except survey_links.Expired:
        return "expired"
    return found if found is not None else "invalid"


def _refused(request: Request, why: str, store: Store | None = None) -> Response:
    say = speaker_for(request, store, None)
    return render(request, "pages/survey_missing.html", say, {"why": why},
                  brand=Brand.of(store) if store is not None else None,
                  status=410 if why == "expired" else 404)


def _page(request: Request, token: str, link: ScoreLink, store: Store, *,
          comment: str = "", commented: bool = False, problem: str | None = None,
          status: int = 200) -> Response:
    say = speaker_for(request, store, None)
    context: dict[str, Any] = {
        "store_name": store.name, "survey": link.survey, "score": link.score,
        "detractor": detractors.is_detractor(link.survey, link.score),
        "comment": comment, "commented": commented, "problem": problem,
        "max_comment": surveys.MAX_COMMENT,
        "action": f"{PATH}/{token}{lang_query(request)}"}
    return FORMS.page(request, "pages/survey.html", say, context, brand=Brand.of(store),
                      status=status)


def _store(db: Database, store_id: int) -> Store | None:
    with db.reading() as session:
        return session.get(Store, store_id)


@router.get("/survey/{token}")
def score_link(request: Request, token: str) -> Response:
    link = _link(request, token)
    if isinstance(link, str):
        return _refused(request, link)
    db: Database = request.app.state.db
    store = _store(db, link.store_id)
    if store is None:
        return _refused(request, "invalid")
    try:
        done = db.run(lambda session: surveys.answer(
            session, store_id=link.store_id, order_id=link.order_id, survey=link.survey,
            score=link.score, source="link", return_id=link.return_id,
            locale=speaker_for(request, store, None).code))
    except surveys.SurveyError:
        return _refused(request, "invalid", store)
    return _page(request, token, link, store, comment=done.response.comment or "")


@router.post("/survey/{token}")
def add_comment(request: Request, token: str, csrf: str = Form(""),
                comment: str = Form("")) -> Response:
    link = _link(request, token)
    if isinstance(link, str):
        return _refused(request, link)
    db: Database = request.app.state.db
    store = _store(db, link.store_id)
    if store is None:
        return _refused(request, "invalid")
    typed = comment.replace("\x00", "")
    if not FORMS.ok(request, csrf):
        return _page(request, token, link, store, comment=typed[:surveys.MAX_COMMENT],
                     problem="expired", status=403)
    if len(typed.strip()) > surveys.MAX_COMMENT:
        return _page(request, token, link, store, comment=typed[:surveys.MAX_COMMENT],
                     problem="too_long", status=422)
    if not typed.strip():
        return _page(request, token, link, store, problem="empty", status=422)
    found = db.run(lambda session: surveys.add_comment(
        session, store_id=link.store_id, order_id=link.order_id, survey=link.survey,
        comment=typed))
    if found is None:  # the answer is gone (erased with its order)
        return _refused(request, "invalid", store)
    return _page(request, token, link, store, comment=found.comment or "", commented=True)
