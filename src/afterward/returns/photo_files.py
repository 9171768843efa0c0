"""A return's photos are cleaned by the shared afterward.images (reviews' photos are
too); at most MAX_PER_LINE a return line."""

from afterward.images import (
    EXTENSIONS,
    MAX_BYTES,
    MAX_PIXELS,
    MAX_SIDE,
    TYPES,
    CleanPhoto,
    PhotoError,
    clean,
    sniff,
)

MAX_PER_LINE = 3

__all__ = ["EXTENSIONS", "MAX_BYTES", "MAX_PER_LINE", "MAX_PIXELS", "MAX_SIDE", "TYPES",
           "CleanPhoto", "PhotoError", "clean", "sniff"]
