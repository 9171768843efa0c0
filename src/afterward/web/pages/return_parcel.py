"""The tracking number of a parcel sent back with our own label, told by the shopper
on the status page (POST /returns/r/{token}/tracking): from then on the parcel is
tracked inbound and its scans move the return (returns/inbound.py). The same form
sent twice (a double tap, a reload) tracks one parcel; each tap lands on the status
page. A missing CSRF cookie or a number that cannot be one changes nothing."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from afterward.returns import inbound, service
from afterward.returns.errors import ReturnError
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking.service import normalize_tracking_number
from afterward.web.pages import returns_links as links
from afterward.web.pages.return_status import show
from afterward.web.pages.returns_portal import not_found, see_other
from afterward.web.pages.tracking import lang_query

router = APIRouter(include_in_schema=False)

NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{3,39}$")


@router.post("/returns/r/{token}/tracking")
async def parcel_sent(request: Request, token: str) -> Response:
    data = await request.form()
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    return await run_in_threadpool(_sent, request, token, form)


def _sent(request: Request, token: str, form: dict[str, str]) -> Response:
    found = links.read_return_token(request, token)
    if found is None:
        return not_found(request)
    typed = form.get("tracking_number", "").strip()
    if not links.csrf_ok(request, form.get("csrf", "")):
        return show(request, token, problem="expired", status=403, typed=typed[:40])
    if not NUMBER.fullmatch(typed):
        return show(request, token, problem="tracking_number", status=422, typed=typed[:40])
    store_id, return_id = found
    db: Database = request.app.state.db

    def work(session: Session) -> None:
        rma = service.get_return(session, store_id=store_id, return_id=return_id, lock=True)
        if rma is None or rma.tracking_number == normalize_tracking_number(typed):
            return  # gone, or told already (another tap)
        inbound.parcel_sent(session, rma=rma, tracking_number=typed, carrier=None,
                            now=utcnow())

    try:
        db.run(work)
    except ReturnError:
        pass  # no longer waiting for its parcel: the status page says where it is
    return see_other(f"/returns/r/{token}" + lang_query(request))
