"""The declared layers (pyproject.toml, ``[tool.importlinter]``) hold, and they bite.

``make lint`` runs the same contracts; these tests keep them in the suite and show that
each one fails on the kind of import it forbids, including one written inside a
function, which is where the cycles of the past used to hide.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "pyproject.toml"
RUN = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the project's contracts over the packages found in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-c", RUN, "--config", str(CONFIG), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1"},
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The project's packages (Python files only), to plant an import in."""
    for package in ("apps", "youtility"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "static", "templates")
        )
    for path in list(tmp_path.rglob("*")):
        if path.is_file() and path.suffix != ".py":
            path.unlink()
    return tmp_path


def plant(copy: Path, module: str, code: str) -> None:
    path = copy / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + "\n\n" + code.strip() + "\n")


def test_the_project_keeps_its_contracts() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in (
        "Apps build on the core and on the apps below them, never on those above KEPT",
        "Adapters depend on the domain, never the reverse KEPT",
        "No import cycles between the apps, nor between the modules of an app KEPT",
    ):
        assert name in result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_the_copy_itself_passes(copy: Path) -> None:
    # The planted imports below are the only difference the next tests make.
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_core_importing_an_app_inside_a_function_breaks_the_layers(copy: Path) -> None:
    plant(
        copy,
        "apps.core.tenancy",
        """
def _person_model():
    from apps.people.models import Person

    return Person
""",
    )
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "Apps build on the core and on the apps below them, never on those above BROKEN" in result.stdout
    assert "apps.core is not allowed to import apps.people" in result.stdout
    assert "apps.core.tenancy -> apps.people.models" in result.stdout
    # people imports the core, so this is a cycle between the two apps as well.
    assert "No cycles are allowed in apps." in result.stdout
    assert "Adapters depend on the domain, never the reverse KEPT" in result.stdout


def test_an_app_importing_one_above_it_breaks_the_layers(copy: Path) -> None:
    plant(copy, "apps.sites.selectors", "from apps.scheduling.models import Job  # noqa: E402,F401")
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "apps.sites is not allowed to import apps.scheduling" in result.stdout
    assert "apps.sites.selectors -> apps.scheduling.models" in result.stdout


def test_a_service_importing_a_rest_serializer_breaks_the_adapter_rule(copy: Path) -> None:
    # Scheduling may import noc (it sits above it), but not noc's REST layer.
    plant(
        copy,
        "apps.scheduling.services",
        """
def _alert_json(alert):
    from apps.noc.api.serializers import AlertSerializer

    return AlertSerializer(alert).data
""",
    )
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "Adapters depend on the domain, never the reverse BROKEN" in result.stdout
    assert "apps.scheduling.services -> apps.noc.api.serializers" in result.stdout
    assert "Contracts: 2 kept, 1 broken." in result.stdout


def test_a_cycle_hidden_in_a_function_breaks_the_cycle_rule(copy: Path) -> None:
    # The cycle this project once had: dispatch published the tasks that run delivery,
    # which queues through dispatch.
    plant(
        copy,
        "apps.notifications.dispatch",
        """
def _send_now(log_id, log_uuid):
    from . import tasks

    return tasks.send_email(log_id, log_uuid)
""",
    )
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "No import cycles between the apps, nor between the modules of an app BROKEN" in result.stdout
    assert "No cycles are allowed in apps.notifications." in result.stdout
    assert "Contracts: 2 kept, 1 broken." in result.stdout


def test_an_import_under_type_checking_only_names_a_type(copy: Path) -> None:
    # It runs nothing, so it couples nothing at run time: the contracts leave it out.
    plant(
        copy,
        "apps.core.tenancy",
        """
if TYPE_CHECKING:
    from apps.people.models import Person  # noqa: F401
""",
    )
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout
