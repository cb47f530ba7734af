from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from apps.core import security as core_security
from apps.core import views as core_views
from apps.core.api.imports import ImportView
from youtility.graphql_view import YoutilityGraphQLView

api_v1: list[URLPattern | URLResolver] = [
    path("", include("apps.people.api.urls")),
    path("", include("apps.tenants.api.urls")),
    path("", include("apps.sites.api.urls")),
    path("", include("apps.assets.api.urls")),
    path("", include("apps.checklists.api.urls")),
    path("", include("apps.noc.api.urls")),
    path("", include("apps.helpdesk.api.urls")),
    path("", include("apps.notifications.api.urls")),
    path("", include("apps.scheduling.api.urls")),
    path("", include("apps.audit.api.urls")),
    path("imports/", ImportView.as_view(), name="imports"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the policy allows no inline script.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="console/swagger_ui.html"),
        name="swagger-ui",
    ),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="console/redoc.html"), name="redoc"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("graphql/", YoutilityGraphQLView.as_view(), name="graphql"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("csp-report", core_security.csp_report, name="csp-report"),
    path("admin/", admin.site.urls),
    path("", include("apps.console.urls")),
]

handler400 = "apps.core.views.handler400"
handler403 = "apps.core.views.handler403"
handler404 = "apps.core.views.handler404"
handler500 = "apps.core.views.handler500"
