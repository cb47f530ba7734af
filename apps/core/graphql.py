"""GraphQL helpers shared by every app's schema: authentication and capability checks.

A ``DomainError`` raised in a resolver needs no handling here: the view renders it with
its code (``extensions.code``) and details, like REST does.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


def require_user(info: Any) -> Any:
    user = getattr(info.context, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        raise GraphQLError("Authentication is required.", extensions={"code": "not_authenticated"})
    return user


def require_capability(info: Any, capability: str) -> Any:
    user = require_user(info)
    if not user.has_capability(capability):
        raise GraphQLError("You do not have permission to do this.", extensions={"code": "permission_denied"})
    return user
