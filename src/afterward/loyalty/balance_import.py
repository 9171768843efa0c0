"""Members brought over from another loyalty program (`afterward loyalty import FILE
--store S`): each member's points balance, and their tier, carried over, so switching
from Smile.io, LoyaltyLion or Yotpo loses no customer anything.

The file (commerce/ingest/csv_table.py) has the columns email, customer_id (the store
platform's customer id), first_name, last_name, birthday, points, tier and reason, in
any order; points and email or customer_id (or both) are required.

- The member is the store's customer with that customer_id, else that email. One the
  store has not told Afterward about yet (a member who signed up and never ordered) is
  added as a customer, as `POST /api/v1/customers` adds one (`customer.created`, source
  `loyalty_import`). A known customer is left as the store platform wrote them, but a
  birthday the store does not know yet is filled in (the birthday bonus needs it).
- The points, spendable at once, are one `adjust` entry with source `import` and key
  `import:<customer id>`: a member's balance is carried over once, so the same file
  (or a later export) again changes nothing for them ("imported before"). Like any
  points that come in, they pay off a debt first, count in the lifetime points, and
  expire `expiry_days` after the import.
- The tier, a tier of the program by its key or name, is given when it ranks above the
  member's, and kept for `keep_tier_days` (365 unless the caller says) whatever the
  spend; after that the spend decides, as for any member. The change is a
  `loyalty.tier_changed` event with `direction` `carried`: pushed to the store platform
  (its tags) like any tier change, but neither a tier-up email nor the tier's entry
  points, which are for reaching a tier, not for keeping one.
- No `loyalty.points_earned` is recorded: carrying a balance over is not earning, and
  the welcome and points-earned journeys would write to every member at once.

Checked before anything is written (`check`): a member named twice in the file, a
tier the program does not have, a store without a program. Then `carry` writes the
members CHUNK a transaction (`write`, which never commits), so a large file does not
keep the store's other writers waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from afterward.commerce import customers
from afterward.commerce.ingest import csv_table
from afterward.commerce.ingest.csv_format import InvalidRow, ProgressFn, RowError
from afterward.commerce.ingest.csv_table import ImportRefused, Report
from afterward.commerce.schemas import CustomerIn
from afterward.loyalty import ledger, programs, tiers
from afterward.loyalty.program import Program, Tier
from afterward.storage import locks
from afterward.storage.db import Database
from afterward.storage.types import utcnow

COLUMNS = ("email", "customer_id", "first_name", "last_name", "birthday", "points", "tier",
           "reason")
REQUIRED = ("points",)
MAX_POINTS = 10_000_000
CHUNK = 500  # members a transaction
KEEP_TIER_DAYS = 365
SOURCE = "import"
CUSTOMER_SOURCE = "loyalty_import"
DEFAULT_REASON = "Carried over from the previous rewards program"


@dataclass(frozen=True)
class Row:
    line: int
    customer: CustomerIn  # how the member is found (and added, when new)
    points: int
    tier: str | None  # as written: matched against the program's tiers when written
    reason: str


@dataclass
class BalanceReport(Report):
    points: int = 0  # points carried over
    tiers: int = 0  # members given a tier
    new_customers: int = 0
    unchanged: int = 0  # rows with nothing to carry: no points, no tier above the member's

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "points": self.points, "tiers": self.tiers,
                "new_customers": self.new_customers, "unchanged": self.unchanged}

    def add(self, tally: Tally) -> None:
        for name, value in vars(tally).items():
            setattr(self, name, getattr(self, name) + value)


def read(data: bytes, progress: ProgressFn | None = None) -> tuple[list[Row], BalanceReport]:
    """The file's good rows, and a report with every bad one."""
    report = BalanceReport()
    rows = csv_table.read(data, columns=COLUMNS, required=REQUIRED, parse=_row,
                          report=report, header_errors=_header_errors, progress=progress)
    return rows, report


def _header_errors(header: list[str]) -> list[RowError]:
    if "email" not in header and "customer_id" not in header:
        return [RowError(1, "email", "missing column: email or customer_id (or both)")]
    return []


def _row(line: int, value: dict[str, str]) -> Row:
    errors: list[RowError] = []
    points = value["points"]
    if not (points.isascii() and points.isdecimal() and int(points) <= MAX_POINTS):
        errors.append(RowError(line, "points", f"{points!r} is not a whole number of points "
                               f"from 0 to {MAX_POINTS:,}"))
    given = {name: value.get(name) or None
             for name in ("email", "first_name", "last_name", "birthday")}
    given["external_id"] = value.get("customer_id") or None
    if not given["email"] and not given["external_id"]:
        errors.append(RowError(line, "email", "give the member's email or customer_id"))
    reason = value.get("reason") or DEFAULT_REASON
    if len(reason) > 300:
        errors.append(RowError(line, "reason", "at most 300 characters"))
    try:
        customer = CustomerIn.model_validate({k: v for k, v in given.items() if v})
    except ValidationError as exc:
        errors += [RowError(line, _column(error["loc"]),
                            str(error["msg"]).removeprefix("Value error, "))
                   for error in exc.errors()]
    if errors:
        raise InvalidRow(errors)
    return Row(line, customer, int(points), value.get("tier") or None, reason)


def _column(loc: tuple[Any, ...]) -> str:
    name = str(loc[0]) if loc else "row"
    return "customer_id" if name == "external_id" else name


