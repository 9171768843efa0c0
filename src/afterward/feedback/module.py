"""Feedback: reviews and surveys."""

from afterward.modules import Module

MODULE = Module(
    name="feedback",
    tables=("afterward.feedback.models",),
    texts=("afterward.feedback.texts:read",),
    events=("review.submitted", "review.published", "review.rejected"),
)
