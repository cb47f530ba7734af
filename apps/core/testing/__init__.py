"""Test support shared by every app: tenant-isolation factories and GraphQL helpers.

Imported only by tests; nothing in the running application depends on it.
"""

from .graphql import post_graphql
from .isolation import isolation_exempt, isolation_factory, isolation_graphql_args

__all__ = ["isolation_exempt", "isolation_factory", "isolation_graphql_args", "post_graphql"]
