"""WSGI entry point: REST, GraphQL, console and admin are served by gunicorn's sync workers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "youtility.settings")
application = get_wsgi_application()
