"""The reviews API's OpenAPI links (Module.api_links): from a review to reading and
moderating it."""

from __future__ import annotations

from afterward.api.openapi import API, Link

REVIEW = ("POST", f"{API}/reviews")
REVIEW_ID = {"review_id": "$response.body#/id"}
LINKS: list[Link] = [
    Link(REVIEW, "GetReview", ("GET", f"{API}/reviews/{{review_id}}"), REVIEW_ID),
    Link(REVIEW, "PublishReview", ("POST", f"{API}/reviews/{{review_id}}/publish"), REVIEW_ID),
    Link(REVIEW, "RejectReview", ("POST", f"{API}/reviews/{{review_id}}/reject"), REVIEW_ID),
    Link(REVIEW, "ReplyToReview", ("POST", f"{API}/reviews/{{review_id}}/reply"), REVIEW_ID),
]
