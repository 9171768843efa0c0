"""The fault tests' shared modules assert too: let pytest explain their failures."""

import pytest

pytest.register_assert_rewrite("tests.faults.helpers", "tests.faults.job_kinds")
