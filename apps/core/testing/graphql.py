"""Posting GraphQL requests through the real endpoint in tests."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

GRAPHQL_PATH = "/graphql/"


def post_graphql(
    client: Client,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    scheme: str = "Bearer",
    **headers: Any,
) -> Any:
    """POST ``{"query", "variables"}`` as JSON; ``token`` goes in ``Authorization: <scheme> <token>``.

    Returns the test client's response (with ``.json()``).
    """
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"{scheme} {token}"
    return client.post(GRAPHQL_PATH, json.dumps(body), content_type="application/json", **headers)
