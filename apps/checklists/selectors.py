"""Reads of questions and checklists, bound to the tenant in context.

Questions and checklists belong to the tenant, not to a site, so there is no site scope
here: anyone allowed to read them reads the tenant's whole set.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from apps.core.cache import cached
from apps.core.errors import NotFound

from .models import Checklist, ChecklistItem, ChecklistSection, ChecklistVersion, Question
from .services import CACHE_NAMESPACE


def questions() -> QuerySet[Question]:
    return Question.objects.all().order_by("code")


def checklists() -> QuerySet[Checklist]:
    return Checklist.objects.select_related("current_version").order_by("name", "pk")


def versions() -> QuerySet[ChecklistVersion]:
    return ChecklistVersion.objects.select_related("checklist").order_by("checklist", "-number")


def get_question(question_id: Any) -> Question:
    """The question of the tenant in context, or ``NotFound`` (also for another tenant's id)."""
    question = questions().filter(pk=question_id).first() if str(question_id).isdigit() else None
    if question is None:
        raise NotFound()
    return question


def get_checklist(checklist_id: Any) -> Checklist:
    checklist = checklists().filter(pk=checklist_id).first() if str(checklist_id).isdigit() else None
    if checklist is None:
        raise NotFound()
    return checklist


def get_version(checklist: Checklist, number: Any) -> ChecklistVersion:
    version = versions().filter(checklist=checklist, number=number).first() if str(number).isdigit() else None
    if version is None:
        raise NotFound()
    return version


def items_of(version: ChecklistVersion) -> QuerySet[ChecklistItem]:
    """The items of a version in order, with their questions (what ``validate_answer`` reads)."""
    return ChecklistItem.objects.filter(checklist_version=version).select_related("question").order_by("position")


def _decimal_text(value: Any) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def version_summary(version: ChecklistVersion) -> dict[str, Any]:
    return {
        "id": version.pk,
        "number": version.number,
        "published_at": version.published_at.isoformat(),
        "published_by": version.published_by_id,
    }


def version_payload(version: ChecklistVersion) -> dict[str, Any]:
    """A version with its sections and items, as plain JSON-ready data (what REST returns)."""
    items = Prefetch("items", queryset=ChecklistItem.objects.select_related("question").order_by("position"))
    sections = ChecklistSection.objects.filter(checklist_version=version).prefetch_related(items).order_by("position")
    return {
        **version_summary(version),
        "sections": [
            {
                "id": section.pk,
                "title": section.title,
                "position": section.position,
                "items": [
                    {
                        "id": item.pk,
                        "position": item.position,
                        "question": {
                            "id": item.question_id,
                            "code": item.question.code,
                            "text": item.question.text,
                            "answer_type": item.question.answer_type,
                            "attachment": item.question.attachment,
                        },
                        "mandatory": item.mandatory,
                        "min_value": _decimal_text(item.effective_min),
                        "max_value": _decimal_text(item.effective_max),
                        "options": item.effective_options,
                        "alert_on": item.effective_alert_on,
                    }
                    for item in section.items.all()
                ],
            }
            for section in sections
        ],
    }


def checklist_summary(checklist: Checklist) -> dict[str, Any]:
    current = checklist.current_version
    return {
        "id": checklist.pk,
        "uuid": str(checklist.uuid),
        "code": checklist.code,
        "name": checklist.name,
        "kind": checklist.kind,
        "is_active": checklist.is_active,
        "current_version_number": current.number if current is not None else None,
    }


def build_checklist_payload(checklist_id: int) -> dict[str, Any] | None:
    """A checklist with its current version's sections and items, read from the database."""
    checklist = checklists().filter(pk=checklist_id).first()
    if checklist is None:
        return None
    current = checklist.current_version
    return {
        **checklist_summary(checklist),
        "current_version": version_payload(current) if current is not None else None,
    }


def checklist_payload(checklist_id: int) -> dict[str, Any] | None:
    """``build_checklist_payload``, cached per tenant.

    The cache namespace is bumped on commit of every question and checklist write, so
    the next read after a publish sees the new version.
    """
    return cached(CACHE_NAMESPACE, f"checklist:{checklist_id}", lambda: build_checklist_payload(checklist_id))
