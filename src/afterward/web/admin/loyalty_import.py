"""Members brought over from another loyalty program, from the admin: the CSV file a
store exports from Smile.io, LoyaltyLion or Yotpo (columns renamed to ours) uploaded
and carried over as `afterward loyalty import` carries it (loyalty/balance_import.py:
every row checked first, then 500 members a transaction). The page says what was
carried over, or lists each bad row by its line and imports nothing (unless the
admin asked to skip bad rows)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from starlette.responses import Response

from afterward.commerce.ingest.csv_table import ImportRefused
from afterward.loyalty import balance_import, programs
from afterward.storage.db import Database
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.pages import AdminRoute, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
MAX_FILE_BYTES = 32 * 1024 * 1024  # under api/limits.UPLOAD_MAX_BYTES, this route's
ERRORS_SHOWN = 200


def _page(request: Request, admin: Admin, *, report: balance_import.BalanceReport | None
          = None, refused: bool = False, problem: str | None = None,
          typed: dict[str, str] | None = None, status: int = 200) -> Response:
    db: Database = request.app.state.db
    with db.reading() as s:
        program = programs.active(s, store_id=current_store(admin).id)
    return render(request, "admin/loyalty_import.html", {
        "admin": admin, "store": current_store(admin), "section": "loyalty",
        "program": program, "report": report, "refused": refused, "problem": problem,
        "typed": typed or {"keep_tier_days": str(balance_import.KEEP_TIER_DAYS)},
        "columns": balance_import.COLUMNS, "shown": ERRORS_SHOWN,
        "max_points": balance_import.MAX_POINTS}, status=status)


@router.get("/loyalty/import")
def import_page(request: Request, admin: Admin = Depends(store_admin)) -> Response:
    return _page(request, admin)


@router.post("/loyalty/import")
def import_members(request: Request, admin: Admin = Depends(store_csrf_checked),
                   members: Annotated[UploadFile | None, File()] = None,
                   keep_tier_days: Annotated[str, Form(max_length=20)] = "",
                   skip_bad: Annotated[str, Form(max_length=8)] = "") -> Response:
    typed = {"keep_tier_days": keep_tier_days, "skip_bad": skip_bad}
    days = keep_tier_days.strip()
    data = members.file.read(MAX_FILE_BYTES + 1) if members is not None else b""
    problem = None
    if not data:
        problem = "Choose the CSV file to import."
    elif len(data) > MAX_FILE_BYTES:
        problem = (f"The file is over {MAX_FILE_BYTES // (1024 * 1024)} MB: split it, or "
                   "import it with `afterward loyalty import`.")
    elif not (days.isascii() and days.isdigit() and int(days) <= 3650):
        problem = "Days to keep a carried-over tier: a whole number from 0 to 3650."
    if problem is not None:
        return _page(request, admin, problem=problem, typed=typed, status=422)
    db: Database = request.app.state.db
    rows, report = balance_import.read(data)
    try:
        report = balance_import.carry(db, store_id=current_store(admin).id, rows=rows,
                                      report=report, skip_bad=skip_bad == "1",
                                      keep_tier_days=int(days))
    except ImportRefused as exc:
        assert isinstance(exc.report, balance_import.BalanceReport)
        return _page(request, admin, report=exc.report, refused=True, typed=typed,
                     status=422)
    return _page(request, admin, report=report, typed=typed)
