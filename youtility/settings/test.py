"""Test settings: the base module plus what only tests need.

Tests run against the same real PostgreSQL/PostGIS, Redis and Mosquitto as ``make run``,
with a second database for the dedicated-tenant router tests.
"""

import os

os.environ.setdefault("YOUTILITY_ENV", "test")
os.environ.setdefault("TENANT_DATABASE_URLS", "dedicated=postgres://youtility_app@127.0.0.1:5432/youtility_dedicated")
os.environ.setdefault("CACHE_KEY_PREFIX", f"yt-test-{os.getpid()}")
os.environ.setdefault("CHANNEL_PREFIX", f"yt-test-ch-{os.getpid()}")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from . import *  # noqa: F403
from . import DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests that need a real worker start one in-process (celery.contrib.testing).
CELERY_TASK_ALWAYS_EAGER = False
# Schema owner used by the test harness to create test databases and run migrations; the
# tests themselves then reconnect as the runtime role (see conftest.py).
TEST_OWNER_USER = os.environ.get("TEST_OWNER_USER", "youtility")
for _alias in DATABASES:
    DATABASES[_alias]["CONN_MAX_AGE"] = 0
# The runtime role the tests reconnect as once the databases are migrated.
TEST_APP_USER = os.environ.get("TEST_APP_USER", "youtility_app")
