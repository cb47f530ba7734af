"""Every operator setting is declared in the settings package, read from the environment,
and documented in docs/operations.md with its real default.

The variables the settings read come from ``youtility.settings.env.READ`` as a fresh
process of each profile fills it (local and production read different variables), with
an environment that sets none of them, so the recorded defaults are an operator's.

A row of a configuration table in docs/operations.md is any table row whose first cell
starts with backticked upper-case names (one, or several joined by ``,`` or ``/``); its
default is the cell of the column headed ``default``. A default is compared where it is
stated in a comparable form: a backticked value (read by the variable's own helper, as
the environment would give it), the name of another variable (whose default it is), or
``on``, ``off`` or ``empty``, each alone or followed by a remark in brackets, after ``;``
or after ``,``. Anything else (``the system's trust store``, ``on in `local`, off
otherwise``) is prose.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.core.models import Attachment
from apps.noc import escalation
from apps.noc.models import Alert
from youtility.settings import env

BASE_DIR = Path(settings.BASE_DIR)
DOCS = BASE_DIR / "docs" / "operations.md"

#: Read by the settings but deliberately left out of the tables, with the reason.
UNDOCUMENTED = {
    "DJANGO_SETTINGS_MODULE": "set by the entry points (manage.py, wsgi, asgi, Celery) and the test runner",
    "DB_TEST_TEMPLATE": "the database the test suite clones its databases from; nothing else reads it",
}

#: In the tables, but read by something other than the settings module: the file that reads it.
READ_ELSEWHERE = {
    # scripts/run.sh runs `migrate` with it as DATABASE_URL; the running processes never use it.
    "MIGRATE_DATABASE_URL": "scripts/run.sh",
    # prometheus_client reads it when first imported, so it must be in the process's environment.
    "PROMETHEUS_MULTIPROC_DIR": "apps/core/metrics.py",
}

PRODUCTION = {
    "YOUTILITY_ENV": "production",
    "SECRET_KEY": "k3y-" + "x7Qp2Lm9Zr4Tv8Wn1Bc6Hd0Fj5Gs3Ky" * 2,
    "JWT_SIGNING_KEY": "j4w-" + "Pq8Rt2Yv6Nm1Xc5Bz9Lk3Hg7Df0Sa4We" * 2,
    "ALLOWED_HOSTS": "ops.example.com",
}

PRINT_READ = """
import json
from django.conf import settings
settings.DEBUG  # loads the settings module
from youtility.settings import env
print(json.dumps({name: [read.helper, read.default, read.options] for name, read in env.READ.items()}))
"""

PRINT_SETTINGS = """
import json
from django.conf import settings
names = json.loads(input())
print(json.dumps({name: getattr(settings, name) for name in names}))
"""

NAMES = re.compile(r"`([A-Z][A-Z0-9_]*)`")
FIRST_CELL = re.compile(r"^`[A-Z][A-Z0-9_]*`(?:\s*[,/]\s*`[A-Z][A-Z0-9_]*`)*")
LITERAL = re.compile(r"^`([^`]*)`(?:$| \(|; |, )")
WORD = re.compile(r"^(on|off|empty)(?:$| \(|; |, )")


def run_settings(tmp_path: Path, code: str, stdin: str = "", **values: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh process whose environment holds only ``values``."""
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "youtility.settings",
        "YOUTILITY_VAR_DIR": str(tmp_path),
        **values,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=BASE_DIR,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def variables_read(tmp_path: Path, **values: str) -> dict[str, list[Any]]:
    result = run_settings(tmp_path, PRINT_READ, **values)
    assert result.returncode == 0, result.stderr
    read: dict[str, list[Any]] = json.loads(result.stdout)
    return read


@pytest.fixture(scope="module")
def declared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """name -> [helper, default, options]: the local profile's, else the production profile's."""
    production = variables_read(tmp_path_factory.mktemp("production"), **PRODUCTION)
    local = variables_read(tmp_path_factory.mktemp("local"))
    return {**production, **local}


def documented_rows() -> list[tuple[list[str], str, str]]:
    """(names, default cell, the line) of every configuration table row in docs/operations.md."""
    rows: list[tuple[list[str], str, str]] = []
    header: list[str] = []
    for line in DOCS.read_text().splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not header:
            header = cells
            continue
        first = FIRST_CELL.match(cells[0])
        if first is None or "default" not in header:
            continue
        default = cells[header.index("default")] if len(cells) == len(header) else ""
        rows.append((NAMES.findall(first.group(0)), default, line))
    return rows


def documented_defaults(names: list[str], cell: str) -> list[tuple[str, str]]:
    """(name, stated default) for each name whose default the cell states; several names
    share a cell as ``a`` / ``b`` / ``c``."""
    parts = cell.split(" / ") if len(names) > 1 else [cell]
    if len(parts) != len(names):
        return []
    return list(zip(names, parts, strict=True))


