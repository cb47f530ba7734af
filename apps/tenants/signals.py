from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Tenant
from .selectors import forget


@receiver([post_save, post_delete], sender=Tenant, dispatch_uid="tenants.forget_cached")
def forget_cached_tenant(sender: Any, instance: Tenant, **kwargs: Any) -> None:
    forget(instance.pk)
