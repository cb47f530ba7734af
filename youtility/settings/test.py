"""Test settings: the base module plus what only tests need.

Tests run against the same real PostgreSQL/PostGIS, Redis and Mosquitto as ``make run``,
with a second database for the dedicated-tenant router tests. The base module has been
imported (and has read the environment) before this file runs, so everything here is an
explicit override rather than an environment default.
"""

import os

from . import *  # noqa: F403
from . import CACHES, CHANNEL_LAYERS, DATABASES, REST_FRAMEWORK, _default_db
from .env import database_from_url

PROFILE = "test"
DEBUG = False
GRAPHQL_INTROSPECTION = False
GRAPHIQL = False
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Keys of concurrent runs on one Redis must not collide.
CACHES["default"]["KEY_PREFIX"] = f"yt-test-{os.getpid()}"
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"yt-test-ch-{os.getpid()}"  # type: ignore[index]
# Tasks the suite publishes (on commit, from the services it exercises) travel under a
# key prefix of this run: a `make run` worker on the same Redis never takes them (they
# would fail there, against another database), and the suite's own test worker never
# takes a development worker's tasks. conftest.py deletes the prefix's keys at the end.
TEST_BROKER_KEY_PREFIX = f"yt-test-celery-{os.getpid()}:"
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": TEST_BROKER_KEY_PREFIX}

# A second real database for tenants placed in a dedicated database.
if "dedicated" not in DATABASES:
    _dedicated = database_from_url(
        os.environ.get("TEST_DEDICATED_DATABASE_URL", "postgres://youtility@127.0.0.1:5432/youtility_dedicated")
    )
    _dedicated["TEST"] = dict(_default_db["TEST"])  # type: ignore[call-overload]
    DATABASES["dedicated"] = _dedicated
for _alias in DATABASES:
    DATABASES[_alias]["CONN_MAX_AGE"] = 0
    # One set of test databases per run, so runs in parallel do not drop each other's.
    DATABASES[_alias]["TEST"] = {
        **DATABASES[_alias]["TEST"],  # type: ignore[dict-item]
        "NAME": f"test_{DATABASES[_alias]['NAME']}_{os.getpid()}",
    }

# Schema owner used by the test harness to create test databases and run migrations; the
# tests themselves then reconnect as the runtime role (see conftest.py).
TEST_OWNER_USER = os.environ.get("TEST_OWNER_USER", "youtility")
TEST_APP_USER = os.environ.get("TEST_APP_USER", "youtility_app")
