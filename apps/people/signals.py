from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import SESSION_TENANT_KEY


@receiver(user_logged_in, dispatch_uid="people.remember_session_tenant")
def remember_session_tenant(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A session belongs to one tenant; the middleware restores it on every request."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_TENANT_KEY] = user.tenant_id
