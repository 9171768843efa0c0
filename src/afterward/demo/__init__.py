"""`afterward demo`: a demo store with three years of generated history, the last 180
days of it replayed through the built-in journeys (build.py), and the generated
product pictures and logos the media router serves (images.py). Generation needs numpy
(the "demo" extra); images.py and the sizes below do not."""

# The default store. Every event of the replayed part goes through the journeys, the
# worker and messaging as it would live: this size builds in about 45 s on a 2-core
# machine, with holdout groups of 14 to 24 customers (docs/demo.md has the figures).
DEFAULT_CUSTOMERS = 900
DEFAULT_ORDERS = 970
DEFAULT_DAYS = 1095  # three years of history
DEFAULT_REPLAY_DAYS = 180  # its last six months replayed through the journeys
DEFAULT_SEED = 20240917
