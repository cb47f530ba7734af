from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("people", views.PersonViewSet, basename="person")
router.register("teams", views.TeamViewSet, basename="team")

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="auth-token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/token/revoke/", views.TokenRevokeView.as_view(), name="auth-token-revoke"),
    path("auth/ws-ticket/", views.WsTicketView.as_view(), name="auth-ws-ticket"),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
