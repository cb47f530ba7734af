from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("schedules", views.ScheduleViewSet, basename="schedule")
router.register("jobs", views.JobViewSet, basename="job")

urlpatterns = [*router.urls]
