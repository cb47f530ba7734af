from django.urls import path
from rest_framework.renderers import JSONRenderer
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("assets", views.AssetViewSet, basename="asset")
router.register("checkpoints", views.CheckpointViewSet, basename="checkpoint")


def _qr_routes(prefix: str, viewset: type[views.AssetViewSet], basename: str) -> list:
    # ``qr.svg`` and ``qr.png`` read as file names, so they get no trailing slash; errors stay JSON.
    options = {"content_negotiation_class": views.FirstRendererNegotiation, "renderer_classes": [JSONRenderer]}
    return [
        path(
            f"{prefix}/<int:pk>/qr.{kind}",
            viewset.as_view({"get": f"qr_{kind}"}, **options),
            name=f"{basename}-qr-{kind}",
        )
        for kind in ("svg", "png")
    ]


urlpatterns = [
    *_qr_routes("assets", views.AssetViewSet, "asset"),
    *_qr_routes("checkpoints", views.CheckpointViewSet, "checkpoint"),
    *router.urls,
]
