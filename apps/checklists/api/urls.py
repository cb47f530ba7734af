from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("questions", views.QuestionViewSet, basename="question")
router.register("checklists", views.ChecklistViewSet, basename="checklist")

urlpatterns = [*router.urls]
