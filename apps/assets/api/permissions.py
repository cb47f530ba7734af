"""Read and write capabilities on one viewset: ``required_capabilities = {"read": ..., "write": ...}``."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS

from apps.core.api.permissions import HasCapability


class ReadWriteCapability(HasCapability):
    """Safe methods need the ``read`` capability, everything else the ``write`` one."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        required = view.required_capabilities["read" if request.method in SAFE_METHODS else "write"]
        return bool(user.has_capability(required))
