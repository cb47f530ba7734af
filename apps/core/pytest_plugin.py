"""The ``slow`` marker: long load tests run only when ``RUN_SLOW=1``.

``make test`` (and CI) keeps to the bounded suite; a developer or a nightly job sets
``RUN_SLOW=1`` for the long versions. A pytest plugin (importing nothing of Django, so any pytest run can load it), loaded by the
root conftest.
"""

from __future__ import annotations

import os
from typing import Any

import pytest


def run_slow() -> bool:
    return os.environ.get("RUN_SLOW", "").strip().lower() in {"1", "true", "yes", "on"}


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if run_slow():
        return
    skip = pytest.mark.skip(reason="a slow load test: set RUN_SLOW=1 to run it")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)
