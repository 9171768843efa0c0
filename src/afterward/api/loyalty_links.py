"""The loyalty API's OpenAPI links (Module.api_links): from a customer to their points
to adjusting and redeeming them, and from a redemption to its refund; from a customer
to referring a friend, and from a referral to reading and deciding it."""

from __future__ import annotations

from afterward.api.openapi import API, CUSTOMER, ID, Link

REDEMPTION = ("POST", f"{API}/loyalty/redemptions")
REFERRAL = ("POST", f"{API}/loyalty/referrals")
REFERRAL_ID = {"referral_id": "$response.body#/id"}
LINKS: list[Link] = [
    Link(CUSTOMER, "GetLoyalty", ("GET", f"{API}/customers/{{customer_id}}/loyalty"),
         {"customer_id": ID}),
    Link(CUSTOMER, "AdjustPoints", ("POST", f"{API}/loyalty/adjustments"),
         body={"customer_id": "$response.body#/id"}),
    Link(CUSTOMER, "RedeemPoints", ("POST", f"{API}/loyalty/redemptions"),
         body={"customer_id": "$response.body#/id"}),
    Link(REDEMPTION, "RefundRedemption", ("POST", f"{API}/loyalty/redemptions/{{code}}/refund"),
         {"code": "$response.body#/code"}),
    Link(CUSTOMER, "ReferAFriend", REFERRAL, body={"referrer_customer_id": "$response.body#/id"}),
    Link(REFERRAL, "GetReferral", ("GET", f"{API}/loyalty/referrals/{{referral_id}}"),
         REFERRAL_ID),
    Link(REFERRAL, "ApproveReferral", ("POST", f"{API}/loyalty/referrals/{{referral_id}}/approve"),
         REFERRAL_ID),
    Link(REFERRAL, "RejectReferral", ("POST", f"{API}/loyalty/referrals/{{referral_id}}/reject"),
         REFERRAL_ID),
]
