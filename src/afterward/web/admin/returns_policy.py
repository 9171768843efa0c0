"""The store's returns policy in the admin: a summary in words, and the JSON document
(returns/policy.py) to edit. A document that does not parse or validate is shown
again as typed, with each problem and where it is; nothing is saved."""

from __future__ import annotations

import json
import re
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from afterward.returns import facts
from afterward.returns.policy import Policy
from afterward.storage.db import Database
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.pages import AdminRoute, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
MAX_DOCUMENT = 200_000
M = TypeVar("M", bound=BaseModel)


def as_text(document: BaseModel) -> str:
    return json.dumps(document.model_dump(mode="json"), indent=2, ensure_ascii=False)


def problems(text: str) -> tuple[Policy | None, list[str]]:
    """The policy a document describes, or the problems with it, one sentence each:
    where the JSON breaks (line and column), or which field is wrong and why."""
    return document_problems(text, Policy)


def document_problems(text: str, model: type[M]) -> tuple[M | None, list[str]]:
    """What a JSON document edited in the admin describes, validated by `model` (the
    same validation as its API), or the problems with it as above."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"Line {exc.lineno}, column {exc.colno}: {exc.msg}."]
    try:
        return model.model_validate(document), []
    except ValidationError as exc:
        return None, [_where(text, err["loc"]) + f"{err['msg']}." for err in exc.errors()]


def _where(text: str, loc: tuple[int | str, ...]) -> str:
    """"Line 4, rules.1.then.fee_minor: ", the line where the field (or, when it is
    missing, the nearest enclosing one) stands in the text."""
    field = ".".join(str(part) for part in loc)
    if not field:
        return "The document: "
    return f"Line {line_of(text, loc)}, {field}: "


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"\s*")


def line_of(text: str, loc: tuple[int | str, ...]) -> int:
    """The line of `loc` in a document that parses: followed key by key and item by
    item through the text, stopping at the last part found."""
    at = value = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    for part in loc:
        found = _child(text, value, part)
        if found is None:
            break
        at, value = found
    return text.count("\n", 0, at) + 1


def _child(text: str, start: int, part: int | str) -> tuple[int, int] | None:
    """Where the member or item `part` of the value at `start` is written, and where
    its value starts."""
    def skip_space(position: int) -> int:
        return _SPACE.match(text, position).end()  # type: ignore[union-attr]

    opening = "{" if isinstance(part, str) else "["
    if not text.startswith(opening, start):
        return None
    position, index = skip_space(start + 1), 0
    while text[position] not in "}]":
        at = position
        if opening == "{":
            key, position = _DECODER.raw_decode(text, position)
            position = skip_space(skip_space(position) + 1)  # the colon
            if key == part:
                return at, position
        elif index == part:
            return at, position
        _, position = _DECODER.raw_decode(text, position)
        position = skip_space(position)
        if text[position] == ",":
            position = skip_space(position + 1)
        index += 1
    return None


def _page(request: Request, admin: Admin, policy: Policy, text: str, *,
          errors: list[str] | None = None, saved: bool = False, status: int = 200) -> Response:
    return render(request, "admin/returns_policy.html", {
        "admin": admin, "store": current_store(admin), "policy": policy, "text": text,
        "errors": errors or [], "saved": saved, "section": "returns"}, status=status)


@router.get("/returns/policy")
def policy_page(request: Request, admin: Admin = Depends(store_admin),
                saved: Annotated[str, Query(max_length=8)] = "") -> Response:
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
