"""WSGI entry point: REST, GraphQL, console and admin are served by gunicorn's sync workers."""

import os

from django.core.wsgi import get_wsgi_application

from apps.core.dbbackend import set_process_kind

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "youtility.settings")
set_process_kind("web")  # requests get the web statement timeout (DB_STATEMENT_TIMEOUT_MS)
application = get_wsgi_application()
