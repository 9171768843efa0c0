"""The assistant's built-in journeys (Module.journeys): the team's answer by email."""
