from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("clients", views.ClientViewSet, basename="client")
router.register("sites", views.SiteViewSet, basename="site")
router.register("site-groups", views.SiteGroupViewSet, basename="site-group")
router.register("shifts", views.ShiftViewSet, basename="shift")
router.register("locations", views.LocationViewSet, basename="location")
router.register("site-assignments", views.SiteAssignmentViewSet, basename="site-assignment")

urlpatterns = [*router.urls]
