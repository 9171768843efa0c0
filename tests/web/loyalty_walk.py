"""The loyalty pages in the hostile shop (hostile_shop.py): a program whose reward
and tier names are hostile, the hostile customer a member with points given for a
hostile reason, and the visits the walk makes to the shopper's page and the admin's,
forms included."""

from __future__ import annotations

import dataclasses
from typing import Any

from afterward.commerce import stores
from afterward.loyalty import ledger, links, programs
from afterward.loyalty.models import LoyaltyReferral
from afterward.loyalty.program import Program
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from tests.hostile import hostile
from tests.web import hostile_shop as h
from tests.web.hostile_walk import CSRF, Visit, q, query

REWARD = hostile("reward name", 100)
TIER = hostile("tier name", 100)
REASON = hostile("adjustment reason", 300)
TYPED_PROGRAM = hostile("typed program", 2000)
TYPED_SEARCH = hostile("typed member search", 200)
TYPED_POINTS = hostile("typed points", 20)
# A members file whose every cell is hostile: its rows are refused, each by its line,
# the hostile values named in the messages.
MEMBERS_FILE = ("email,points,tier,reason\n" + ",".join(
    '"' + value.replace('"', '""') + '"' for value in (h.EMAIL, TYPED_POINTS, TIER + "x",
                                                        REASON)) + "\n").encode()
SLUG_TYPED = "[typed]\"><img src=x onerror=alert(1)>' onmouseover='alert(1) {{7*7}}"


@dataclasses.dataclass(frozen=True)
class LoyaltyShop(h.Shop):
    member_path: str = "/loyalty/m"  # the hostile customer's signed page
    referral_id: int = 0  # a referral in review whose friend's email is hostile


def loyalty_shop(db: Database, settings: Any, shop: h.Shop) -> LoyaltyShop:
    with db.transaction() as session:
        found = stores.get_by_slug(session, h.SLUG)
        assert found is not None
        store_id = found.id
        programs.save(session, store_id=store_id, program=Program.model_validate({
            "tiers": [{"key": "top", "name": TIER, "min_spend_minor": 10**9}],
            "rewards": [{"key": "hostile", "name": REWARD, "points": 100,
                         "discount_minor": 500}]}))
        ledger.adjust(session, store_id=store_id, customer_id=shop.customer_id, points=1000,
                      reason=REASON, key="hostile-welcome")
        now = utcnow()
        referral = LoyaltyReferral(
            store_id=store_id, referrer_customer_id=shop.customer_id, friend_email=h.EMAIL,
            friend_mailbox=h.EMAIL, status="review", signals=["self_referral"], cleared=[],
            channel="api", points=0, created_at=now, updated_at=now)
        session.add(referral)
        session.flush()
        referral_id = referral.id
    fields = {f.name: getattr(shop, f.name) for f in dataclasses.fields(shop)}
    return LoyaltyShop(**fields, member_path=links.member_path(
        settings.secret_key, store_id, shop.customer_id), referral_id=referral_id)


SHOPPER = (
    Visit("/loyalty/{token}", "{shop.member_path}", (h.STORE_NAME, REWARD, TIER)),
    Visit("/loyalty/{token}", "{shop.member_path}?" + query(lang="xx", note=TYPED_SEARCH),
          (REWARD,)),
    Visit("/loyalty/{token}", "/loyalty/" + q(SLUG_TYPED), status=404),
    Visit("/loyalty/from/{tracking_token}", "/loyalty/from/{shop.tokens[0]}", status=303,
          kind="redirect"),
    Visit("/loyalty/from/{tracking_token}", "/loyalty/from/" + q(SLUG_TYPED), status=404),
    Visit("/loyalty/{token}/redeem", "{shop.member_path}/redeem", (REWARD, h.STORE_NAME),
          form={"csrf": CSRF, "key": "hostile-key-1", "reward": "hostile"}),
    Visit("/loyalty/{token}/redeem", "{shop.member_path}/redeem", (REWARD,), status=422,
          form={"csrf": CSRF, "key": "hostile-key-2", "reward": "nope"}),
)
ADMIN = (
    Visit("/admin/loyalty", "/admin/loyalty"),
    Visit("/admin/loyalty/program", "/admin/loyalty/program", (REWARD, TIER)),
    Visit("/admin/loyalty/program", "/admin/loyalty/program", (TYPED_PROGRAM,), status=422,
          form={"csrf": CSRF, "document": TYPED_PROGRAM}),
    Visit("/admin/loyalty/members", "/admin/loyalty/members", (h.EMAIL,)),
    Visit("/admin/loyalty/members", "/admin/loyalty/members?" + query(q=TYPED_SEARCH),
          (TYPED_SEARCH,)),
    Visit("/admin/loyalty/members/{customer_id}", "/admin/loyalty/members/{shop.customer_id}",
          (h.EMAIL, REASON, TIER)),
    Visit("/admin/loyalty/members/{customer_id}", "/admin/loyalty/members/" + q(SLUG_TYPED),
          status=404),
    Visit("/admin/loyalty/members/{customer_id}/adjust",
          "/admin/loyalty/members/{shop.customer_id}/adjust", (TYPED_POINTS, REASON),
          status=422, form={"csrf": CSRF, "key": "hostile-adjust", "points": TYPED_POINTS,
                            "reason": REASON}),
    Visit("/admin/loyalty/members/{customer_id}/adjust",
          "/admin/loyalty/members/{shop.customer_id}/adjust", (REASON,),  # the member's page
          form={"csrf": CSRF, "key": "hostile-adjust", "points": "5", "reason": REASON}),
    Visit("/admin/loyalty/referrals", "/admin/loyalty/referrals", (h.EMAIL,)),
    Visit("/admin/loyalty/referrals", "/admin/loyalty/referrals?" + query(status=SLUG_TYPED),
          status=400),
    Visit("/admin/loyalty/referrals/{referral_id}/{verdict}",
          "/admin/loyalty/referrals/{shop.referral_id}/reject",  # the list, decided
          form={"csrf": CSRF, "reason": REASON}),
    Visit("/admin/loyalty/referrals", "/admin/loyalty/referrals?status=rejected",
          (h.EMAIL, REASON)),
    Visit("/admin/loyalty/import", "/admin/loyalty/import"),
    Visit("/admin/loyalty/import", "/admin/loyalty/import", status=422,  # each row refused
          form={"csrf": CSRF, "keep_tier_days": "365"}, files={"members": (
              "members.csv", MEMBERS_FILE, "text/csv")}),
    Visit("/admin/loyalty/import", "/admin/loyalty/import", (TYPED_POINTS,), status=422,
          form={"csrf": CSRF, "keep_tier_days": TYPED_POINTS},
          files={"members": ("members.csv", MEMBERS_FILE, "text/csv")}),
)
