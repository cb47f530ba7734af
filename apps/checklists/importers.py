"""Bulk import of questions and checklists (sheets ``questions`` and ``checklists``).

``questions``: one row per question, matched on ``code``. Columns: code, text,
answer_type, options and alert_on ("|"-separated), min_value, max_value, attachment.

``checklists``: one row per item; the rows with the same ``checklist_code`` form one
checklist, their ``section`` cells its sections (in order of first appearance) and the
rows their items in file order. ``question_code`` names a question of the tenant or of
the ``questions`` sheet of the same file; min_value, max_value, options and alert_on
narrow the question for this use (blank inherits). ``checklist_name`` and ``kind`` may
be given on the first row of a checklist only.

Re-importing a checklist publishes a new version only when its items differ from the
current version's (a renamed checklist is renamed without a new version), so re-importing
the same file never piles up identical versions that work would then refer to.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from apps.core.importing import ImportContext, Importer, Prepared, RowError, register_importer, value
from apps.core.validators import code_validator
from apps.people.models import Person

from . import services
from .models import AnswerType, AttachmentRule, Checklist, Question
from .services import ChecklistError, check_rules

DEFAULT_SECTION = "General"
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}


def split_list(text: str) -> list[str]:
    """``"a | b|c"`` -> ``["a", "b", "c"]`` (blanks dropped)."""
    return [part.strip() for part in text.split("|") if part.strip()]


def _column(error: ChecklistError, default: str) -> str:
    """The sheet column a service error's field path points at (``sections[0].items[2].options``)."""
    field = str(error.details.get("field") or default).rsplit(".", 1)[-1]
    return "question_code" if field == "question_id" else field


def _row_error(number: int, error: ChecklistError, default: str) -> RowError:
    return RowError(number, _column(error, default), error.code, error.message)


def _check_code(code: str) -> str | None:
    try:
        code_validator(code)
    except ValidationError as exc:
        return str(exc.messages[0])
    return None


@register_importer
class QuestionsImporter(Importer):
    sheet = "questions"
    order = 70
    required = ("code", "text", "answer_type")
    optional = ("options", "min_value", "max_value", "alert_on", "attachment")

    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]:
        stored = {q.code: q for q in Question.objects.filter(code__in=[value(r, "code") for _, r in rows])}
        seen: set[str] = set()
        prepared: list[Prepared] = []
        for number, row in rows:
            before = len(errors)
            code, text = value(row, "code"), value(row, "text")
            answer_type = value(row, "answer_type").upper()
            attachment = value(row, "attachment").upper() or AttachmentRule.NONE
            if not code:
                errors.append(RowError(number, "code", "required", "A question needs a code."))
            elif (problem := _check_code(code)) is not None:
                errors.append(RowError(number, "code", "invalid_code", problem))
            elif code in seen:
                errors.append(
                    RowError(number, "code", "duplicate_code_in_file", f"The code {code!r} appears more than once.")
                )
            seen.add(code)
            if not text:
                errors.append(RowError(number, "text", "required", "A question needs its text."))
            elif len(text) > 500:
                errors.append(RowError(number, "text", "too_long", "At most 500 characters."))
            if attachment not in AttachmentRule.values:
                errors.append(
                    RowError(
                        number,
                        "attachment",
                        "invalid_attachment_rule",
                        f"Write one of {', '.join(AttachmentRule.values)}.",
                    )
                )
            if answer_type not in AnswerType.values:
                errors.append(
                    RowError(number, "answer_type", "invalid_answer_type", f"Unknown answer type {answer_type!r}.")
                )
                continue
            try:
                rules = check_rules(
                    answer_type,
                    split_list(value(row, "options")),
                    value(row, "min_value"),
                    value(row, "max_value"),
                    split_list(value(row, "alert_on")),
                )
            except ChecklistError as exc:
                errors.append(_row_error(number, exc, "options"))
                continue
            existing = stored.get(code)
            if existing is not None and existing.answer_type != answer_type and services.question_in_use(existing):
                errors.append(
                    RowError(
                        number,
                        "answer_type",
                        "question_in_use",
                        "The answer type of a question used by a checklist cannot change.",
                    )
                )
            if len(errors) == before:
                prepared.append(
                    Prepared(
                        number,
                        {
                            "code": code,
                            "text": text,
                            "answer_type": answer_type,
                            "options": rules.options,
                            "min_value": rules.min_value,
                            "max_value": rules.max_value,
                            "alert_on": rules.alert_on,
                            "attachment": attachment,
                        },
                    )
                )
        return prepared

    def apply_row(self, prepared: Prepared) -> bool:
        fields = dict(prepared.data)
        question = Question.objects.filter(code=fields["code"]).first()
        if question is None:
            services.create_question(**fields)
            return True
        services.update_question(question, **fields)
        return False