def carry(db: Database, *, store_id: int, rows: list[Row], report: BalanceReport,
          skip_bad: bool = False, keep_tier_days: int = KEEP_TIER_DAYS,
          progress: ProgressFn | None = None, now: datetime | None = None) -> BalanceReport:
    """Check the rows (`check`), then carry the good ones over, CHUNK members a
    transaction (`write`): a large file never holds the database from the store's
    other writers for long (on SQLite, one writer at a time). Any bad row and not
    `skip_bad`: ImportRefused before anything is written. A chunk that fails rolls back
    alone; the chunks before it stay, and the same file again completes the import
    (each member is carried once)."""
    if report.unreadable:
        raise ImportRefused(report)
    with db.reading() as session:  # read only: its errors are counted once
        good = check(session, store_id=store_id, rows=rows, report=report)
    report.refuse_unless(skip_bad)
    now = now or utcnow()
    for start in range(0, len(good), CHUNK):
        chunk = good[start:start + CHUNK]
        tally = db.run(partial(write, store_id=store_id, rows=chunk,
                               keep_tier_days=keep_tier_days, now=now))
        report.add(tally)
        if progress is not None:
            progress("writing", start + len(chunk), len(good))
    return report


def check(session: Session, *, store_id: int, rows: list[Row],
          report: BalanceReport) -> list[Row]:
    """What needs the database, writing nothing: the store's program, each row's tier,
    and members named twice (by any of the customer, the email, the customer_id a row
    gives). The rows to carry, in file order; the others' errors in `report`."""
    program = programs.active(session, store_id=store_id)
    if program is None:
        report.errors = [RowError(1, "file", "the store has no loyalty program yet: put "
                                  "one first (PUT /api/v1/loyalty/program)")]
        report.unreadable = True
        raise ImportRefused(report)
    seen: dict[tuple[str, Any], int] = {}  # a way of naming a member: its line
    good = []
    for row in rows:
        try:
            _tier(program, row)
        except InvalidRow as exc:
            report.errors += exc.errors
            continue
        given = row.customer
        found = customers.find_customer(session, store_id=store_id,
                                        external_id=given.external_id, email=given.email)
        names = [("customer", found.id if found else None), ("email", given.email),
                 ("external_id", given.external_id)]
        names = [name for name in names if name[1] is not None]
        earlier = next((seen[name] for name in names if name in seen), None)
        if earlier is not None:
            report.errors.append(RowError(row.line, "email" if given.email
                                          else "customer_id",
                                          f"the same member as line {earlier}"))
            continue
        seen.update(dict.fromkeys(names, row.line))
        good.append(row)
    return good


@dataclass
class Tally:
    """What one transaction carried over."""

    imported: int = 0
    already: int = 0
    unchanged: int = 0
    points: int = 0
    tiers: int = 0
    new_customers: int = 0


def write(session: Session, *, store_id: int, rows: list[Row],
          keep_tier_days: int = KEEP_TIER_DAYS, now: datetime | None = None) -> Tally:
    """Carry these checked rows' members over (above), in the caller's transaction."""
    program = programs.load(session, store_id=store_id)
    now = now or utcnow()
    kept_until = now + timedelta(days=keep_tier_days) if keep_tier_days > 0 else None
    # One lock for the store's imports: two files' chunks go one after the other.
    locks.hold(session, "loyalty-import", store_id)
    tally = Tally()
    for row in rows:
        try:
            tier = _tier(program, row)
        except InvalidRow:  # a tier the program dropped since the check: not given
            tier = None
        customer_id, created = _customer(session, store_id, row.customer)
        tally.new_customers += created
        _carry(session, tally, store_id=store_id, customer_id=customer_id, row=row,
               tier=tier, program=program, kept_until=kept_until, now=now)
    return tally


def _tier(program: Program, row: Row) -> Tier | None:
    """The program's tier the row names (by key or name, in any case), or None."""
    if row.tier is None:
        return None
    wanted = row.tier.casefold()
    found = next((t for t in program.tiers
                  if wanted in (t.key.casefold(), t.name.casefold())), None)
    if found is None:
        known = ", ".join(t.key for t in program.ranked_tiers())
        raise InvalidRow([RowError(row.line, "tier", f"{row.tier!r} is not a tier of the "
                                   f"program ({known})" if known
                                   else f"{row.tier!r}: the program has no tiers")])
    return found


def _customer(session: Session, store_id: int, given: CustomerIn) -> tuple[int, bool]:
    found = customers.find_customer(session, store_id=store_id,
                                    external_id=given.external_id, email=given.email)
    if found is None:
        return customers.save_customer(session, store_id=store_id, data=given,
                                       source=CUSTOMER_SOURCE)
    if given.birthday is not None and found.birthday is None:
        customers.save_customer(session, store_id=store_id, source=CUSTOMER_SOURCE,
                                data=CustomerIn(external_id=found.external_id,
                                                email=found.email, phone=found.phone,
                                                birthday=given.birthday))
    return found.id, False


def _carry(session: Session, tally: Tally, *, store_id: int, customer_id: int,
           row: Row, tier: Tier | None, program: Program, kept_until: datetime | None,
           now: datetime) -> None:
    held = ledger.account(session, store_id=store_id, customer_id=customer_id)
    key = f"{SOURCE}:{customer_id}"
    if ledger.entry_by_key(session, store_id=store_id, key=key) is not None:
        tally.already += 1
        return
    changed = False
    if row.points:
        ledger.credit(session, held, kind="adjust", points=row.points, key=key,
                      source=SOURCE, reason=row.reason, lifetime=row.points, now=now)
        tally.points += row.points
        changed = True
    if tier is not None and tiers.carry_over(session, held, program, tier,
                                             kept_until=kept_until, now=now):
        tally.tiers += 1
        changed = True
    if changed:
        tally.imported += 1
    else:
        tally.unchanged += 1
