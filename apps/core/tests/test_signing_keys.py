"""Signing keys: generated once per install, shared by every process, never a known default.

Each test loads the settings in a fresh Python process, as a process of ``make run``
does, with its own temporary var directory.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from youtility.settings import keys

OLD_DEFAULT = "local-development-key-not-for-production-0123456789abcdefghijkl"
STRONG = "k3y-" + "x7Qp2Lm9Zr4Tv8Wn1Bc6Hd0Fj5Gs3Ky" * 2
OTHER_STRONG = "j4w-" + "Pq8Rt2Yv6Nm1Xc5Bz9Lk3Hg7Df0Sa4We" * 2

# Prints sha256 digests of the two keys: the keys themselves never reach the test output.
PRINT_KEYS = (
    "import hashlib; from django.conf import settings; "
    "print(hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest(), "
    "hashlib.sha256(settings.JWT_SIGNING_KEY.encode()).hexdigest(), settings.PROFILE)"
)


def environment(var_dir: Path, **values: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "JWT_SIGNING_KEY", "DEBUG", "YOUTILITY_ENV", "ALLOWED_HOSTS"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "youtility.settings", "YOUTILITY_VAR_DIR": str(var_dir), **values})
    return env


def load_settings(var_dir: Path, code: str = PRINT_KEYS, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environment(var_dir, **values),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_text().strip().encode()).hexdigest()


def test_local_keys_are_generated_once_owner_only_and_reused(tmp_path: Path) -> None:
    first = load_settings(tmp_path)
    assert first.returncode == 0, first.stderr
    secret_file, jwt_file = tmp_path / "secret_key", tmp_path / "jwt_signing_key"
    for path in (secret_file, jwt_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(path.read_text().strip()) == 86  # 64 random bytes, URL-safe
    assert first.stdout.split() == [digest(secret_file), digest(jwt_file), "local"]
    assert digest(secret_file) != digest(jwt_file)
    written = (secret_file.stat().st_mtime_ns, jwt_file.stat().st_mtime_ns)

    again = load_settings(tmp_path)

    assert again.stdout == first.stdout
    assert (secret_file.stat().st_mtime_ns, jwt_file.stat().st_mtime_ns) == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jwt_signing_key", "secret_key"]


def test_keys_in_the_environment_win_over_the_files(tmp_path: Path) -> None:
    import hashlib

    result = load_settings(tmp_path, SECRET_KEY=STRONG, JWT_SIGNING_KEY=OTHER_STRONG)

    assert result.stdout.split() == [
        hashlib.sha256(STRONG.encode()).hexdigest(),
        hashlib.sha256(OTHER_STRONG.encode()).hexdigest(),
        "local",
    ]
    assert list(tmp_path.iterdir()) == []


def test_processes_starting_together_end_with_one_key(tmp_path: Path) -> None:
    """Eight processes (gunicorn workers, daphne, celery...) start at once on a fresh install."""
    go = tmp_path / "go"
    var_dir = tmp_path / "var"
    # Heavy imports first, then every process waits for the same signal to read its keys.
    code = (
        "import os, sys, time, django.conf, celery.schedules, kombu, apps.core.logging, youtility.settings.keys\n"
        f"while not os.path.exists({str(go)!r}): pass\n" + PRINT_KEYS
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env=environment(var_dir),
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    time.sleep(2)  # let them all reach the wait
    go.touch()
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0] * 8, [err for _, err in outputs]
    assert {out for out, _ in outputs} == {
        f"{digest(var_dir / 'secret_key')} {digest(var_dir / 'jwt_signing_key')} local\n"
    }
    # The candidates of the processes that lost the race are gone.
    assert sorted(p.name for p in var_dir.iterdir()) == ["jwt_signing_key", "secret_key"]


def test_slow_first_starts_in_parallel_still_agree(tmp_path: Path, monkeypatch: Any) -> None:
    """Eight starts that all find no file, each slow to make its key: one key wins for all."""
    from concurrent.futures import ThreadPoolExecutor

    real_generate = keys.generate_key

    def slow_generate() -> str:
        time.sleep(0.2)  # every thread has checked for the file before any has written one
        return real_generate()

    monkeypatch.setattr(keys, "generate_key", slow_generate)
    path = tmp_path / "secret_key"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: keys.key_from_file(path), range(8)))

    assert set(results) == {path.read_text().strip()}
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_a_process_that_loses_the_race_uses_the_winners_key(tmp_path: Path, monkeypatch: Any) -> None:
    """Another process links its key into place between our check and our own link."""
    path = tmp_path / "secret_key"
    real_link = os.link

    def link_after_the_winner(source: Any, target: Any) -> None:
        path.write_text("the-winners-key-" + "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm" * 2 + "\n")
        path.chmod(0o600)
        real_link(source, target)

    monkeypatch.setattr(keys.os, "link", link_after_the_winner)

    assert keys.key_from_file(path) == "the-winners-key-" + "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm" * 2
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    assert load_settings(tmp_path).returncode == 0
    (tmp_path / "jwt_signing_key").chmod(0o644)

    result = load_settings(tmp_path)

    assert result.returncode != 0
    assert f"{tmp_path / 'jwt_signing_key'} is open to other users (mode 0644)" in result.stderr


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"SECRET_KEY": OLD_DEFAULT}, "SECRET_KEY is a default key published with Youtility's source code"),
        ({"JWT_SIGNING_KEY": OLD_DEFAULT}, "JWT_SIGNING_KEY is a default key published with Youtility's source code"),
        (
            {"SECRET_KEY": "django-insecure-" + STRONG},
            "SECRET_KEY is a key generated by Django's startproject (django-insecure-...)",
        ),
        ({"SECRET_KEY": "short-key"}, "SECRET_KEY must be at least 50 characters with at least 10 distinct ones."),
        ({"JWT_SIGNING_KEY": "ab" * 40}, "JWT_SIGNING_KEY must be at least 50 characters with at least 10 distinct"),
        ({"SECRET_KEY": STRONG, "JWT_SIGNING_KEY": STRONG}, "JWT_SIGNING_KEY must differ from SECRET_KEY."),
    ],
)
@pytest.mark.parametrize("profile", ["local", "production"])
def test_a_known_or_weak_key_stops_start_up(tmp_path: Path, profile: str, values: dict[str, str], message: str) -> None:
    given = {"SECRET_KEY": STRONG, "JWT_SIGNING_KEY": OTHER_STRONG} if profile == "production" else {}
    given.update(values)

    result = load_settings(tmp_path, YOUTILITY_ENV=profile, ALLOWED_HOSTS="ops.example.com", **given)

    assert result.returncode != 0
    assert result.stdout == ""
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr


def test_production_takes_no_key_from_files(tmp_path: Path) -> None:
    result = load_settings(tmp_path, YOUTILITY_ENV="production", ALLOWED_HOSTS="ops.example.com", SECRET_KEY=STRONG)

    assert result.returncode != 0
    assert "The environment variable JWT_SIGNING_KEY is required." in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_test_profile_makes_its_own_keys_for_each_run(tmp_path: Path) -> None:
    import hashlib

    runs = [load_settings(tmp_path, DJANGO_SETTINGS_MODULE="youtility.settings.test").stdout.split() for _ in range(2)]

    assert runs[0][2] == runs[1][2] == "test"
    assert len({runs[0][0], runs[0][1], runs[1][0], runs[1][1]}) == 4
    assert hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest() not in {runs[0][0], runs[1][0]}
    assert list(tmp_path.iterdir()) == []  # no key files for a test run
    keys.check_pair(settings.SECRET_KEY, settings.JWT_SIGNING_KEY)


def test_check_key_accepts_generated_keys() -> None:
    for _ in range(20):
        keys.check_pair(keys.generate_key(), keys.generate_key())
    with pytest.raises(ImproperlyConfigured):
        keys.check_key("SECRET_KEY", OLD_DEFAULT)
