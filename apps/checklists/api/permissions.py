"""Who may read and who may change questions and checklists."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

# Reading needs what reading sites needs; changing them is master-data or planning work.
READ_CAPABILITIES = ("sites.view",)
WRITE_CAPABILITIES = ("sites.manage", "schedules.manage")


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
