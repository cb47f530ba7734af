"""The REST API's JSON parser: DRF's, decoding through ``apps.core.cleaning.loads``.

Every JSON body of every endpoint (signing in included) passes here, so a NUL, a lone
surrogate or a body nested thousands of levels deep is refused with its own code before
a serializer, a service or the database sees it.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser

from apps.core import cleaning


class CleanJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = stream.read() if stream is not None else b""
        try:
            return cleaning.loads(data)
        except cleaning.MalformedJSON as exc:
            # The same answer as DRF's own parser gave: ``malformed_json`` with the reason.
            raise ParseError(f"JSON parse error - {exc.details.get('reason', exc.message)}") from exc


class CleanMultiPartParser(MultiPartParser):
    """DRF's multipart parser, refusing form fields (not files) that hold NUL or a lone surrogate."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        for name, values in parsed.data.lists():
            cleaning.check_text(name, **{"in": "form"})
            for value in values:
                cleaning.check_text(value, **{"in": "form", "name": name})
        return parsed