def test_the_docs_tables_are_parsed() -> None:
    """Guards the parser: a table format change that hid every row would pass the rest."""
    documented = {name for names, _, _ in documented_rows() for name in names}
    assert {
        "DATABASE_URL",
        "TICKET_MAX_COMMENTS",
        "WEBHOOK_READ_TIMEOUT_SECONDS",
        "NOC_ESCALATION_MINUTES",
    } <= documented
    assert len(documented) > 60


def test_every_documented_variable_is_read_by_the_settings(declared: dict[str, list[Any]]) -> None:
    documented = {name for names, _, _ in documented_rows() for name in names}
    unread = sorted(documented - set(declared) - set(READ_ELSEWHERE))
    assert not unread, f"documented, but the settings do not read them: {unread}"


def test_variables_read_elsewhere_are_read_there_and_not_by_the_settings(declared: dict[str, list[Any]]) -> None:
    documented = {name for names, _, _ in documented_rows() for name in names}
    for name, path in READ_ELSEWHERE.items():
        assert name in documented, name
        assert name not in declared, f"{name} is read by the settings now: take it off READ_ELSEWHERE"
        assert name in (BASE_DIR / path).read_text(), (name, path)


def test_every_variable_the_settings_read_is_documented(declared: dict[str, list[Any]]) -> None:
    documented = {name for names, _, _ in documented_rows() for name in names}
    undocumented = sorted(set(declared) - documented - set(UNDOCUMENTED))
    assert not undocumented, f"read by the settings, but in no table of docs/operations.md: {undocumented}"
    # The allow-list stays exact: no entry for a variable that is gone or documented after all.
    assert sorted(set(UNDOCUMENTED) - set(declared)) == []
    assert sorted(set(UNDOCUMENTED) & documented) == []


def test_documented_defaults_are_the_real_defaults(
    declared: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[str] = []
    wrong: list[str] = []
    for names, cell, line in documented_rows():
        for name, stated in documented_defaults(names, cell):
            if name not in declared:
                continue  # reported by test_every_documented_variable_is_read_by_the_settings
            helper, default, options = declared[name]
            literal, word = LITERAL.match(stated), WORD.match(stated)
            if literal is not None and literal.group(1) in declared and literal.group(1) != name:
                # Defaults to another variable: the same value when neither is set.
                agrees = default == declared[literal.group(1)][1]
            elif word is not None and word.group(1) == "empty":
                agrees = default in ("", [], {})
            elif literal is not None or word is not None:
                text = literal.group(1) if literal is not None else word.group(1)  # type: ignore[union-attr]
                monkeypatch.setenv(name, text)
                try:
                    parsed = getattr(env, helper)(name, default, **options)
                except ImproperlyConfigured as exc:
                    wrong.append(f"{name}: {text!r} is not a value of the variable ({exc})")
                    continue
                agrees = parsed == default
                if isinstance(default, dict):  # a map's default lists every key
                    agrees = agrees and {item.partition("=")[0] for item in text.split(",")} == set(default)
            else:
                continue
            compared.append(name)
            if not agrees:
                wrong.append(f"{name}: the docs say {stated!r}, the settings {default!r}\n    {line}")
    assert not wrong, "\n".join(wrong)
    # Guards the comparison itself, and the forms of defaults it must understand.
    assert {
        "DB_CONN_MAX_AGE",  # `60`
        "CELERY_BROKER_URL",  # `REDIS_URL`
        "WEBHOOK_STORE_RESPONSE_BODY",  # off
        "SECURE_SSL_REDIRECT",  # on (production only)
        "CSRF_TRUSTED_ORIGINS",  # empty
        "WEBHOOK_TOTAL_TIMEOUT_SECONDS",  # `5` / `10` / `30`
        "GRAPHQL_MAX_COST_BY_ROLE",  # `admin=15000,...`
        "NOC_ESCALATION_MINUTES",  # `...,LOW=never`
        "ALLOWED_HOSTS",  # `127.0.0.1,localhost,testserver`; none in production
    } <= set(compared)


def test_an_operator_sets_each_new_setting_from_the_environment(tmp_path: Path) -> None:
    values = {
        "TICKET_MAX_PHOTOS_PER_REQUEST": "3",
        "TICKET_MAX_ATTACHMENTS": "12",
        "TICKET_MAX_COMMENTS": "40",
        "WEBHOOK_CONNECT_TIMEOUT_SECONDS": "2.5",
        "WEBHOOK_CA_FILE": "/etc/ssl/private-ca.pem",
        "WEBHOOKS_PER_TENANT_MAX": "7",
        "NOTIFICATIONS_FROM_EMAIL": "Ops <ops@example.com>",
        "NOTIFICATIONS_RETENTION_DAYS": "30",
        "EMAIL_TIMEOUT": "9",
        "ATTACHMENT_MAX_BYTES": "PHOTO=5242880",
        "NOC_ESCALATION_MINUTES": "CRITICAL=3, LOW=never, MEDIUM=240",
    }
    result = run_settings(tmp_path, PRINT_SETTINGS, stdin=json.dumps(list(values)), **values)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "TICKET_MAX_PHOTOS_PER_REQUEST": 3,
        "TICKET_MAX_ATTACHMENTS": 12,
        "TICKET_MAX_COMMENTS": 40,
        "WEBHOOK_CONNECT_TIMEOUT_SECONDS": 2.5,
        "WEBHOOK_CA_FILE": "/etc/ssl/private-ca.pem",
        "WEBHOOKS_PER_TENANT_MAX": 7,
        "NOTIFICATIONS_FROM_EMAIL": "Ops <ops@example.com>",
        "NOTIFICATIONS_RETENTION_DAYS": 30,
        "EMAIL_TIMEOUT": 9,
        "ATTACHMENT_MAX_BYTES": {
            "PHOTO": 5 * 1024 * 1024,
            "SIGNATURE": 1024 * 1024,
            "AUDIO": 10 * 1024 * 1024,
            "VIDEO": 20 * 1024 * 1024,
            "DOCUMENT": 20 * 1024 * 1024,
        },
        "NOC_ESCALATION_MINUTES": {"CRITICAL": 3, "HIGH": 15, "MEDIUM": 240, "LOW": None},
    }


