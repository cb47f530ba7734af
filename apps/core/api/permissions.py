"""Capability-based permissions for viewsets: ``required_capability = "people.view"``."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission


class HasCapability(BasePermission):
    message = "You do not have permission to do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        required = getattr(view, "required_capability", None)
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return required is None or user.has_capability(required)
