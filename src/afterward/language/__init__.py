"""Pure language helpers shared by modules that may not import each other."""
