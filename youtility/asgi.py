"""ASGI entry point: serves only WebSockets (``/ws/``); HTTP goes to the WSGI server.

Measured on a 2-core machine, Django's HTTP under an ASGI server costs about 2.5 times
the CPU per request of gunicorn's sync workers (see the README), so the reverse proxy
sends only ``/ws/`` here.
Plain HTTP arriving anyway still works (Django's ASGI handler), just slower.
"""

import os

from django.core.asgi import get_asgi_application

from apps.core.dbbackend import set_process_kind

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "youtility.settings")
set_process_kind("web")  # sockets get the web statement timeout (DB_STATEMENT_TIMEOUT_MS)
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.core.realtime import OriginCheckMiddleware  # noqa: E402
from youtility.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginCheckMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
