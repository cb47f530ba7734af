"""Writing questions and publishing checklists.

Publishing is the only way a checklist's items change: it creates a new
``ChecklistVersion`` with its own sections and items and points ``current_version`` at
it. Earlier versions are never touched, because planned and finished work refers to the
version it used.

Each published item records the limits, options and alert values in force when it was
published (its override, else the question's), so editing a question later cannot
change how an old version validates its answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from apps.audit import services as changelog
from apps.core import tenancy
from apps.core.cache import bump_on_commit
from apps.core.errors import DomainError
from apps.core.validators import code_validator

from .models import (
    AnswerType,
    AttachmentRule,
    Checklist,
    ChecklistItem,
    ChecklistSection,
    ChecklistVersion,
    Question,
)
from .validation import CHOICE_TYPES, NUMERIC_TYPES, checkbox_choices

CACHE_NAMESPACE = "checklists"
MAX_SECTIONS = 50
MAX_ITEMS = 500
_UNSET: Any = object()


class ChecklistError(DomainError):
    """A question or checklist that breaks a rule; ``details["field"]`` names where."""

    code = "invalid_checklist"
    message = "The checklist is not valid."


def _fail(code: str, message: str, field: str, **details: Any) -> ChecklistError:
    return ChecklistError(message, code=code, details={"field": field, **details})


def _atomic() -> Any:
    return transaction.atomic(using=tenancy.db_alias())


# --- questions -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionRules:
    """The checked, normalised answer rules of a question (or of an item's overrides)."""

    options: list[str]
    min_value: Decimal | None
    max_value: Decimal | None
    alert_on: list[str]


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _fail("invalid_number", "Limits are numbers.", field)
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise _fail("invalid_number", "Limits are numbers.", field) from exc
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise _fail("invalid_number", "Limits are finite numbers below 10^12.", field)
    return number


def _strings(values: Any, field: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise _fail("invalid_options", "A list of strings is expected.", field)
    result: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise _fail("invalid_options", "Each value is non-empty text of at most 200 characters.", field)
        if value in result:
            raise _fail("duplicate_option", f"{value!r} appears twice.", field, value=value)
        result.append(value)
    return result


def check_rules(
    answer_type: str, options: Any, min_value: Any, max_value: Any, alert_on: Any, *, prefix: str = ""
) -> QuestionRules:
    """Check options, limits and alert values against the answer type; raise ``ChecklistError``."""
    opts = _strings(options, f"{prefix}options")
    alerts = _strings(alert_on, f"{prefix}alert_on")
    low, high = _decimal(min_value, f"{prefix}min_value"), _decimal(max_value, f"{prefix}max_value")
    if answer_type in CHOICE_TYPES and not opts:
        raise _fail("options_required", "Dropdown and multiselect questions need options.", f"{prefix}options")
    if opts and answer_type not in CHOICE_TYPES | {AnswerType.CHECKBOX}:
        raise _fail("options_not_allowed", f"{answer_type} questions take no options.", f"{prefix}options")
    if (low is not None or high is not None) and answer_type not in NUMERIC_TYPES:
        raise _fail("limits_not_allowed", f"{answer_type} questions take no limits.", f"{prefix}min_value")
    if answer_type == AnswerType.RATING and any(v is not None and v != v.to_integral_value() for v in (low, high)):
        raise _fail("invalid_number", "Rating limits are whole numbers.", f"{prefix}min_value")
    if low is not None and high is not None and low > high:
        raise _fail("min_above_max", "The minimum is above the maximum.", f"{prefix}min_value")
    if alerts:
        if answer_type in CHOICE_TYPES:
            allowed = opts
        elif answer_type == AnswerType.CHECKBOX:
            allowed = checkbox_choices(opts)
        else:
            raise _fail(
                "alert_on_not_allowed",
                "Only choice questions take alert values; numeric ones alert outside their limits.",
                f"{prefix}alert_on",
            )
        stray = [value for value in alerts if value not in allowed]
        if stray:
            raise _fail(
                "alert_on_not_an_option",
                "Alert values must be among the options.",
                f"{prefix}alert_on",
                values=stray,
                options=allowed,
            )
    return QuestionRules(opts, low, high, alerts)


def _check_question_fields(code: str, text: str, answer_type: str, attachment: str) -> None:
    try:
        code_validator(code)
    except ValidationError as exc:
        raise _fail("invalid_code", str(exc.messages[0]), "code") from exc
    if not isinstance(text, str) or not text.strip():
        raise _fail("text_required", "A question needs its text.", "text")
    if len(text) > 500:
        raise _fail("too_long", "A question's text has at most 500 characters.", "text")
    if answer_type not in AnswerType.values:
        raise _fail("invalid_answer_type", f"Unknown answer type {answer_type!r}.", "answer_type")
    if attachment not in AttachmentRule.values:
        raise _fail("invalid_attachment_rule", f"Unknown attachment rule {attachment!r}.", "attachment")


def _save_question(question: Question) -> Question:
    try:
        with _atomic():
            question.save()
    except IntegrityError as exc:  # a concurrent create with the same code
        raise _fail("duplicate_code", f"A question with code {question.code!r} exists.", "code") from exc
    bump_on_commit(CACHE_NAMESPACE)
    return question


def create_question(
    *,
    code: str,
    text: str,
    answer_type: str,
    options: Sequence[str] | None = None,
    min_value: Any = None,
    max_value: Any = None,
    alert_on: Sequence[str] | None = None,
    attachment: str = AttachmentRule.NONE,
    is_active: bool = True,
) -> Question:
    """Create a question of the tenant in context (``is_active=False``: not offered to new
    checklists from the start). Raises ``ChecklistError``."""
    _check_question_fields(code, text, answer_type, attachment)
    rules = check_rules(answer_type, options, min_value, max_value, alert_on)
    if Question.objects.filter(code=code).exists():
        raise _fail("duplicate_code", f"A question with code {code!r} exists.", "code")
    question = Question(
        code=code,
        text=text.strip(),
        answer_type=answer_type,
        options=rules.options,
        min_value=rules.min_value,
        max_value=rules.max_value,
        alert_on=rules.alert_on,
        attachment=attachment,
        is_active=is_active,
    )
    return _save_question(question)


def question_in_use(question: Question) -> bool:
    return ChecklistItem.objects.filter(question=question).exists()


def update_question(question: Question, **fields: Any) -> Question:
    """Change some fields of a question; the rest keep their values.

    Published versions are unaffected (their items hold their own limits and options).
    The answer type of a question that is in use cannot change: answers already given
    to it would no longer fit.
    """
    allowed = {
        "code",
        "text",
        "answer_type",
        "options",
        "min_value",
        "max_value",
        "alert_on",
        "attachment",
        "is_active",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise _fail("unknown_field", f"Unknown fields: {sorted(unknown)}.", sorted(unknown)[0])
    merged = {name: fields.get(name, getattr(question, name)) for name in allowed}
    _check_question_fields(merged["code"], merged["text"], merged["answer_type"], merged["attachment"])
    rules = check_rules(
        merged["answer_type"], merged["options"], merged["min_value"], merged["max_value"], merged["alert_on"]
    )
    if merged["answer_type"] != question.answer_type and question_in_use(question):
        raise _fail(
            "question_in_use", "The answer type of a question used by a checklist cannot change.", "answer_type"
        )
    if merged["code"] != question.code and Question.objects.filter(code=merged["code"]).exists():
        raise _fail("duplicate_code", f"A question with code {merged['code']!r} exists.", "code")
    question.code = merged["code"]
    question.text = merged["text"].strip()
    question.answer_type = merged["answer_type"]
    question.attachment = merged["attachment"]
    question.is_active = bool(merged["is_active"])
    question.options, question.alert_on = rules.options, rules.alert_on
    question.min_value, question.max_value = rules.min_value, rules.max_value
    return _save_question(question)


def deactivate_question(question: Question) -> Question:
    """Retire a question: new checklist versions cannot use it; published ones keep it."""
    question.is_active = False
    return _save_question(question)


# --- checklists ------------------------------------------------------------------------


@dataclass
class PlannedItem:
    """One item of a checklist about to be published, with its effective rules."""

    question: Question
    mandatory: bool
    rules: QuestionRules


def _override(spec: Mapping[str, Any], name: str) -> Any:
    """An item's override, or ``_UNSET`` when it inherits (absent or null)."""
    value = spec.get(name)
    return _UNSET if value is None else value


def plan_item(spec: Any, questions: dict[int, Question], path: str) -> PlannedItem:
    """Check one item spec (``question_id``, ``mandatory`` and overrides) against its question.

    Raises ``ChecklistError`` naming ``path`` (e.g. ``sections[0].items[2].options``).
    Importers call it per row, so a file is held to the same rules as publishing.
    """
    if not isinstance(spec, Mapping):
        raise _fail("invalid_item", "An item is an object with a question_id.", path)
    raw_id = spec.get("question_id")
    try:
        question_id = int(raw_id if raw_id is not None else "")
    except (TypeError, ValueError) as exc:
        raise _fail("unknown_question", "The item names no question.", f"{path}.question_id") from exc
    question = questions.get(question_id)
    if question is None:
        raise _fail("unknown_question", f"Question {raw_id} does not exist.", f"{path}.question_id", question_id=raw_id)
    if not question.is_active:
        raise _fail(
            "inactive_question",
            f"Question {question.code} is deactivated.",
            f"{path}.question_id",
            question_id=question.pk,
        )
    mandatory = spec.get("mandatory", True)
    if not isinstance(mandatory, bool):
        raise _fail("invalid_item", "mandatory is true or false.", f"{path}.mandatory")
    answer_type = question.answer_type
    options, min_value = _override(spec, "options"), _override(spec, "min_value")
    max_value, alert_on = _override(spec, "max_value"), _override(spec, "alert_on")
    if options is not _UNSET:
        if answer_type not in CHOICE_TYPES:
            raise _fail("options_not_allowed", f"{answer_type} items take no options.", f"{path}.options")
        narrowed = _strings(options, f"{path}.options")
        stray = [value for value in narrowed if value not in question.options]
        if stray:
            raise _fail(
                "option_not_in_question",
                "An item's options are a subset of its question's.",
                f"{path}.options",
                values=stray,
            )
    if alert_on is _UNSET:
        alert_on = list(question.alert_on)
        if options is not _UNSET:
            # Inherited alert values that the narrowed options dropped no longer apply.
            alert_on = [value for value in alert_on if value in options]
    # The item's effective rules, checked as a whole: overrides on top of the question's.
    rules = check_rules(
        answer_type,
        question.options if options is _UNSET else options,
        question.min_value if min_value is _UNSET else min_value,
        question.max_value if max_value is _UNSET else max_value,
        alert_on,
        prefix=f"{path}.",
    )
    return PlannedItem(question, mandatory, rules)


def plan_sections(sections: Any) -> list[tuple[str, list[PlannedItem]]]:
    """Check a whole checklist body: sections, items, limits; questions of the tenant in context."""
    if not isinstance(sections, Sequence) or isinstance(sections, str) or not sections:
        raise _fail("empty_checklist", "A checklist needs at least one section with items.", "sections")
    if len(sections) > MAX_SECTIONS:
        raise _fail("too_many_sections", f"At most {MAX_SECTIONS} sections.", "sections")
    ids: set[int] = set()
    for section in sections:
        for item in (section.get("items") or []) if isinstance(section, Mapping) else []:
            if isinstance(item, Mapping):
                try:
                    ids.add(int(item.get("question_id")))  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    pass
    # Bound to the tenant in context: another tenant's question id is simply unknown.
    questions = {q.pk: q for q in Question.objects.filter(pk__in=ids)}
    plan: list[tuple[str, list[PlannedItem]]] = []
    total = 0
    for s_index, section in enumerate(sections):
        path = f"sections[{s_index}]"
        if not isinstance(section, Mapping):
            raise _fail("invalid_section", "A section is an object with a title and items.", path)
        title = section.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 200:
            raise _fail("title_required", "A section needs a title of at most 200 characters.", f"{path}.title")
        items = section.get("items") or []
        if not isinstance(items, Sequence) or isinstance(items, str):
            raise _fail("invalid_section", "A section's items are a list.", f"{path}.items")
        planned = [plan_item(spec, questions, f"{path}.items[{i}]") for i, spec in enumerate(items)]
        if not planned:
            raise _fail("empty_section", "A section needs at least one item.", f"{path}.items")
        total += len(planned)
        plan.append((title.strip(), planned))
    if total > MAX_ITEMS:
        raise _fail("too_many_items", f"At most {MAX_ITEMS} items.", "sections")
    return plan


def _check_checklist_fields(name: Any, kind: Any) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise _fail("name_required", "A checklist needs a name of at most 200 characters.", "name")
    if kind not in Checklist.Kind.values:
        raise _fail("invalid_kind", f"Unknown checklist kind {kind!r}.", "kind")


def publish_checklist(
    checklist: Checklist | None,
    *,
    name: str,
    kind: str,
    sections: Sequence[Mapping[str, Any]],
    code: str | None = None,
    published_by: Any = None,
) -> ChecklistVersion:
    """Publish a new version of ``checklist`` (or create the checklist when ``None``).

    ``sections`` is ``[{"title", "items": [{"question_id", "mandatory", "min_value",
    "max_value", "options", "alert_on"}]}]``; a missing or null override inherits the
    question's. Everything is checked before anything is written; the new version,
    its sections and items and the move of ``current_version`` happen in one
    transaction. Returns the new version. Raises ``ChecklistError``.
    """
    _check_checklist_fields(name, kind)
    if checklist is None:
        try:
            code_validator(code or "")
        except ValidationError as exc:
            raise _fail("invalid_code", str(exc.messages[0]), "code") from exc
        if Checklist.objects.filter(code=code).exists():
            raise _fail("duplicate_code", f"A checklist with code {code!r} exists.", "code")
    elif not checklist.is_active:
        raise _fail("checklist_inactive", "A deactivated checklist cannot be published.", "checklist")
    plan = plan_sections(sections)
    try:
        with _atomic():
            if checklist is None:
                checklist = Checklist(code=code or "", name=name.strip(), kind=kind)
                checklist.save()
            else:
                # The row lock makes concurrent publishes of one checklist take turns.
                checklist = Checklist.objects.select_for_update().get(pk=checklist.pk)
                checklist.name, checklist.kind = name.strip(), kind
            last = checklist.versions.aggregate(last=Max("number"))["last"] or 0
            version = ChecklistVersion.objects.create(checklist=checklist, number=last + 1, published_by=published_by)
            position = 0
            for s_position, (title, planned) in enumerate(plan):
                section = ChecklistSection.objects.create(checklist_version=version, title=title, position=s_position)
                rows = []
                for item in planned:
                    rows.append(
                        ChecklistItem(
                            checklist_version=version,
                            section=section,
                            question=item.question,
                            position=position,
                            mandatory=item.mandatory,
                            options=item.rules.options,
                            min_value=item.rules.min_value,
                            max_value=item.rules.max_value,
                            alert_on=item.rules.alert_on,
                        )
                    )
                    position += 1
                created = ChecklistItem.objects.bulk_create(rows)
                changelog.record_bulk(
                    ChecklistItem,
                    changelog.Action.BULK_CREATE,
                    count=len(created),
                    ids=[item.pk for item in created],
                    related=version,
                    summary=f"{len(created)} items of section “{title}”",
                )
            checklist.current_version = version
            checklist.save()
    except IntegrityError as exc:  # a concurrent create with the same code
        raise _fail("duplicate_code", f"A checklist with code {code!r} exists.", "code") from exc
    bump_on_commit(CACHE_NAMESPACE)
    return version


def update_checklist(checklist: Checklist, *, name: Any = _UNSET, kind: Any = _UNSET) -> Checklist:
    """Rename or retype a checklist without publishing a new version of its items."""
    name = checklist.name if name is _UNSET else name
    kind = checklist.kind if kind is _UNSET else kind
    _check_checklist_fields(name, kind)
    checklist.name, checklist.kind = name.strip(), kind
    with _atomic():
        checklist.save(update_fields=["name", "kind", "modified_at", "modified_by"])
    bump_on_commit(CACHE_NAMESPACE)
    return checklist


def deactivate_checklist(checklist: Checklist) -> Checklist:
    """Retire a checklist; its versions stay readable for the work that used them."""
    checklist.is_active = False
    with _atomic():
        checklist.save(update_fields=["is_active", "modified_at", "modified_by"])
    bump_on_commit(CACHE_NAMESPACE)
    return checklist


def version_as_sections(version: ChecklistVersion) -> list[dict[str, Any]]:
    """A published version in the ``sections`` shape ``publish_checklist`` takes (to edit it).

    Publishing it again as it is records the same content. Items store their effective
    options, but only choice items (dropdown, multiselect) may override their question's,
    so the others carry none here.
    """
    sections: list[dict[str, Any]] = []
    for section in version.sections.order_by("position"):
        sections.append(
            {
                "title": section.title,
                "items": [
                    {
                        "question_id": item.question_id,
                        "mandatory": item.mandatory,
                        "options": item.options if item.question.answer_type in CHOICE_TYPES else None,
                        "min_value": item.min_value,
                        "max_value": item.max_value,
                        "alert_on": item.alert_on,
                    }
                    for item in section.items.select_related("question").order_by("position")
                ],
            }
        )
    return sections


_Content = list[tuple[str, list[tuple[int, bool, list[str], Decimal | None, Decimal | None, list[str]]]]]


def _content(version: ChecklistVersion) -> _Content:
    """What a published version asks, in the shape ``_planned_content`` gives."""
    result: _Content = []
    for section in version.sections.order_by("position").prefetch_related("items"):
        items = sorted(section.items.all(), key=lambda item: item.position)
        result.append(
            (
                section.title,
                [
                    (
                        item.question_id,
                        item.mandatory,
                        list(item.options or []),
                        item.min_value,
                        item.max_value,
                        list(item.alert_on or []),
                    )
                    for item in items
                ],
            )
        )
    return result


def _planned_content(sections: Any) -> _Content:
    """What publishing ``sections`` would record (overrides resolved against the questions)."""
    return [
        (
            title,
            [
                (
                    item.question.pk,
                    item.mandatory,
                    item.rules.options,
                    item.rules.min_value,
                    item.rules.max_value,
                    item.rules.alert_on,
                )
                for item in planned
            ],
        )
        for title, planned in plan_sections(sections)
    ]


def same_as_current(checklist: Checklist, sections: Any) -> bool:
    """Would publishing ``sections`` record what the checklist's current version already asks?

    Re-importing an unchanged file must not publish a new version each time.
    """
    version = checklist.current_version
    return version is not None and _content(version) == _planned_content(sections)
