"""E-mail templates: one subject, plain-text and HTML template per event.

Templates live in ``templates/notifications/email/<event>.{subject.txt,txt,html}`` and can
be overridden by a project template directory. The HTML is autoescaped; the subject and
the text are not (they are not HTML), and the subject is folded onto one line.

Every template gets the caller's context plus ``event``, ``console_url`` (the console's
base URL) and ``link``: the absolute URL of the alert or ticket, built from the
``url`` path its dict carries (docs/api.md lists the keys each event's templates read).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string

from apps.core.errors import DomainError

from . import events

TEMPLATE_DIR = "notifications/email"
SUBJECT_MAX = 255
#: The largest context (or webhook payload) accepted, as JSON.
MAX_DATA_BYTES = 256 * 1024
URL_KEYS = ("url", "console_url", "path", "console_path")


def console_url() -> str:
    """Base URL of the web console for links in e-mails (``CONSOLE_BASE_URL``)."""
    return settings.CONSOLE_BASE_URL.rstrip("/")


def plain_json(data: Any, *, what: str) -> dict[str, Any]:
    """``data`` reduced to plain JSON types (dates, decimals and uuids as strings).

    A value JSON cannot carry is a programming error (``ValueError``); data over
    ``MAX_DATA_BYTES`` is refused with ``payload_too_large``.
    """
    if not isinstance(data, dict):
        raise ValueError(f"The {what} must be a dict, not {type(data).__name__}.")
    try:
        text = json.dumps(data, cls=DjangoJSONEncoder)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The {what} must be JSON-serialisable: {exc}") from exc
    if len(text.encode()) > MAX_DATA_BYTES:
        raise DomainError(
            f"The {what} is larger than {MAX_DATA_BYTES // 1024} KiB.",
            code="payload_too_large",
            status=413,
            details={"max_bytes": MAX_DATA_BYTES},
        )
    plain: dict[str, Any] = json.loads(text)
    return plain


def _link(context: dict[str, Any]) -> str:
    """The console link of the alert or ticket the e-mail is about, or an empty string.

    Only a path of this console is linked (``/noc/alerts/12/``), never another host. The
    path is read from ``url`` (the documented key) or, for callers that named it
    otherwise, ``console_url``, ``path`` or ``console_path``.
    """
    for key in ("alert", "ticket"):
        subject = context.get(key)
        if not isinstance(subject, dict):
            continue
        for name in URL_KEYS:
            path = subject.get(name)
            if isinstance(path, str) and path.startswith("/") and not path.startswith("//"):
                return f"{console_url()}{path}"
    return ""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _with_site(data: dict[str, Any]) -> None:
    """Give the alert or ticket dict a ``site`` object when the caller sent flat
    ``site_code``/``site_name`` (or the site as a plain string) instead, so the templates
    read one shape."""
    for key in ("alert", "ticket"):
        subject = data.get(key)
        if isinstance(subject, dict) and not isinstance(subject.get("site"), dict):
            plain = subject.get("site") if isinstance(subject.get("site"), str) else None
            code, name = subject.get("site_code") or plain, subject.get("site_name") or plain
            if code or name:
                subject["site"] = {"id": subject.get("site_id"), "code": code or "", "name": name or code}


def render(event: str, context: dict[str, Any]) -> Rendered:
    """Render the three templates of ``event`` with ``context`` (checked by ``plain_json``)."""
    events.check_event(event)
    data = plain_json(context, what="notification context")
    _with_site(data)
    data.update(event=event, console_url=console_url(), link=_link(data))
    subject = " ".join(render_to_string(f"{TEMPLATE_DIR}/{event}.subject.txt", data).split())[:SUBJECT_MAX]
    return Rendered(
        subject=subject,
        text=render_to_string(f"{TEMPLATE_DIR}/{event}.txt", data).strip() + "\n",
        html=render_to_string(f"{TEMPLATE_DIR}/{event}.html", {**data, "subject": subject}),
    )
