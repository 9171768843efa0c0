"""Batch and on-demand models over the store's data: recommendations, CLV,
replenishment, delivery times. Domain modules never import this package."""
