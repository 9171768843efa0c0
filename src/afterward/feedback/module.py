"""Feedback: reviews and surveys."""

from afterward.modules import Module

MODULE = Module(
    name="feedback",
    tables=("afterward.feedback.models",),
    # reviews_data first: its /reviews/{store_slug}/{sku}.json must match before the page
    pages=("afterward.web.pages.reviews_data:router", "afterward.web.pages.reviews:router"),
    events=("review.submitted", "review.published", "review.rejected"),
)
