"""An e-mail backend for tests: fails like an SMTP server for the first sends, then keeps
messages in ``django.core.mail.outbox`` like the locmem backend."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import Any, ClassVar

from django.core.mail.backends import locmem


class FlakyBackend(locmem.EmailBackend):
    failures: ClassVar[int] = 0
    error: ClassVar[Exception] = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, messages: Sequence[Any]) -> int:
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise FlakyBackend.error
        return super().send_messages(messages)
