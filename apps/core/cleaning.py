"""The one place untrusted text and JSON are decoded and cleaned, before any door acts on them.

PostgreSQL cannot store two things Python strings happily carry: NUL (U+0000), refused in
``text`` and ``jsonb``, and lone UTF-16 surrogates (U+D800-U+DFFF), which Python's ``json``
decodes from escapes such as ``"\\ud800"`` and which no UTF-8 column can hold. Either one,
anywhere in a value or an object key, used to reach the database and end in a 500. Python's
``json`` also recurses once per nesting level, so a body of a few thousand brackets exhausted
the interpreter's stack.

So every door decodes JSON with ``loads`` here (the REST parser, the GraphQL body and
variables, WebSocket frames, GeoJSON text in imports and forms), which:

- measures the nesting depth on the raw text before parsing (a scan outside string
  literals), refusing more than ``MAX_JSON_DEPTH`` levels with ``too_deeply_nested``;
- refuses NUL and lone surrogates in any string or key with ``invalid_characters``, saying
  where (the JSON path of the first one);
- refuses ``NaN``/``Infinity`` (not JSON) and numbers too large for a float
  (``value_out_of_range``), which ``jsonb`` and numeric columns reject.

Query strings, form fields and URL paths are checked by ``check_text`` (through
``apps.core.middleware.CleanInputMiddleware``), GraphQL string literals by
``apps.core.graphql_limits.CleanStringLiterals``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from apps.core.bounds import ValueOutOfRange
from apps.core.errors import SPECIFIC_FIELD_CODES, DomainError

#: Far above any legitimate body (the deepest, a checklist, nests about 6 levels), far
#: below what Python's recursive decoder and the code after it can handle.
MAX_JSON_DEPTH = 64

_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# A string literal (skipped whole, escapes included) or one bracket, in raw JSON text.
_DEPTH_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
# Only a body with an escape can decode to a NUL or a surrogate (raw control characters
# are not JSON and raw surrogates are not UTF-8), so the decoded tree is walked only then.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class InvalidCharacters(DomainError):
    code = "invalid_characters"
    message = "The request contains a character that cannot be stored (NUL or an unpaired surrogate)."


class TooDeeplyNested(DomainError):
    code = "too_deeply_nested"
    message = f"The JSON nests deeper than {MAX_JSON_DEPTH} levels."


class MalformedJSON(DomainError):
    """Not JSON at all; each door words this its own way (``malformed_json``, ``invalid_json``)."""

    code = "malformed_json"
    message = "The request body is not valid JSON."


# A serializer field that raises one of these codes names the whole response (see
# apps.core.api.errors): the client switches on it, the field messages stay in details.
SPECIFIC_FIELD_CODES.update({InvalidCharacters.code, TooDeeplyNested.code})


def character_name(character: str) -> str:
    return f"U+{ord(character):04X}"


def bad_character(text: str) -> str | None:
    """The first character of ``text`` that PostgreSQL cannot store, if any."""
    found = _BAD_CHARACTER.search(text)
    return found.group() if found is not None else None


def check_text(text: str, **where: Any) -> None:
    """Refuse ``text`` if it holds NUL or a lone surrogate; ``where`` goes into the details
    (``in="query", name="q"``) so the client learns which input to fix."""
    character = bad_character(text)
    if character is not None:
        raise InvalidCharacters(details={**where, "character": character_name(character)})


def json_path(parent: str, key: str | int) -> str:
    """``$.a.b[2]``; keys that are not plain identifiers in brackets, JSON-quoted (so a key
    holding the offending character is named in ASCII, never echoed raw)."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{parent}.{key}"
    return f"{parent}[{json.dumps(key)}]"


def find_bad_text(value: Any, path: str = "$") -> tuple[str, str] | None:
    """(JSON path, character) of the first string or key under ``value`` holding NUL or a
    lone surrogate, or None. Iterative, so a deep tree cannot exhaust the stack."""
    pending: list[tuple[Any, str]] = [(value, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            character = bad_character(item)
            if character is not None:
                return where, character
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                key_text = str(key)
                character = bad_character(key_text)
                if character is not None:
                    return json_path(where, key_text), character
                children.append((child, json_path(where, key_text)))
            pending.extend(reversed(children))
        elif isinstance(item, list | tuple):
            pending.extend(reversed([(child, json_path(where, index)) for index, child in enumerate(item)]))
    return None


def check_value(value: Any, path: str = "$") -> None:
    """Refuse a decoded value (a GraphQL variable, a parsed cell) holding bad characters."""
    found = find_bad_text(value, path)
    if found is not None:
        raise InvalidCharacters(details={"path": found[0], "character": character_name(found[1])})


def check_depth(data: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON text nesting deeper than ``max_depth``, without parsing it.

    Brackets inside string literals do not count. A body with fewer brackets than the
    limit cannot exceed it, so the usual small body costs two ``count`` calls.
    """
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return
    depth = 0
    for token in _DEPTH_TOKENS.finditer(data):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise too_deep(max_depth)
        elif bracket in (b"]", b"}"):
            depth -= 1


def too_deep(max_depth: int) -> TooDeeplyNested:
    return TooDeeplyNested(f"The JSON nests deeper than {max_depth} levels.", details={"max_depth": max_depth})


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueOutOfRange(f"The number {text[:40]} is too large.", details={"value": text[:40]})
    return number


def loads(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode untrusted JSON text, refusing what no door may pass on (see the module docstring).

    Raises ``MalformedJSON`` (not JSON, or not UTF-8), ``TooDeeplyNested``,
    ``InvalidCharacters`` or ``ValueOutOfRange``, all ``DomainError``s with their code.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    check_depth(raw, max_depth)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedJSON("The JSON is not UTF-8.", details={"reason": "not UTF-8"}) from exc
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError as exc:  # pragma: no cover - check_depth stops this long before
        raise too_deep(max_depth) from exc
    except ValueError as exc:
        raise MalformedJSON(details={"reason": str(exc)}) from exc
    if _SUSPECT_ESCAPE.search(text):
        check_value(value)
    return value
