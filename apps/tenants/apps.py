from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"

    def ready(self) -> None:
        from apps.core import tenancy

        from . import selectors, signals  # noqa: F401

        # The core's plumbing (the Celery hook) receives bare tenant ids and knows no model.
        tenancy.register_active_lookup(selectors.active_context)
