from typing import Any

from django.apps import AppConfig


def _stop_asset_work(asset: Any) -> None:
    """An asset went out of service: its future unstarted jobs go. ``generation`` is read
    at each call (this module is imported before the models are), so whatever
    ``generation.stop_asset_work`` is at the time runs."""
    from . import generation

    generation.stop_asset_work(asset)


class SchedulingConfig(AppConfig):
    name = "apps.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from apps.assets.services import on_out_of_service

        # Assets sit below scheduling: they announce what happens to an asset, and the
        # planning of work on it is scheduling's to undo.
        on_out_of_service(_stop_asset_work)
