"""The production profile refuses to start unsafe and passes `check --deploy` cleanly.

Refused signing keys, in every profile, are covered by test_signing_keys.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
STRONG_KEY = "k3y-" + "x7Qp2Lm9Zr4Tv8Wn1Bc6Hd0Fj5Gs3Ky" * 2
JWT_KEY = "j4w-" + "Pq8Rt2Yv6Nm1Xc5Bz9Lk3Hg7Df0Sa4We" * 2


def run_check(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "JWT_SIGNING_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    base.update({"DJANGO_SETTINGS_MODULE": "youtility.settings", "YOUTILITY_ENV": "production", **env})
    return subprocess.run(
        [sys.executable, MANAGE, "check", "--deploy", "--fail-level", "WARNING"],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_passes_check_deploy_without_warnings():
    result = run_check(SECRET_KEY=STRONG_KEY, JWT_SIGNING_KEY=JWT_KEY, ALLOWED_HOSTS="ops.example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = run_check(ALLOWED_HOSTS="ops.example.com", JWT_SIGNING_KEY=JWT_KEY)
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY is required." in result.stderr


def test_production_refuses_debug_and_weak_keys():
    debug = run_check(SECRET_KEY=STRONG_KEY, JWT_SIGNING_KEY=JWT_KEY, ALLOWED_HOSTS="ops.example.com", DEBUG="true")
    assert "DEBUG cannot be on in the production profile." in debug.stderr
    weak = run_check(SECRET_KEY="short", JWT_SIGNING_KEY=JWT_KEY, ALLOWED_HOSTS="ops.example.com")
    assert "SECRET_KEY must be at least 50 characters" in weak.stderr
    no_hosts = run_check(SECRET_KEY=STRONG_KEY, JWT_SIGNING_KEY=JWT_KEY)
    assert "ALLOWED_HOSTS is required in the production profile." in no_hosts.stderr


def test_bad_environment_values_name_the_variable():
    result = run_check(
        SECRET_KEY=STRONG_KEY, JWT_SIGNING_KEY=JWT_KEY, ALLOWED_HOSTS="ops.example.com", DB_CONN_MAX_AGE="forever"
    )
    assert "DB_CONN_MAX_AGE must be an integer, got 'forever'." in result.stderr


def local_settings(tmp_path: Path, **env: str) -> list[str]:
    """DEBUG, GRAPHIQL and GRAPHQL_INTROSPECTION as a `make run` process would load them."""
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "JWT_SIGNING_KEY", "DEBUG", "YOUTILITY_ENV"}}
    base.update({"DJANGO_SETTINGS_MODULE": "youtility.settings", "YOUTILITY_VAR_DIR": str(tmp_path), **env})
    code = "from django.conf import settings as s; print(s.DEBUG, s.GRAPHIQL, s.GRAPHQL_INTROSPECTION)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_make_run_serves_with_debug_off_and_graphiql_on(tmp_path: Path) -> None:
    assert local_settings(tmp_path) == ["False", "True", "True"]


def test_debug_is_opt_in_and_graphiql_has_its_own_switch(tmp_path: Path) -> None:
    assert local_settings(tmp_path, DEBUG="1") == ["True", "True", "True"]
    assert local_settings(tmp_path, GRAPHIQL="0", GRAPHQL_INTROSPECTION="0") == ["False", "False", "False"]


def test_production_has_no_graphiql_or_introspection_by_default(tmp_path: Path) -> None:
    production = {
        "YOUTILITY_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "JWT_SIGNING_KEY": JWT_KEY,
        "ALLOWED_HOSTS": "ops.example.com",
    }
    assert local_settings(tmp_path, **production) == ["False", "False", "False"]


PRODUCTION_ENV = {
    "YOUTILITY_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "JWT_SIGNING_KEY": JWT_KEY,
    "ALLOWED_HOSTS": "ops.example.com",
}

# Requests through Django's test client inside a production-profile process: what a browser
# gets behind the TLS proxy (X-Forwarded-Proto: https) and over plain HTTP.
PRODUCTION_REQUESTS = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="ops.example.com")
https = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
plain = client.get("/login/")
probe = client.get("/healthz")
print(json.dumps({
    "status": https.status_code,
    "hsts": https.get("Strict-Transport-Security"),
    "csp": https.get("Content-Security-Policy"),
    "reporting": https.get("Reporting-Endpoints"),
    "cookies": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY, settings.CSRF_COOKIE_SECURE],
    "plain": [plain.status_code, plain.get("Location")],
    "probe": [probe.status_code, probe.get("Strict-Transport-Security")],
}))
"""

# collectstatic with the production profile's manifest storage, without its compression
# (which only adds time): the manifest refuses a file that references a missing one.
COLLECT_WITH_MANIFEST = """
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
with override_settings(STORAGES=storages):
    call_command("collectstatic", interactive=False, verbosity=0)
"""


def run_production(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "GRAPHIQL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "youtility.settings", "YOUTILITY_VAR_DIR": str(tmp_path), **PRODUCTION_ENV})
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_production_sends_hsts_secure_cookies_and_redirects_to_https(tmp_path: Path) -> None:
    import json

    result = run_production(tmp_path, PRODUCTION_REQUESTS)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)

    assert seen["status"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["csp"].endswith("; report-uri /csp-report; report-to csp")
    assert seen["reporting"] == 'csp="/csp-report"'
    assert seen["cookies"] == [True, True, True]
    assert seen["plain"] == [301, "https://ops.example.com/login/"]
    assert seen["probe"] == [200, None]  # health probes arrive over plain HTTP, and HSTS is for HTTPS


def test_production_static_files_all_resolve(tmp_path: Path) -> None:
    result = run_production(tmp_path, COLLECT_WITH_MANIFEST)

    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    for name in ("vendor/graphiql/graphiql.min.js", "vendor/redoc/redoc.standalone.js", "console/graphiql.js"):
        assert f'"{name}"' in manifest
