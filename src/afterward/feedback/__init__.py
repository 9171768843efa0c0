"""Feedback: reviews (collected by signed links, moderated, published as JSON, a page,
a widget and Google's feed), surveys (NPS, delivery, CSAT) and the detractor loop."""
