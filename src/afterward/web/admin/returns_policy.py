"""The store's returns policy in the admin: a summary in words, and the JSON document
(returns/policy.py) to edit. A document that does not parse or validate is shown
again as typed, with each problem and where it is; nothing is saved."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from afterward.returns import facts
from afterward.returns.policy import Policy
from afterward.storage.db import Database
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.pages import AdminRoute, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
MAX_DOCUMENT = 200_000


def as_text(policy: Policy) -> str:
    return json.dumps(policy.model_dump(mode="json"), indent=2, ensure_ascii=False)


def problems(text: str) -> tuple[Policy | None, list[str]]:
    """The policy a document describes, or the problems with it, one sentence each:
    where the JSON breaks (line and column), or which field is wrong and why."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"Line {exc.lineno}, column {exc.colno}: {exc.msg}."]
    try:
        return Policy.model_validate(document), []
    except ValidationError as exc:
        return None, [f"{'.'.join(str(part) for part in err['loc']) or 'The document'}: "
                      f"{err['msg']}." for err in exc.errors()]


def _page(request: Request, admin: Admin, policy: Policy, text: str, *,
          errors: list[str] | None = None, saved: bool = False, status: int = 200) -> Response:
    return render(request, "admin/returns_policy.html", {
        "admin": admin, "store": current_store(admin), "policy": policy, "text": text,
        "errors": errors or [], "saved": saved, "section": "returns"}, status=status)


@router.get("/returns/policy")
def policy_page(request: Request, admin: Admin = Depends(store_admin),
                saved: str = "") -> Response:
    db: Database = request.app.state.db
    with db.reading() as s:
        policy = facts.load_policy(s, store_id=current_store(admin).id)
    return _page(request, admin, policy, as_text(policy), saved=saved == "1")


@router.post("/returns/policy")
def save_policy(request: Request, admin: Admin = Depends(store_csrf_checked),
                document: Annotated[str, Form(max_length=MAX_DOCUMENT)] = "") -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    policy, errors = problems(document)
    if policy is None:
        with db.reading() as s:
            current = facts.load_policy(s, store_id=store.id)
        return _page(request, admin, current, document, errors=errors, status=422)
    db.run(lambda s: facts.save_policy(s, store_id=store.id, policy=policy))
    return redirect("/admin/returns/policy?saved=1")
