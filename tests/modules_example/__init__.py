"""A module as small as a module gets, for tests/test_modules.py: one folder that the
spine mounts because it is named in modules.INSTALLED, nothing else edited."""
