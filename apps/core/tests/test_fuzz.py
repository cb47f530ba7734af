"""Schema fuzzing: every operation of the committed ``openapi.yaml``, called with values
schemathesis generates from it, as a fresh tenant's admin. No answer may be a 5xx, and
every error must have the one error shape. Every other example of an operation on one
object names a real object of the tenant, so updates and actions reach their services.

Runs in-process against the WSGI application (no server, no network) with a fixed seed
and a small budget per operation, so ``make test`` stays within minutes:
``FUZZ_EXAMPLES`` examples per operation (8 by default; 60 with ``RUN_SLOW=1``), and
``make fuzz`` for a longer run. A failure prints the request as a curl command.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import resolve
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from apps.core.models import is_tenant_model
from apps.core.testing import isolation
from conftest import make_persona, make_tenant

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or (60 if os.environ.get("RUN_SLOW") else 8))

schema = schemathesis.openapi.from_path(Path(settings.BASE_DIR) / "openapi.yaml")
application = get_wsgi_application()

pytestmark = pytest.mark.fuzz


@dataclass
class Fuzzer:
    """A fresh tenant's admin, and one object of each model an operation asks for by id."""

    tenant: Any
    headers: dict[str, str]
    objects: dict[Any, Any] = field(default_factory=dict)

    def aim(self, case: Any) -> None:
        """Point an ``{id}`` at a real object every other example (by the parity of the id
        generated), so writes reach their services and not only a 404; the other examples
        keep the generated id."""
        generated = (case.path_parameters or {}).get("id")
        if not isinstance(generated, int) or generated % 2:
            return
        view = getattr(resolve(re.sub(r"{\w+}", "1", case.path)).func, "cls", None)
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None or not is_tenant_model(model):
            return
        if model not in self.objects:
            self.objects[model] = isolation.make_object(model, self.tenant, case.path)
        case.path_parameters["id"] = self.objects[model].pk


@pytest.fixture
def fuzzer(db: Any) -> Iterator[Fuzzer]:
    """The fuzzing admin, and the request cycle kept off the test's database connection.

    The application runs in this thread on the test's transaction. Django closes database
    connections when a request starts and finishes; its test client switches that off for
    the duration of a request, and so does this fixture for the test.
    """
    tenant = make_tenant(f"fuzz{os.getpid()}")
    admin = make_persona(tenant, "admin")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield Fuzzer(tenant, {"Authorization": f"Bearer {admin.tokens().access}"})
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples on every run, so a failure is reproducible
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_with_a_server_error(case: Any, fuzzer: Fuzzer) -> None:
    fuzzer.aim(case)
    response = case.call(app=application, headers=fuzzer.headers)
    request = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, f"{request} answered {response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        body = json.loads(response.content)
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, (request, body)
