"""Prometheus metrics at /metrics: HTTP requests by route, latency, Celery tasks from a
real worker, and multiprocess mode as gunicorn runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from apps.core.metrics import multiprocess_dir

from .tasks_for_tests import TEST_QUEUE, add, celery_worker  # noqa: F401

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client: Any) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    return response.content.decode()


ME = {"method": "GET", "route": "/api/v1/me/"}


@pytest.mark.django_db
def test_requests_are_counted_and_timed_by_route(client, tenant_a_admin):
    api = tenant_a_admin.client()
    before = scrape(client)
    assert api.get("/api/v1/me/").status_code == 200
    assert api.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 401
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("youtility_http_requests_total", **ME, status="200") == 2.0
    assert delta("youtility_http_requests_total", **ME, status="401") == 1.0
    assert delta("youtility_http_request_duration_seconds_count", **ME) == 3.0
    assert delta("youtility_http_request_duration_seconds_bucket", **ME, le="+Inf") == 3.0
    assert delta("youtility_http_request_duration_seconds_bucket", **ME, le="10.0") == 3.0
    assert delta("youtility_http_request_duration_seconds_sum", **ME) > 0
    buckets = sorted(
        float(dict(labels)["le"])
        for (name, labels) in samples(after)
        if name == "youtility_http_request_duration_seconds_bucket"
        and {key: val for key, val in labels if key != "le"} == ME
    )
    assert buckets == [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf")]


def test_unmatched_paths_share_one_label(client):
    before = scrape(client)
    client.get("/no/such/page/1")
    client.get("/no/such/page/2")
    after = scrape(client)
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    assert (
        value(after, "youtility_http_requests_total", **labels)
        - value(before, "youtility_http_requests_total", **labels)
        == 2.0
    )
    assert "/no/such/page" not in after


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_celery_tasks_run_by_a_worker_are_counted(client):
    labels = {"task": "coretests.add", "state": "SUCCESS"}
    before = value(scrape(client), "youtility_celery_tasks_total", **labels)
    assert add.apply_async(args=(2, 3), queue=TEST_QUEUE).get(timeout=20) == 5
    # The count is written after the result, when the worker's task_postrun runs.
    deadline = time.monotonic() + 10
    while (current := value(scrape(client), "youtility_celery_tasks_total", **labels)) == before:
        assert time.monotonic() < deadline, "the task was never counted"
        time.sleep(0.05)
    assert current == before + 1


def test_metrics_still_answer_when_redis_is_down(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        text = scrape(client)
    assert "youtility_http_requests_total" in text
    assert "youtility_celery_tasks_total" not in text


def test_single_process_mode_in_tests():
    # The suite runs without PROMETHEUS_MULTIPROC_DIR: one process, one registry.
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    assert multiprocess_dir() is None


REQUESTS_SCRIPT = """
import json, os, sys
os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
import django
django.setup()
from django.test import Client
from apps.core.metrics import multiprocess_dir
client = Client()
for _ in range(int(sys.argv[2])):
    assert client.get("/healthz").status_code == 200
print(json.dumps({"pid": os.getpid(), "dir": multiprocess_dir()}))
"""

RENDER_SCRIPT = """
import json, os, sys
os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
import django
django.setup()
from apps.core.metrics import render_metrics
sys.stdout.write(render_metrics().decode())
"""

LATE_SCRIPT = """
import json, os, sys
import prometheus_client
os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
import django
django.setup()
from django.test import Client
from apps.core.metrics import multiprocess_dir, render_metrics
assert Client().get("/healthz").status_code == 200
print(json.dumps({"dir": multiprocess_dir(), "metrics": render_metrics().decode()}))
"""


def run_python(script: str, *args: str) -> str:
    env = {key: val for key, val in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_multiprocess_mode_sums_the_counters_of_every_process(tmp_path):
    """What gunicorn does: workers count in their own processes, any process reports the sum."""
    first = json.loads(run_python(REQUESTS_SCRIPT, str(tmp_path), "2"))
    second = json.loads(run_python(REQUESTS_SCRIPT, str(tmp_path), "3"))
    assert first["dir"] == second["dir"] == str(tmp_path)
    assert {f"counter_{first['pid']}.db", f"counter_{second['pid']}.db"} <= set(os.listdir(tmp_path))

    text = run_python(RENDER_SCRIPT, str(tmp_path))
    healthz = {"method": "GET", "route": "/healthz"}
    assert value(text, "youtility_http_requests_total", **healthz, status="200") == 5.0
    assert value(text, "youtility_http_request_duration_seconds_count", **healthz) == 5.0


def test_multiprocess_directory_set_after_import_is_not_half_used(tmp_path):
    """prometheus_client picks its mode at import; a variable set later must not make
    /metrics read an empty directory while the counters live in memory."""
    outcome = json.loads(run_python(LATE_SCRIPT, str(tmp_path)))
    assert outcome["dir"] is None
    healthz = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(outcome["metrics"], "youtility_http_requests_total", **healthz) == 1.0
    assert os.listdir(tmp_path) == []
