"""Afterward: the post-purchase experience platform."""

__version__ = "0.1.0"
