"""The ``slow`` marker does what pyproject.toml says: skipped unless RUN_SLOW=1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from apps.core.pytest_plugin import run_slow

SAMPLE = """
import pytest

@pytest.mark.slow
def test_long_load():
    pass

def test_quick():
    pass
"""


def _run(tmp_path: Path, run_slow_value: str) -> str:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root), "RUN_SLOW": run_slow_value}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "-p",
            "apps.core.pytest_plugin",
            "-o",
            "markers=slow: x",
            "-rs",
            "-q",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    return result.stdout


def test_slow_tests_are_skipped_by_default(tmp_path: Path) -> None:
    out = _run(tmp_path, "")
    assert "1 passed, 1 skipped" in out
    assert "a slow load test: set RUN_SLOW=1 to run it" in out


def test_run_slow_runs_them(tmp_path: Path) -> None:
    assert "2 passed" in _run(tmp_path, "1")


@pytest.mark.parametrize(("value", "expected"), [("", False), ("0", False), ("1", True), ("yes", True)])
def test_the_switch(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("RUN_SLOW", value)
    assert run_slow() is expected
