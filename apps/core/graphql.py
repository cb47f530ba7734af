"""GraphQL helpers shared by every app's schema: auth checks and typed errors with codes."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from apps.core.errors import DomainError


def domain_error(exc: DomainError) -> GraphQLError:
    return GraphQLError(exc.message, extensions={"code": exc.code, "details": exc.details})


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