@register_importer
class ChecklistsImporter(Importer):
    sheet = "checklists"
    order = 80
    required = ("checklist_code", "checklist_name", "question_code")
    optional = ("kind", "section", "mandatory", "min_value", "max_value", "options", "alert_on")

    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]:
        stored = {q.code: q for q in Question.objects.filter(code__in=[value(r, "question_code") for _, r in rows])}
        groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
        for number, row in rows:
            code = value(row, "checklist_code")
            if not code:
                errors.append(RowError(number, "checklist_code", "required", "Each row names its checklist."))
            elif (problem := _check_code(code)) is not None:
                errors.append(RowError(number, "checklist_code", "invalid_code", problem))
            else:
                groups.setdefault(code, []).append((number, row))
        prepared: list[Prepared] = []
        for code, group in groups.items():
            checklist = self._prepare_checklist(code, group, stored, context, errors)
            if checklist is not None:
                prepared.append(checklist)
        return prepared

    def _prepare_checklist(
        self,
        code: str,
        group: list[tuple[int, dict[str, str]]],
        stored: dict[str, Question],
        context: ImportContext,
        errors: list[RowError],
    ) -> Prepared | None:
        before = len(errors)
        first = group[0][0]
        name = self._single(group, "checklist_name", "", errors)
        kind = self._single(group, "kind", Checklist.Kind.CHECKLIST, errors).upper()
        if not name:
            errors.append(RowError(first, "checklist_name", "required", "A checklist needs a name."))
        elif len(name) > 200:
            errors.append(RowError(first, "checklist_name", "too_long", "At most 200 characters."))
        if kind not in Checklist.Kind.values:
            errors.append(RowError(first, "kind", "invalid_kind", f"Write one of {', '.join(Checklist.Kind.values)}."))
        sections: dict[str, list[dict[str, Any]]] = {}
        for number, row in group:
            title = value(row, "section") or DEFAULT_SECTION
            if len(title) > 200:
                errors.append(RowError(number, "section", "too_long", "At most 200 characters."))
            item = self._prepare_item(number, row, stored, context, errors)
            if item is not None:
                sections.setdefault(title, []).append(item)
        if len(sections) > services.MAX_SECTIONS:
            errors.append(RowError(first, "section", "too_many_sections", f"At most {services.MAX_SECTIONS} sections."))
        if len(group) > services.MAX_ITEMS:
            errors.append(RowError(first, "checklist_code", "too_many_items", f"At most {services.MAX_ITEMS} items."))
        if len(errors) > before:
            return None
        return Prepared(
            first,
            {
                "code": code,
                "name": name,
                "kind": kind,
                "sections": [{"title": title, "items": items} for title, items in sections.items()],
            },
        )

    @staticmethod
    def _single(group: list[tuple[int, dict[str, str]]], column: str, default: str, errors: list[RowError]) -> str:
        """A checklist-wide cell: given on one or more of its rows, the same each time."""
        found = ""
        for number, row in group:
            text = value(row, column)
            if text and found and text != found:
                errors.append(
                    RowError(
                        number,
                        column,
                        "inconsistent_checklist",
                        f"Rows of one checklist give different values of {column}: {found!r} and {text!r}.",
                    )
                )
            found = found or text
        return found or default

    @staticmethod
    def _prepare_item(
        number: int,
        row: dict[str, str],
        stored: dict[str, Question],
        context: ImportContext,
        errors: list[RowError],
    ) -> dict[str, Any] | None:
        question_code = value(row, "question_code")
        mandatory_text = value(row, "mandatory").lower()
        if not mandatory_text or mandatory_text in _TRUE | _FALSE:
            mandatory = mandatory_text not in _FALSE
        else:
            errors.append(RowError(number, "mandatory", "invalid_boolean", "Write yes or no."))
            return None
        # The question as it will be once this import is written: the file's row wins.
        defined = context.defined("questions", question_code) if question_code else None
        question = Question(**defined) if defined is not None else stored.get(question_code)
        if question is None:
            code = "required" if not question_code else "unknown_question"
            errors.append(RowError(number, "question_code", code, f"There is no question {question_code!r}."))
            return None
        item = {
            "question_code": question_code,
            "mandatory": mandatory,
            "options": split_list(value(row, "options")) or None,
            "alert_on": split_list(value(row, "alert_on")) or None,
            "min_value": value(row, "min_value") or None,
            "max_value": value(row, "max_value") or None,
        }
        try:
            # The service's own item check, so the file is held to the rules of publishing.
            services.plan_item({**item, "question_id": 0}, {0: question}, "item")
        except ChecklistError as exc:
            errors.append(_row_error(number, exc, "question_code"))
            return None
        return item

    def apply_row(self, prepared: Prepared) -> bool:
        data = prepared.data
        codes = {item["question_code"] for section in data["sections"] for item in section["items"]}
        ids = dict(Question.objects.filter(code__in=codes).values_list("code", "pk"))
        sections = [
            {
                "title": section["title"],
                "items": [
                    {
                        **{k: v for k, v in item.items() if k != "question_code"},
                        "question_id": ids[item["question_code"]],
                    }
                    for item in section["items"]
                ],
            }
            for section in data["sections"]
        ]
        checklist = Checklist.objects.filter(code=data["code"]).first()
        if checklist is not None and checklist.current_version is not None and checklist.is_active:
            if services.same_as_current(checklist, sections):
                if (checklist.name, checklist.kind) != (data["name"], data["kind"]):
                    services.update_checklist(checklist, name=data["name"], kind=data["kind"])
                return False
        actor = self.context.actor
        services.publish_checklist(
            checklist,
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            sections=sections,
            published_by=actor if isinstance(actor, Person) else None,
        )
        return checklist is None
