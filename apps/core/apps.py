from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401
        from .api import schema  # noqa: F401  (registers OpenAPI extensions)
        from .rls import install_row_level_security

        post_migrate.connect(install_row_level_security, sender=self, dispatch_uid="core.install_rls")
