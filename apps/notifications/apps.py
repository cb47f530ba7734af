from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications and webhooks"

    def ready(self) -> None:
        # Parse the operator's webhook network settings in every process as it starts
        # (web, worker, beat), so a typo fails there, naming the setting, rather than at
        # the first delivery.
        from . import dispatch, netguard, tasks

        netguard.policy()
        dispatch.register_senders(email=tasks.send_email, webhook=tasks.deliver_webhook)
