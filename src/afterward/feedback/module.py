"""Feedback: reviews and surveys."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="feedback",
    tables=("afterward.feedback.models",),
    api=("afterward.api.reviews:router",),
    api_links=("afterward.api.reviews_links:LINKS",),
    pages=("afterward.web.pages.review_form:router",),
    admin=("afterward.web.admin.reviews:router",),
    nav=(NavEntry(N_("Reviews"), "/admin/reviews", "reviews", 38),),
    privacy="afterward.feedback.privacy",
    message_parts=("afterward.feedback.message_part",),
    facts=("afterward.feedback.journey_facts",),
    events=("review.submitted", "review.published", "review.rejected"),
)
