"""Who may read and act on the NOC API."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission


class CapabilityPermission(BasePermission):
    """Safe methods need one of the view's ``read_capabilities``, anything else one of its
    ``write_capabilities``."""

    message = "You do not have permission to do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        wanted = view.read_capabilities if request.method in SAFE_METHODS else view.write_capabilities
        return any(user.has_capability(code) for code in wanted)
