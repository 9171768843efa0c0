"""Feedback: reviews and surveys."""

from afterward.modules import N_, Module, NavEntry

MODULE = Module(
    name="feedback",
    tables=("afterward.feedback.models",),
    events=("review.submitted", "review.published", "review.rejected",
            # Surveys
            "survey.answered"),
    # Surveys (NPS, delivery, CSAT) and the detractor loop
    api=("afterward.api.surveys:router",),
    pages=("afterward.web.pages.survey:router",),
    admin=("afterward.web.admin.surveys:router",),
    nav=(NavEntry(N_("Surveys"), "/admin/surveys", "surveys", 45),),
    privacy="afterward.feedback.survey_privacy",
    message_sources=("afterward.feedback",),
    message_parts=("afterward.feedback.survey_part", "afterward.feedback.csat_part"),
    journeys=("afterward.feedback.journeys",),
    hold_probes=("afterward.feedback.detractors:marketing_pause",),
    texts=("afterward.feedback.survey_texts:comments",),
)
