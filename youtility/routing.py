from django.urls import path

from apps.noc.consumers import NocConsumer

websocket_urlpatterns = [
    path("ws/noc/", NocConsumer.as_asgi()),
]
