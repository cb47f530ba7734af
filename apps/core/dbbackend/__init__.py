"""The project's database backend (``base.py``) and what kind of process this is.

The kind decides the PostgreSQL ``statement_timeout`` of this process's connections
(``DB_STATEMENT_TIMEOUT_MS``): web processes answer people and must give a worker back
quickly, workers may run long set-based statements, and management commands
(migrations, imports from the shell) run without one. Entry points declare their kind:
``youtility/wsgi.py`` and ``asgi.py`` say ``web``, Celery's worker and beat say
``worker`` (``youtility/celery.py``); anything else, ``manage.py`` included, is a
``command``. Kept free of imports so that entry points can set it before Django loads.
"""

from __future__ import annotations

PROCESS_KINDS = ("web", "worker", "command")

_process_kind = "command"


def set_process_kind(kind: str) -> None:
    global _process_kind
    if kind not in PROCESS_KINDS:
        raise ValueError(f"Unknown process kind {kind!r}; one of {', '.join(PROCESS_KINDS)}.")
    _process_kind = kind


def process_kind() -> str:
    return _process_kind
