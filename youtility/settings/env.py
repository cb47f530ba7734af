"""Typed helpers that read configuration from the environment.

Every setting the project reads from the environment goes through these helpers, so a
wrong value fails at start-up with the variable's name instead of deep inside Django.
Each helper also notes what it read in ``READ``, so the operator documentation can be
checked against the variables the settings really read (apps/core/tests/test_settings_declared.py).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Read:
    """One variable read by the settings: the helper, its default (None: required) and options."""

    helper: str
    default: object
    options: dict[str, object] = field(default_factory=dict)


#: The variables read in this process, by name, in the order the settings module read them.
READ: dict[str, Read] = {}


def _raw(name: str, helper: str, default: object, **options: object) -> str | None:
    """The variable's value, or None when it is unset or empty (the default applies)."""
    READ[name] = Read(helper, default, options)
    value = os.environ.get(name)
    return None if value is None or value == "" else value


def env_str(name: str, default: str | None = None) -> str:
    value = _raw(name, "env_str", default)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name, "env_bool", default)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}.")


def env_int(name: str, default: int) -> int:
    value = _raw(name, "env_int", default)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from exc


def env_float(name: str, default: float) -> float:
    """A number that may have a fractional part (``2.5``): timeouts in seconds."""
    value = _raw(name, "env_float", default)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name, "env_list", default)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int_map(name: str, default: dict[str, int], *, known_keys_only: bool = False) -> dict[str, int]:
    """``key=number,key2=number`` (each key replaces the default's value, the others stay).

    With ``known_keys_only`` a key the default does not have is refused, so a misspelt
    name stops the start instead of being ignored.
    """
    value = _raw(name, "env_int_map", default, known_keys_only=known_keys_only)
    result = dict(default)
    for key, number in _pairs(name, value, "name=integer", list(default) if known_keys_only else None):
        try:
            result[key] = int(number)
        except ValueError as exc:
            entry = f"{key}={number}"
            raise ImproperlyConfigured(f"{name} entries look like name=integer, got {entry!r}.") from exc
    return result


def env_delay_map(name: str, default: dict[str, int | None], *, longest: int) -> dict[str, int | None]:
    """``key=number`` or ``key=never`` for the keys of ``default`` (the others keep their value).

    A delay is a whole number from 1 to ``longest``; ``never`` is stored as None.
    """
    value = _raw(name, "env_delay_map", default, longest=longest)
    result = dict(default)
    expected = f"name=number (1 to {longest}) or name=never"
    for key, text in _pairs(name, value, expected, list(default)):
        if text.lower() == "never":
            result[key] = None
            continue
        try:
            number = int(text)
        except ValueError:
            number = 0
        if not 1 <= number <= longest:
            entry = f"{key}={text}"
            raise ImproperlyConfigured(f"{name} entries look like {expected}, got {entry!r}.")
        result[key] = number
    return result


def _pairs(name: str, value: str | None, expected: str, keys: list[str] | None) -> list[tuple[str, str]]:
    """The ``key=value`` entries of a map variable; ``keys`` limits the names accepted."""
    pairs: list[tuple[str, str]] = []
    for item in (value or "").split(","):
        key, sep, text = item.strip().partition("=")
        if not item.strip():
            continue
        if not sep or not key.strip():
            raise ImproperlyConfigured(f"{name} entries look like {expected}, got {item.strip()!r}.")
        if keys is not None and key.strip() not in keys:
            raise ImproperlyConfigured(f"{name} entries name one of {', '.join(keys)}, got {key.strip()!r}.")
        pairs.append((key.strip(), text.strip()))
    return pairs


def database_from_url(url: str) -> dict[str, object]:
    """Turn ``postgres://user:pass@host:port/name?sslmode=require`` into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "postgis"}:
        raise ImproperlyConfigured(f"Only PostgreSQL database URLs are supported, got {parsed.scheme!r}.")
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "apps.core.dbbackend",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
    }


def parse_alias_urls(value: str) -> dict[str, str]:
    """Parse ``alias=url,alias2=url2`` (used for dedicated tenant databases)."""
    result: dict[str, str] = {}
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        alias, sep, url = item.partition("=")
        if not sep or not alias.strip() or not url.strip():
            raise ImproperlyConfigured(f"TENANT_DATABASE_URLS entries look like alias=url, got {item!r}.")
        if alias.strip() == "default":
            raise ImproperlyConfigured("TENANT_DATABASE_URLS cannot redefine the 'default' alias.")
        result[alias.strip()] = url.strip()
    return result
