"""misena's tests. The shared helpers in :mod:`tests.support` are registered for assertion
rewriting here, before any conftest imports them, so an ``assert`` inside a helper
(``Harness.deliver``, the mailbox checks) explains itself as well as one in a test does."""

import pytest

pytest.register_assert_rewrite("tests.support")
