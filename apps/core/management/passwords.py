"""How management commands take a password: never from the command line.

A password on argv lands in the shell history and in every ``ps`` listing, so commands
read it from an environment variable they are told the name of, or ask for it twice.
"""

from __future__ import annotations

import getpass
import os

from django.core.management.base import CommandError


def read_password(env_name: str | None, whose: str) -> str:
    """The password in the environment variable ``env_name``, else one asked twice for ``whose``."""
    if env_name:
        value = os.environ.get(env_name, "")
        if not value:
            raise CommandError(f"The environment variable {env_name} is empty or unset.")
        return value
    first = getpass.getpass(f"Password for the {whose}: ")
    if first != getpass.getpass("Again: "):
        raise CommandError("The passwords do not match.")
    return first