#: What this test process's settings read (the test profile reads these as any other does).
READ_NOW = {name: (read.helper, read.default, read.options) for name, read in env.READ.items()}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "NOC_ESCALATION_MINUTES",
            "HIGH=soon",
            "NOC_ESCALATION_MINUTES entries look like name=number (1 to 10080) or name=never, got 'HIGH=soon'.",
        ),
        (
            "NOC_ESCALATION_MINUTES",
            "LOW=10081",
            "NOC_ESCALATION_MINUTES entries look like name=number (1 to 10080) or name=never, got 'LOW=10081'.",
        ),
        (
            "NOC_ESCALATION_MINUTES",
            "CRITICIAL=3",
            "NOC_ESCALATION_MINUTES entries name one of CRITICAL, HIGH, MEDIUM, LOW, got 'CRITICIAL'.",
        ),
        (
            "ATTACHMENT_MAX_BYTES",
            "PHOTOS=100",
            "ATTACHMENT_MAX_BYTES entries name one of PHOTO, SIGNATURE, AUDIO, VIDEO, DOCUMENT, got 'PHOTOS'.",
        ),
        ("WEBHOOK_READ_TIMEOUT_SECONDS", "fast", "WEBHOOK_READ_TIMEOUT_SECONDS must be a number, got 'fast'."),
        ("WEBHOOK_TOTAL_TIMEOUT_SECONDS", "inf", "WEBHOOK_TOTAL_TIMEOUT_SECONDS must be a number, got 'inf'."),
        ("TICKET_MAX_COMMENTS", "many", "TICKET_MAX_COMMENTS must be an integer, got 'many'."),
    ],
)
def test_a_wrong_value_stops_the_start_and_names_the_variable(
    name: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    helper, default, options = READ_NOW[name]
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        getattr(env, helper)(name, default, **options)
    assert str(refused.value) == message


def test_a_wrong_value_stops_a_real_start(tmp_path: Path) -> None:
    result = run_settings(tmp_path, PRINT_READ, NOC_ESCALATION_MINUTES="HIGH=soon")
    assert result.returncode != 0
    assert "NOC_ESCALATION_MINUTES entries look like name=number (1 to 10080) or name=never" in result.stderr


def test_map_settings_name_every_kind_and_severity_the_code_knows() -> None:
    assert set(settings.ATTACHMENT_MAX_BYTES) == set(Attachment.Kind.values)
    assert set(settings.NOC_ESCALATION_MINUTES) == set(Alert.Severity.values)
    # A company's delays have the bound the installation's have.
    assert READ_NOW["NOC_ESCALATION_MINUTES"][2] == {"longest": escalation.MAX_DELAY_MINUTES}


def test_app_code_reads_settings_plainly() -> None:
    """``getattr(settings, NAME, default)`` hides a setting from the settings module (and
    from the environment): every setting is declared there and read as ``settings.NAME``."""
    found: list[str] = []
    for root in ("apps", "youtility"):
        for path in sorted((BASE_DIR / root).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in {"getattr", "hasattr"}
                    and node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id.endswith("settings")
                ):
                    found.append(f"{path.relative_to(BASE_DIR)}:{node.lineno}")
    assert found == []
