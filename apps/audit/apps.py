from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Change log"

    def ready(self) -> None:
        from . import admin_history, capture

        capture.connect_receivers()
        admin_history.install()
