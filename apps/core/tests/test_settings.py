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
