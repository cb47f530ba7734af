"""Running calls truly at once in tests: real threads, each with its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections

from apps.core.tenancy import tenant_context


def run_together(tenant: Any, *calls: Callable[[], Any], timeout: float = 60) -> list[tuple[str, Any]]:
    """Start ``calls`` at the same moment, each in its own thread, database connection and
    context of ``tenant``; each result is ``("ok", value)`` or ``("error", exception)``.

    Needs ``@pytest.mark.django_db(transaction=True)``: the threads' connections must see
    what the test committed.
    """
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("pending", None)] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            with tenant_context(tenant):
                barrier.wait()
                results[index] = ("ok", call())
        except Exception as exc:  # noqa: BLE001 - handed back to the test, which asserts on it
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
