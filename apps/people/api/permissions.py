"""A capability for reading and another for writing, declared on the viewset."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS

from apps.core.api.permissions import HasCapability


class ReadWriteCapability(HasCapability):
    """``required_capabilities = {"read": "people.view", "write": "people.manage"}``.

    ``None`` for ``read`` means any authenticated person of the tenant may read.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        required = getattr(view, "required_capabilities", {})
        needed = required.get("read") if request.method in SAFE_METHODS else required.get("write")
        return needed is None or bool(user.has_capability(needed))
