"""Built-in journeys that read what insights computes (replenishment dates,
subscriptions' renewal risk)."""
