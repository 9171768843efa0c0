"""Journeys: event-triggered flows of waits, branches, holdouts and sends, as data."""
