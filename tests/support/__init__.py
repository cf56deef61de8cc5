"""Helpers the test suites share; no tests here.

Registered for assertion rewriting so an ``assert`` inside a helper (``Harness.deliver``, the
mailbox checks) explains itself as well as one in a test does.
"""

import pytest

pytest.register_assert_rewrite("tests.support")
