"""Typed helpers that read configuration from the environment.

Every setting the project reads from the environment goes through these helpers, so a
wrong value fails at start-up with the variable's name instead of deep inside Django.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int_map(name: str, default: dict[str, int]) -> dict[str, int]:
    """``key=number,key2=number`` (each key replaces the default's value, the others stay)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return dict(default)
    result = dict(default)
    for item in value.split(","):
        key, sep, number = item.strip().partition("=")
        if not item.strip():
            continue
        try:
            if not sep or not key.strip():
                raise ValueError
            result[key.strip()] = int(number)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name} entries look like name=integer, got {item.strip()!r}.") from exc
    return result


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
