"""Who may read and write the sites API."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission


class SitesPermission(BasePermission):
    """Reads need one of ``read_capabilities``, writes ``write_capability``.

    Client viewers (``client.portal``) read too: the sites API is their portal's view of
    their own sites, and ``sites_for`` already narrows it to their client. A viewset may
    widen the read capabilities of one action with ``read_capabilities_by_action``.
    """

    message = "You do not have permission to do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if request.method in SAFE_METHODS:
            by_action = getattr(view, "read_capabilities_by_action", {})
            allowed = by_action.get(getattr(view, "action", None), view.read_capabilities)
            return user.has_any_capability(allowed)
        return bool(user.has_capability(view.write_capability))
