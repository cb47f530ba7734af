from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("lookups", views.LookupViewSet, basename="lookup")

urlpatterns = [*router.urls]
