"""The assistant's built-in journeys (Module.journeys): the team's answer by email, and the
tracking link the shopper asked the assistant to send again."""
