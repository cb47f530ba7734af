from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Change log"

    def ready(self) -> None:
        from apps.tenants.models import register_settings_check

        from . import admin_history, capture, retention

        capture.connect_receivers()
        admin_history.install()
        # The "audit" section of a tenant's settings is this app's to check.
        register_settings_check("audit", retention.settings_problems)
