from django.apps import AppConfig


class NocConfig(AppConfig):
    name = "apps.noc"
    label = "noc"
    verbose_name = "Operations centre"
