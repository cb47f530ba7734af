from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("changelog", views.ChangeLogViewSet, basename="changelog")

urlpatterns = [*router.urls]
