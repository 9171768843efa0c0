"""Feedback: reviews and surveys."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="feedback",
    tables=("afterward.feedback.models",),
    api=("afterward.api.reviews:router", "afterward.api.surveys:router"),
    api_links=("afterward.api.reviews_links:LINKS",),
    # reviews_data first: its /reviews/{store_slug}/{sku}.json must match before the page
    pages=("afterward.web.pages.review_form:router", "afterward.web.pages.survey:router",
           "afterward.web.pages.reviews_data:router", "afterward.web.pages.reviews:router"),
    admin=("afterward.web.admin.reviews:router", "afterward.web.admin.surveys:router"),
    nav=(NavEntry(N_("Reviews"), "/admin/reviews", "reviews", 38),
         NavEntry(N_("Surveys"), "/admin/surveys", "surveys", 45)),
    privacy="afterward.feedback.privacy",  # imports survey_privacy: both sections
    message_sources=("afterward.feedback",),
    message_parts=("afterward.feedback.message_part", "afterward.feedback.survey_part",
                   "afterward.feedback.csat_part"),
    journeys=("afterward.feedback.journeys",),
    facts=("afterward.feedback.journey_facts",),
    hold_probes=("afterward.feedback.detractors:marketing_pause",),
    texts=("afterward.feedback.texts:read", "afterward.feedback.survey_texts:comments"),
    cli=(("reviews", "afterward.cli.reviews:app"),),
    events=("review.submitted", "review.published", "review.rejected", "survey.answered"),
)
