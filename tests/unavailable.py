"""What a test does when something it needs is not on this machine: skip, or fail where CI requires it."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(message: str, required_by: str = "KNEE_CV_REQUIRE_SHARED") -> NoReturn:
    """Skip the test with ``message``; fail it instead where the variable ``required_by`` is "1" (``.ci/run`` sets both).

    ``KNEE_CV_REQUIRE_SHARED`` covers the shared real data, Chromium and the
    test-only packages; ``KNEE_CV_REQUIRE_POSTGRES`` a PostgreSQL server.
    """
    if os.environ.get(required_by) == "1":
        pytest.fail(message)
    pytest.skip(message)
