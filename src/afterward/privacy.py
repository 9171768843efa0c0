"""Personal data: export and erase one customer across every module.

Each module that keeps something about a customer registers a section: `export`
returns that module's data as plain JSON values, `erase` removes or scrubs it and
returns how many rows it touched. `export_customer` and `erase_customer` run every
section in the caller's transaction (a service never commits), so an erasure happens
whole or not at all.

What erasure means, module by module, is in docs/privacy.md. In short: identity
(email, phone, names, birthday, addresses, signatures, message bodies) goes; the
rows that carry money and measurement (orders and their totals, shipments, message
counts, journey enrolments) stay, no longer pointing at a person. Suppressions of
the customer's addresses stay, so that an unsubscribe is still honoured."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.orm import Session

from afterward import modules

Export = Callable[[Session, int, int], Any]
Erase = Callable[[Session, int, int], dict[str, int]]


Find = Callable[[Session, int, int, bool], bool]


@dataclass(frozen=True)
class Section:
    name: str
    export: Export
    erase: Erase
    order: int  # erasures run in this order (commerce, which scrubs identity, runs last)
    # The section of the module that keeps the customers themselves answers "is there
    # such a customer in this store?" (with lock: holding the row to the transaction's end).
    find: Find | None = None


_SECTIONS: dict[str, Section] = {}


class UnknownCustomer(LookupError):
    """No such customer in this store."""


def section(name: str, *, order: int = 50) -> Callable[[type], type]:
    """Register a class with static `export(session, store_id, customer_id)` and
    `erase(session, store_id, customer_id)` methods as the module's section."""
    def register(cls: type) -> type:
        _SECTIONS[name] = Section(name, cls.export, cls.erase, order,  # type: ignore[attr-defined]
                                  getattr(cls, "find", None))
        return cls

    return register


def sections() -> list[Section]:
    modules.import_all("privacy")  # each installed module's section registers itself
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name))


def export_customer(session: Session, *, store_id: int, customer_id: int) -> dict[str, Any]:
    """Everything Afterward keeps about the customer, one key per module."""
    found = sections()
    _require_customer(session, store_id, customer_id)
    return {"customer_id": customer_id,
            **{s.name: s.export(session, store_id, customer_id) for s in found}}


def erase_customer(session: Session, *, store_id: int, customer_id: int) -> dict[str, int]:
    """Erase the customer's personal data in every module; rows touched, per table."""
    found = sections()
    _require_customer(session, store_id, customer_id, lock=True)
    touched: dict[str, int] = {}
    for s in found:
        for table, count in s.erase(session, store_id, customer_id).items():
            touched[table] = touched.get(table, 0) + count
    return touched


def changed(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched."""
    return cast(CursorResult[Any], result).rowcount


def _require_customer(session: Session, store_id: int, customer_id: int, *,
                      lock: bool = False) -> None:
    """With `lock`, the customer's row is held until the transaction ends: concurrent
    erasures of one customer run one after the other (the second finds nothing left)."""
    if not any(s.find(session, store_id, customer_id, lock) for s in sections() if s.find):
        raise UnknownCustomer(customer_id)
