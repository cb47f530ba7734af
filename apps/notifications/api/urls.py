from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register("notification-logs", views.NotificationLogViewSet, basename="notification-log")

urlpatterns = [
    path(
        "me/notification-preferences/",
        views.NotificationPreferencesView.as_view(),
        name="me-notification-preferences",
    ),
    *router.urls,
]
