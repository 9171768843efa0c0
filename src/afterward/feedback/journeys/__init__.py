"""Feedback's built-in journeys (Module.journeys): the CSAT question after a resolved
return and the detractor's follow-up."""
