"""Structured JSON logs: one line per event, each with the correlation id.

structlog renders both its own loggers and the standard library's (Django, Celery,
gunicorn), so every line has the same shape. Values bound with
``structlog.contextvars`` (``request_id``, ``tenant``) are merged into every line.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any

import structlog

_SENSITIVE_KEYS = {"password", "token", "access", "refresh", "secret", "authorization", "cookie"}


def _drop_secrets(_logger: object, _name: str, event_dict: dict) -> dict:
    for key in list(event_dict):
        if key.lower() in _SENSITIVE_KEYS:
            event_dict[key] = "[redacted]"
    return event_dict


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
    ]
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    # A logger caches its processor list on first use. This runs more than once in a process
    # (settings, then a worker's setup_logging signal), so it changes that list in place:
    # a new list would leave the loggers used before it on the old one.
    processors = structlog.get_config()["processors"]
    processors[:] = [*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter]
    structlog.configure(
        processors=processors,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structured": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "foreign_pre_chain": shared,
                    "processors": [
                        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.format_exc_info,
                        renderer,
                    ],
                }
            },
            "handlers": {
                "console": {"class": "logging.StreamHandler", "stream": sys.stderr, "formatter": "structured"}
            },
            "root": {"handlers": ["console"], "level": level},
            "loggers": {
                # Django logs 4xx responses as warnings already described by our own lines.
                "django.request": {"level": "ERROR"},
                "django.server": {"level": "WARNING"},
            },
        }
    )
