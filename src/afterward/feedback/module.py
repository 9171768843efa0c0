"""Feedback: reviews and surveys."""

from afterward.modules import Module

MODULE = Module(
    name="feedback",
    tables=("afterward.feedback.models",),
    events=("review.submitted", "review.published", "review.rejected"),
)
