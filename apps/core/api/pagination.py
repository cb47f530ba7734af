"""Page numbers for every paginated REST answer: the lists and the autocompletes.

A page number becomes an SQL ``OFFSET``; ``?page=9223372036854775807`` overflowed it (a
500). Pages are therefore whole numbers from 1 to ``MAX_PAGE``, read by ``page_number``;
anything else, or a page past the last one, answers 404 ``invalid_page``.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination

from apps.core.errors import DomainError

#: Deeper than anyone pages by hand (a picker's 20 rows a page reach two million rows),
#: and far from any offset PostgreSQL cannot hold.
MAX_PAGE = 100_000
_DIGITS = re.compile(r"^[0-9]{1,9}$")


class InvalidPage(DomainError):
    code = "invalid_page"
    status = 404
    message = "No such page."


def page_number(raw: str | None) -> int:
    """The 1-based page asked for by ``?page=`` (1 when absent); ``invalid_page`` unless a
    whole number from 1 to ``MAX_PAGE``."""
    if raw is None or raw == "":
        return 1
    number = int(raw) if _DIGITS.match(raw) else 0
    if not 1 <= number <= MAX_PAGE:
        raise InvalidPage(
            f"Pages are whole numbers from 1 to {MAX_PAGE}.", details={"page": raw[:20], "max_page": MAX_PAGE}
        )
    return number


class StandardPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 200), with count, next and previous."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw in self.last_page_strings:
            return paginator.num_pages
        return page_number(raw)

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            # DRF's only NotFound here: a page past the last one.
            raise InvalidPage("The page is past the last one.") from exc
