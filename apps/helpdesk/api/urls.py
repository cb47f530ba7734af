from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("escalation-rules", views.EscalationRuleViewSet, basename="escalation-rule")
router.register("sla-policies", views.SlaPolicyViewSet, basename="sla-policy")

urlpatterns = [*router.urls]
