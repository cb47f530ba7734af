"""Validating one answer against the checklist item it answers.

``validate_answer(item, value, viewer=...)`` is the rule every door reuses (REST, GraphQL, the
mobile upload of later issues): it returns the normalised value and whether the answer
raises an alert, or raises ``AnswerError`` with a stable code.

An answer outside an item's numeric limits is *not* an error: the guard read the meter
correctly and the reading is out of range, which is exactly what must raise the alarm.
An answer that is not of the item's type (a word for a number, a dropdown value that is
not an option) is an error.

Normalised values are JSON-serialisable, so they can be stored in a JSON column and sent
back to clients unchanged:

- numbers (NUMERIC, METER_READING) are decimal strings without exponent or trailing
  zeros, rounded half-even to 6 decimal places (the precision of the limits), e.g.
  ``"12.5"``; a float is read through its shortest ``repr``;
- ratings are ints; checkbox answers are ``true``/``false`` or the chosen option;
- dates are ``"YYYY-MM-DD"``, times ``"HH:MM:SS"`` (site-local, so no UTC offset);
- a multiselect answer lists the chosen options in the item's option order;
- people and site lists are lists of int ids in the order given, duplicates dropped;
  each id must be a person (a site) the answering person may see, so the answer to a
  validation never tells anyone which ids exist beyond their scope;
- GPS answers are GeoJSON Points ``{"type": "Point", "coordinates": [lon, lat]}``;
- signatures and photos are references (ids or uuids) of attachments uploaded
  separately; the attachment store arrives with a later issue, so only the shape of the
  reference is checked here, not that the attachment exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, time
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.core.errors import DomainError
from apps.core.geo import GeometryError, parse_geojson, to_geojson

from .models import AnswerType, ChecklistItem

SINGLE_LINE_MAX = 500
MULTI_LINE_MAX = 5000
EMAIL_MAX = 254
NUMBER_MAX_CHARS = 40
NUMBER_MAX_INTEGER_DIGITS = 12  # the limits are DECIMAL(18, 6)
NUMBER_PLACES = Decimal("0.000001")
LIST_MAX = 500
RATING_DEFAULT_MIN, RATING_DEFAULT_MAX = 1, 5
ATTACHMENT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
# How a boolean checkbox answer is written in ``alert_on`` (and offered when it has no options).
CHECKBOX_TRUE, CHECKBOX_FALSE = "true", "false"

NUMERIC_TYPES = frozenset({AnswerType.NUMERIC, AnswerType.METER_READING, AnswerType.RATING})
CHOICE_TYPES = frozenset({AnswerType.DROPDOWN, AnswerType.MULTISELECT})
ATTACHMENT_TYPES = frozenset({AnswerType.SIGNATURE, AnswerType.FRONT_CAMERA, AnswerType.BACK_CAMERA})


class AnswerError(DomainError):
    """An answer that does not fit its item; ``code`` says how."""

    code = "invalid_answer"
    message = "The answer is not valid."


@dataclass(frozen=True)
class ValidatedAnswer:
    value: Any
    is_alert: bool = False


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list | tuple | dict):
        return len(value) == 0
    return False


def validate_answer(item: ChecklistItem, value: Any, *, viewer: Any) -> ValidatedAnswer:
    """Check ``value`` against ``item`` (its effective limits and options).

    ``viewer`` is the person answering: people and site lists accept only ids they may
    see. None is the system, which may name any person or site of the tenant.

    Returns the normalised value and the alert flag; an empty answer is ``None`` on an
    optional item and ``answer_required`` on a mandatory one. Raises ``AnswerError``.
    """
    if _is_empty(value):
        if item.mandatory:
            raise AnswerError("This item needs an answer.", code="answer_required")
        return ValidatedAnswer(None, False)
    answer_type = item.question.answer_type
    reference = _REFERENCE_VALIDATORS.get(answer_type)
    if reference is not None:
        return reference(value, viewer)
    validator = _VALIDATORS.get(answer_type)
    if validator is None:  # a type added to AnswerType without a rule here
        raise AnswerError(f"Answers of type {answer_type} cannot be checked.", code="unsupported_answer_type")
    return validator(item, value)


# --- text ------------------------------------------------------------------------------


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise AnswerError("The answer must be text.", code="invalid_type")
    text = value.strip()
    if len(text) > limit:
        raise AnswerError(f"The answer is longer than {limit} characters.", code="too_long", details={"max": limit})
    return text


def _single_line(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    text = _text(value, SINGLE_LINE_MAX)
    if "\n" in text or "\r" in text:
        raise AnswerError("A single-line answer cannot contain line breaks.", code="invalid_type")
    return ValidatedAnswer(text)


def _multi_line(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    return ValidatedAnswer(_text(value, MULTI_LINE_MAX))


def _email(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    text = _text(value, EMAIL_MAX)
    try:
        validate_email(text)
    except ValidationError as exc:
        raise AnswerError("The answer is not a valid e-mail address.", code="invalid_email") from exc
    local, _, domain = text.rpartition("@")
    # The domain is case-insensitive; the local part may not be, so it is kept as given.
    return ValidatedAnswer(f"{local}@{domain.lower()}")


# --- numbers ---------------------------------------------------------------------------


def parse_number(value: Any) -> Decimal:
    """A finite ``Decimal`` from an int, float, Decimal or numeric string; ``not_a_number`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise AnswerError("The answer must be a number.", code="not_a_number")
    text = value.strip() if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    if len(text) > NUMBER_MAX_CHARS:
        raise AnswerError("The answer must be a number.", code="not_a_number")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise AnswerError("The answer must be a number.", code="not_a_number") from exc
    if not number.is_finite():
        raise AnswerError("The answer must be a finite number.", code="not_a_number")
    if number != 0 and number.adjusted() >= NUMBER_MAX_INTEGER_DIGITS:
        raise AnswerError(
            f"The answer has more than {NUMBER_MAX_INTEGER_DIGITS} integer digits.", code="number_too_large"
        )
    return number


def format_number(number: Decimal) -> str:
    """The canonical text of a number: 6 places at most, no exponent, no trailing zeros."""
    rounded = number.quantize(NUMBER_PLACES, rounding=ROUND_HALF_EVEN)
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def _numeric(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    number = Decimal(format_number(parse_number(value)))
    low, high = item.effective_min, item.effective_max
    is_alert = (low is not None and number < low) or (high is not None and number > high)
    return ValidatedAnswer(format_number(number), bool(is_alert))


def _rating(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    number = parse_number(value)
    if number != number.to_integral_value():
        raise AnswerError("A rating is a whole number.", code="not_an_integer")
    low = int(item.effective_min) if item.effective_min is not None else RATING_DEFAULT_MIN
    high = int(item.effective_max) if item.effective_max is not None else RATING_DEFAULT_MAX
    rating = int(number)
    if not low <= rating <= high:
        raise AnswerError(
            f"A rating is between {low} and {high}.", code="out_of_range", details={"min": low, "max": high}
        )
    return ValidatedAnswer(rating)


# --- choices ---------------------------------------------------------------------------


def checkbox_choices(options: Iterable[str]) -> list[str]:
    """What a checkbox answer may be: its options, or ``true``/``false`` when it has none."""
    options = list(options)
    return options or [CHECKBOX_TRUE, CHECKBOX_FALSE]


def _checkbox(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    options = item.effective_options
    alert_on = item.effective_alert_on
    if isinstance(value, str) and not options and value.strip().lower() in {CHECKBOX_TRUE, CHECKBOX_FALSE}:
        value = value.strip().lower() == CHECKBOX_TRUE
    if isinstance(value, bool):
        word = CHECKBOX_TRUE if value else CHECKBOX_FALSE
        return ValidatedAnswer(value, word in {a.lower() for a in alert_on})
    if isinstance(value, str) and value in options:
        return ValidatedAnswer(value, value in alert_on)
    raise AnswerError(
        "A checkbox answer is true, false or one of its options.",
        code="not_an_option",
        details={"options": checkbox_choices(options)},
    )


def _dropdown(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    options = item.effective_options
    if not isinstance(value, str) or value not in options:
        raise AnswerError("The answer is not one of the options.", code="not_an_option", details={"options": options})
    return ValidatedAnswer(value, value in item.effective_alert_on)


def _multiselect(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    options = item.effective_options
    if not isinstance(value, list | tuple):
        raise AnswerError("A multiselect answer is a list of options.", code="invalid_type")
    chosen: set[str] = set()
    for choice in value:
        if not isinstance(choice, str) or choice not in options:
            raise AnswerError(
                f"{choice!r} is not one of the options.", code="not_an_option", details={"options": options}
            )
        if choice in chosen:
            raise AnswerError(f"{choice!r} is chosen twice.", code="duplicate_option")
        chosen.add(choice)
    ordered = [option for option in options if option in chosen]
    return ValidatedAnswer(ordered, bool(chosen & set(item.effective_alert_on)))


# --- dates and times -------------------------------------------------------------------


def _date(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return ValidatedAnswer(value.isoformat())
    if not isinstance(value, str):
        raise AnswerError("A date is written YYYY-MM-DD.", code="invalid_date")
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError as exc:
        raise AnswerError("A date is written YYYY-MM-DD.", code="invalid_date") from exc
    return ValidatedAnswer(parsed.isoformat())


def _time(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    if isinstance(value, time):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = time.fromisoformat(value.strip())
        except ValueError as exc:
            raise AnswerError("A time is written HH:MM or HH:MM:SS.", code="invalid_time") from exc
    else:
        raise AnswerError("A time is written HH:MM or HH:MM:SS.", code="invalid_time")
    if parsed.tzinfo is not None:
        raise AnswerError("A time answer is the site's local time, without an offset.", code="invalid_time")
    return ValidatedAnswer(parsed.replace(microsecond=0).isoformat())


# --- references ------------------------------------------------------------------------


def _attachment(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    if not isinstance(value, str) or not ATTACHMENT_REF.match(value.strip()):
        raise AnswerError("The answer is the id of an uploaded attachment.", code="invalid_attachment_reference")
    return ValidatedAnswer(value.strip())


def _ids(value: Any) -> list[int]:
    if not isinstance(value, list | tuple):
        raise AnswerError("The answer is a list of ids.", code="invalid_type")
    if len(value) > LIST_MAX:
        raise AnswerError(f"At most {LIST_MAX} ids.", code="too_many", details={"max": LIST_MAX})
    ids: list[int] = []
    for raw in value:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise AnswerError("Ids are whole numbers.", code="invalid_id")
        try:
            number = int(raw)
        except ValueError as exc:
            raise AnswerError("Ids are whole numbers.", code="invalid_id") from exc
        if number <= 0:
            raise AnswerError("Ids are whole numbers.", code="invalid_id")
        if number not in ids:
            ids.append(number)
    return ids


def _people_list(value: Any, viewer: Any) -> ValidatedAnswer:
    from apps.people.models import Person
    from apps.people.selectors import people_for

    ids = _ids(value)
    # Bound to the tenant in context, then to the viewer's scope: an id of another tenant,
    # of nobody, or of someone the viewer may not see gets one and the same answer.
    people = Person.objects.all() if viewer is None else people_for(viewer)
    known = set(people.filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [pk for pk in ids if pk not in known]
    if unknown:
        raise AnswerError(
            "Some people are unknown or not among the people you may see.",
            code="unknown_people",
            details={"ids": unknown},
        )
    return ValidatedAnswer(ids)


def _site_list(value: Any, viewer: Any) -> ValidatedAnswer:
    from apps.sites.models import Site
    from apps.sites.selectors import sites_for

    ids = _ids(value)
    sites = Site.objects.all() if viewer is None else sites_for(viewer)
    known = set(sites.filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [pk for pk in ids if pk not in known]
    if unknown:
        raise AnswerError(
            "Some sites are unknown or not among your sites.", code="unknown_sites", details={"ids": unknown}
        )
    return ValidatedAnswer(ids)


def _gps(item: ChecklistItem, value: Any) -> ValidatedAnswer:
    if isinstance(value, list | tuple):
        value = {"type": "Point", "coordinates": list(value)}
    try:
        point = parse_geojson(value, "Point")
    except GeometryError as exc:
        raise AnswerError(exc.message, code=exc.code, details=exc.details) from exc
    return ValidatedAnswer(to_geojson(point))


_VALIDATORS: dict[str, Callable[[ChecklistItem, Any], ValidatedAnswer]] = {
    AnswerType.SINGLE_LINE: _single_line,
    AnswerType.MULTI_LINE: _multi_line,
    AnswerType.EMAIL: _email,
    AnswerType.NUMERIC: _numeric,
    AnswerType.METER_READING: _numeric,
    AnswerType.RATING: _rating,
    AnswerType.CHECKBOX: _checkbox,
    AnswerType.DROPDOWN: _dropdown,
    AnswerType.MULTISELECT: _multiselect,
    AnswerType.DATE: _date,
    AnswerType.TIME: _time,
    AnswerType.SIGNATURE: _attachment,
    AnswerType.FRONT_CAMERA: _attachment,
    AnswerType.BACK_CAMERA: _attachment,
    AnswerType.GPS: _gps,
}
#: Answers that name rows: checked against what the answering person may see.
_REFERENCE_VALIDATORS: dict[str, Callable[[Any, Any], ValidatedAnswer]] = {
    AnswerType.PEOPLE_LIST: _people_list,
    AnswerType.SITE_LIST: _site_list,
}


@dataclass(frozen=True)
class AnswerSheet:
    """The outcome of checking a whole set of answers against one checklist version."""

    results: dict[str, ValidatedAnswer]
    errors: dict[str, AnswerError]

    @property
    def valid(self) -> bool:
        return not self.errors


def validate_answers(items: Iterable[ChecklistItem], answers: dict[str, Any], *, viewer: Any) -> AnswerSheet:
    """Check ``{"<item id>": value}`` against ``items`` as ``viewer`` answers them (see
    ``validate_answer``); a missing answer counts as empty.

    An id that is not one of ``items`` is reported as ``unknown_item``, so an answer meant
    for another version (or another checklist) is never silently dropped.
    """
    results: dict[str, ValidatedAnswer] = {}
    errors: dict[str, AnswerError] = {}
    known: set[str] = set()
    for item in items:
        key = str(item.pk)
        known.add(key)
        try:
            results[key] = validate_answer(item, answers.get(key), viewer=viewer)
        except AnswerError as exc:
            errors[key] = exc
    for key in answers:
        if str(key) not in known:
            errors[str(key)] = AnswerError("No such item in this checklist version.", code="unknown_item")
    return AnswerSheet(results, errors)
