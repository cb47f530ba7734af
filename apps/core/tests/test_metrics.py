"""Prometheus metrics at /metrics: HTTP requests by route, latency, Celery tasks from a
real worker, and multiprocess mode as gunicorn runs it."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from apps.core.metrics import (
    celery_counts_key,
    method_label,
    multiprocess_dir,
    record_celery_task,
    redis_client,
    route_label,
    status_label,
)

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


# --- Every label is bounded -------------------------------------------------------------------


def series(text: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return set(samples(text))


def test_made_up_methods_add_no_series(client):
    made_up = [f"X{uuid.uuid4().hex[:12].upper()}" for _ in range(50)]
    # The first made-up request creates the one "other" series; the first scrape, /metrics's own.
    client.generic("WARMUP", "/healthz")
    client.generic("WARMUP", "/no/such/page")
    scrape(client)
    before = scrape(client)
    for n, method in enumerate(made_up):
        response = client.generic(method, "/healthz" if n % 2 else f"/no/such/page/{n}")
        assert response.status_code == (405 if n % 2 else 404)
    after = scrape(client)

    assert series(after) == series(before)
    assert not any(method in after for method in made_up)
    methods = {dict(labels).get("method") for _name, labels in series(after)} - {None}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "other"}

    def delta(**labels: str) -> float:
        name = "youtility_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(method="other", route="/healthz", status="405") == 25.0
    assert delta(method="other", route="unmatched", status="404") == 25.0


@pytest.mark.parametrize(
    ("status", "label"),
    [(200, "200"), (404, "404"), (429, "429"), (503, "503"), (418, "4xx"), (299, "2xx"), (599, "5xx"), (103, "1xx")],
)
def test_status_is_a_known_code_or_its_class(status, label):
    assert status_label(status) == label


def test_method_and_route_labels():
    assert [method_label(m) for m in ("GET", "PATCH", "PROPFIND", "get", "", None)] == [
        "GET",
        "PATCH",
        "other",
        "other",
        "other",
        "other",
    ]
    assert (route_label(""), route_label("api/v1/me/"), route_label(None)) == ("/", "/api/v1/me/", "unmatched")


def test_the_home_page_is_counted_under_its_pattern(client):
    before = scrape(client)
    client.get("/")
    after = scrape(client)
    labels = {"method": "GET", "route": "/"}
    name = "youtility_http_request_duration_seconds_count"
    assert value(after, name, **labels) - value(before, name, **labels) == 1.0


def test_celery_task_labels_come_from_the_registry(client):
    key, hash_client = celery_counts_key(), redis_client()
    fields = ["other|SUCCESS", "other|other", "coretests.add|SUCCESS"]
    saved = {field: hash_client.hget(key, field) for field in fields}
    before = scrape(client)
    record_celery_task("coretests.add", "SUCCESS")
    record_celery_task("no.such.task", "SUCCESS")
    record_celery_task("coretests.add", "MADE_UP_STATE")
    # Whatever else writes to the shared hash is bounded when read back.
    hash_client.hincrby(key, "injected.task.name|SUCCESS", 3)
    hash_client.hincrby(key, "coretests.add|NOT_A_STATE", 1)
    hash_client.hset(key, "coretests.add|FAILURE", "not a number")
    try:
        after = scrape(client)
    finally:
        hash_client.hdel(key, "injected.task.name|SUCCESS", "coretests.add|NOT_A_STATE", "coretests.add|FAILURE")
        for field, saved_value in saved.items():
            if saved_value is None:
                hash_client.hdel(key, field)
            else:
                hash_client.hset(key, field, saved_value)

    def delta(task: str, state: str) -> float:
        name = "youtility_celery_tasks_total"
        return value(after, name, task=task, state=state) - value(before, name, task=task, state=state)

    assert delta("coretests.add", "SUCCESS") == 1.0
    assert delta("other", "SUCCESS") == 4.0  # no.such.task, and the three injected
    assert delta("coretests.add", "other") == 2.0
    assert "no.such.task" not in after and "injected.task.name" not in after and "MADE_UP_STATE" not in after


# --- Who may scrape ------------------------------------------------------------------------------

OUTSIDE = "203.0.113.9"


def refused(response: Any) -> bool:
    return response.status_code == 404 and b"youtility_" not in response.content


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"])
def test_loopback_clients_may_scrape(client, address):
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 200 and b"youtility_http_requests_total" in response.content


@pytest.mark.parametrize(
    "headers",
    [
        {"REMOTE_ADDR": OUTSIDE},
        {"REMOTE_ADDR": "10.0.0.5"},
        # Through the proxy from elsewhere: the proxy connects from loopback and appends the client.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": OUTSIDE},
        # A client that forges a loopback hop first gets its real address appended after it.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": f"127.0.0.1, {OUTSIDE}"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "not-an-address"},
    ],
)
def test_anyone_else_gets_not_found_whatever_the_method(client, headers):
    assert refused(client.get("/metrics", **headers))
    assert refused(client.head("/metrics", **headers))
    assert refused(client.post("/metrics", **headers))  # not 405: the endpoint is not advertised


def test_two_trusted_proxies(client, settings):
    settings.TRUSTED_PROXY_COUNT = 2  # a load balancer, then nginx
    assert (
        client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 10.0.0.2").status_code == 200
    )
    assert refused(client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"{OUTSIDE}, 10.0.0.2"))


def test_a_token_opens_metrics_from_anywhere_and_never_reaches_the_logs(client, settings, caplog):
    caplog.set_level("DEBUG")
    token = secrets.token_urlsafe(32)
    wrong = secrets.token_urlsafe(32)
    settings.METRICS_TOKEN = token

    allowed = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert allowed.status_code == 200 and b"youtility_http_requests_total" in allowed.content
    assert refused(client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {wrong}"))
    assert refused(client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {token}x"))
    assert refused(client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Basic {token}"))
    # A wrong token is wrong from loopback too; no token there is fine.
    assert refused(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {wrong}"))
    assert client.get("/metrics").status_code == 200

    logged = caplog.text + " ".join(str(record.msg) for record in caplog.records)
    assert "metrics.token_refused" in logged and "http.request" in logged
    assert token not in logged and wrong not in logged


def test_without_a_configured_token_no_bearer_is_accepted(client, settings):
    settings.METRICS_TOKEN = ""
    for header in ("Bearer ", "Bearer x", "Bearer  "):
        assert refused(client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=header))


def test_a_short_token_stops_the_settings_from_loading():
    env = {**os.environ, "METRICS_TOKEN": "too-short", "DJANGO_SETTINGS_MODULE": "youtility.settings"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "METRICS_TOKEN must be at least 32 characters" in done.stderr
    assert "too-short" not in done.stderr
