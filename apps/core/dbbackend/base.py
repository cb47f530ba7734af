"""PostGIS backend that keeps PostgreSQL's session settings in step with the context.

Row-level security policies (``apps.core.rls``) compare ``tenant_id`` with the session
settings ``youtility.tenant_id`` and ``youtility.system``, and ``statement_timeout``
bounds how long one statement may hold the connection, by kind of process
(``DB_STATEMENT_TIMEOUT_MS``, see ``apps.core.dbbackend``). Before any statement runs,
including raw ``connection.cursor()`` SQL, the execute wrapper below makes those settings
match the tenant in ``apps.core.tenancy`` and the process's timeout; it only sends a
``set_config`` when a value changes, so a new connection gets them with its first
statement and no extra round trip. A rolled-back transaction (or savepoint) may undo an
earlier ``set_config``, so rollbacks forget the remembered values and the next statement
sets them again.

Caveat for operators: the settings are session-level, so a transaction-pooling proxy
(PgBouncer ``pool_mode=transaction``) must not sit between Django and PostgreSQL; use
session pooling or Django's persistent connections.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper

from apps.core import tenancy

from . import process_kind

SET_SQL = (
    "SELECT set_config('youtility.tenant_id', %s, false), set_config('youtility.system', %s, false), "
    "set_config('statement_timeout', %s, false)"
)


def desired_settings() -> tuple[str, str, str]:
    """``youtility.tenant_id``, ``youtility.system`` and ``statement_timeout`` (milliseconds, 0: none)."""
    timeout = str(int(settings.DB_STATEMENT_TIMEOUT_MS[process_kind()]))
    ctx = tenancy.current()
    if isinstance(ctx, tenancy.TenantContext):
        return (str(ctx.id), "off", timeout)
    if isinstance(ctx, tenancy.SystemContext):
        return ("", "on", timeout)
    return ("", "off", timeout)


def sync_session_settings(execute: Any, sql: Any, params: Any, many: bool, context: dict[str, Any]) -> Any:
    db = context["connection"]
    desired = desired_settings()
    if db.session_settings != desired:
        # A cursor of its own: the caller's may be a server-side cursor (``.iterator()``
        # in a transaction), on which execute() only declares the statement.
        with db.connection.cursor() as cursor:
            cursor.execute(SET_SQL, desired)
        db.session_settings = desired
    return execute(sql, params, many, context)


class DatabaseWrapper(PostGISDatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_settings: tuple[str, str, str] | None = None
        self.execute_wrappers.append(sync_session_settings)

    def get_new_connection(self, conn_params: Any) -> Any:
        self.session_settings = None
        return super().get_new_connection(conn_params)

    # Forget the remembered value only after the rollback ran: the ROLLBACK TO SAVEPOINT
    # statement itself passes through the execute wrapper, inside an aborted transaction.
    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self.session_settings = None

    def _savepoint_rollback(self, sid: str) -> None:
        try:
            super()._savepoint_rollback(sid)  # type: ignore[misc]
        finally:
            self.session_settings = None

    def _close(self) -> None:
        self.session_settings = None
        super()._close()  # type: ignore[misc]
