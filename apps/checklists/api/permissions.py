"""Who may read and who may change questions and checklists (the codes live in ``capabilities``)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from apps.checklists.capabilities import READ_CAPABILITIES, WRITE_CAPABILITIES


class ChecklistPermission(BasePermission):
    """Safe methods and the viewset's ``read_actions`` need one read capability; others a write one."""

    message = "You do not have permission to do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        reading = request.method in SAFE_METHODS or getattr(view, "action", None) in getattr(view, "read_actions", ())
        needed = READ_CAPABILITIES if reading else WRITE_CAPABILITIES
        return any(user.has_capability(code) for code in needed)
