"""Capability-based permissions for viewsets: one capability for a whole view, or one set for
reading and one for writing."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission


class HasCapability(BasePermission):
    message = "You do not have permission to do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        required = getattr(view, "required_capability", None)
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return required is None or user.has_capability(required)


class ReadWriteCapability(BasePermission):
    """``required_capabilities = {"read": ..., "write": ...}`` on the view.

    Each value is a capability code, a tuple of codes (any one will do) or ``None`` (any
    signed-in person of the tenant). Safe methods read; so do the actions the view names in
    ``read_actions`` (a POST that only checks, such as validating answers).
    """

    message = "You do not have permission to do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        reading = request.method in SAFE_METHODS or getattr(view, "action", None) in getattr(view, "read_actions", ())
        needed = view.required_capabilities["read" if reading else "write"]
        if needed is None:
            return True
        return user.has_any_capability((needed,) if isinstance(needed, str) else needed)
