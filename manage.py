#!/usr/bin/env python
import os
import sys


def main(argv: list[str]) -> None:
    """Run a management command; every change it makes is logged as coming through the
    command door, under the label ``command:<name>``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "youtility.settings")
    from django.core.management import execute_from_command_line

    from apps.core.context import command_context

    with command_context(argv[1] if len(argv) > 1 else "help"):
        execute_from_command_line(argv)


if __name__ == "__main__":
    main(sys.argv)
