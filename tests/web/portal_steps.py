"""Walking the returns portal with a TestClient: the shop of tests/returns (2 teas, a
blue mug and 3 cups, delivered five days ago), its order's signed portal link, and
each step's form read from the page before it, as a browser would send it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

from sqlalchemy import select

from afterward.commerce.models import OrderLine
from afterward.events import Event
from afterward.returns.models import ClaimedQuantity, Return, ReturnLine, ReturnPhoto
from tests.returns.conftest import Shop

Photos = dict[str, list[bytes]]  # per SKU, the files sent with the item form


def fields(html: str) -> dict[str, str]:
    """The hidden inputs of the page's form."""
    return {unescape(name): unescape(value) for name, value in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)}


def action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match, "no form on the page"
    return unescape(match.group(1))


def problem(html: str) -> str | None:
    match = re.search(r'<div class="notice problem" role="alert">\s*<h2>[^<]*</h2>\s*'
                      r'<p>([^<]*)</p>', html)
    return unescape(match.group(1)) if match else None


@dataclass
class Portal:
    shop: Shop

    @property
    def client(self) -> Any:
        return self.shop.client

    def line_ids(self) -> dict[str, int]:
        with self.shop.db.reading() as session:
            return {sku: line_id for sku, line_id in session.execute(select(
                OrderLine.sku, OrderLine.id).where(OrderLine.order_id == self.shop.order_id))}

    def start(self, lang: str = "") -> Any:
        """The portal's item page, reached through the lookup form."""
        query = f"?lang={lang}" if lang else ""
        return self.client.post(f"/returns{query}", data={
            "order_number": "1001", "email": "ada@example.com", "store": "acme"})

    def choices(self, picks: dict[str, tuple[int, str]], page: Any = None,
                comment: str = "") -> tuple[str, dict[str, str]]:
        """The item form's action and body for {sku: (quantity, reason)}."""
        page = page or self.start()
        ids = self.line_ids()
        body = fields(page.text)
        for sku, line_id in ids.items():
            quantity, reason = picks.get(sku, (0, "too_small"))
            body |= {f"qty_{line_id}": str(quantity), f"reason_{line_id}": reason,
                     f"comment_{line_id}": comment if quantity else ""}
        return action(page.text), body

    def files(self, photos: Photos | None) -> list[tuple[str, tuple[str, bytes, str]]]:
        """The item form's file parts (named like a JPEG whatever they hold)."""
        ids = self.line_ids()
        return [(f"upload_{ids[sku]}", (f"photo{n}.jpg", data, "image/jpeg"))
                for sku, datas in (photos or {}).items() for n, data in enumerate(datas)]

    def review(self, picks: dict[str, tuple[int, str]], comment: str = "",
               photos: Photos | None = None, **extra: str) -> Any:
        url, body = self.choices(picks, comment=comment)
        files = self.files(photos)
        return self.client.post(url, data=body | extra, files=files or None)

    def check(self, picks: dict[str, tuple[int, str]], resolution: str = "refund",
              exchange_for_sku: str = "", photos: Photos | None = None,
              **extra: str) -> Any:
        page = self.review(picks, photos=photos, **extra)
        assert page.status_code == 200, problem(page.text)
        body = fields(page.text) | {"resolution": resolution,
                                    "exchange_for_sku": exchange_for_sku}
        return self.client.post(action(page.text), data=body)

    def confirm_form(self, picks: dict[str, tuple[int, str]], resolution: str = "refund",
                     exchange_for_sku: str = "", photos: Photos | None = None,
                     **extra: str) -> tuple[str, dict[str, str]]:
        page = self.check(picks, resolution, exchange_for_sku, photos, **extra)
        assert page.status_code == 200, problem(page.text)
        return action(page.text), fields(page.text)

    def confirm(self, picks: dict[str, tuple[int, str]], resolution: str = "refund",
                exchange_for_sku: str = "", photos: Photos | None = None,
                **extra: str) -> Any:
        url, body = self.confirm_form(picks, resolution, exchange_for_sku, photos, **extra)
        return self.client.post(url, data=body)

    def returns(self) -> list[Return]:
        with self.shop.db.reading() as session:
            return list(session.scalars(select(Return).order_by(Return.id)))

    def nothing_recorded(self) -> bool:
        shop = self.shop
        return (shop.count(Return) == 0 and shop.count(ReturnLine) == 0
                and shop.count(Event, Event.name.like("return.%")) == 0
                and shop.count(ClaimedQuantity, ClaimedQuantity.claimed > 0) == 0)


def pending_tokens(portal: Portal) -> list[str]:
    """The tokens of the uploads still waiting for a return."""
    with portal.shop.db.reading() as session:
        return list(session.scalars(select(ReturnPhoto.token)
                                    .where(ReturnPhoto.return_id.is_(None))
                                    .order_by(ReturnPhoto.id)))
