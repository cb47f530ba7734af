"""Demo questions (every answer type) and eight checklists, each published as version 1."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .models import AnswerType, AttachmentRule, Checklist, Question
from .services import publish_checklist

A = AnswerType
QUESTIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("GATE-LOCKED", "Is the gate locked?", A.CHECKBOX, {"options": ["Yes", "No"], "alert_on": ["No"]}),
    ("LIGHTS", "Perimeter lights", A.DROPDOWN, {"options": ["All on", "Some off", "All off"], "alert_on": ["All off"]}),
    (
        "HAZARDS",
        "Hazards seen",
        A.MULTISELECT,
        {"options": ["Fire", "Water leak", "Intruder", "None"], "alert_on": ["Fire", "Intruder"]},
    ),
    ("REMARKS", "Remarks", A.MULTI_LINE, {}),
    ("VISITOR", "Visitor name", A.SINGLE_LINE, {}),
    ("CONTACT", "Contact e-mail", A.EMAIL, {}),
    ("TEMP", "Server room temperature (°C)", A.NUMERIC, {"min_value": Decimal(16), "max_value": Decimal(27)}),
    ("PRESSURE", "Fire pump pressure (bar)", A.METER_READING, {"min_value": Decimal(6), "max_value": Decimal(12)}),
    ("RATING", "Cleanliness rating", A.RATING, {"min_value": Decimal(1), "max_value": Decimal(5)}),
    ("INSPECTED-ON", "Inspection date", A.DATE, {}),
    ("ARRIVED-AT", "Arrival time", A.TIME, {}),
    ("SIGN", "Signature of the guard", A.SIGNATURE, {"attachment": AttachmentRule.REQUIRED}),
    ("WITNESSES", "Witnesses", A.PEOPLE_LIST, {}),
    ("AFFECTED-SITES", "Affected sites", A.SITE_LIST, {}),
    ("POSITION", "Your position", A.GPS, {}),
    ("SELFIE", "Selfie at the post", A.FRONT_CAMERA, {"attachment": AttachmentRule.REQUIRED}),
    ("PHOTO", "Photo of the area", A.BACK_CAMERA, {"attachment": AttachmentRule.REQUIRED_ON_ALERT}),
]
CHECKLISTS: list[tuple[str, str, str, list[tuple[str, list[str]]]]] = [
    (
        "NIGHT-PATROL",
        "Night patrol",
        Checklist.Kind.CHECKLIST,
        [("Perimeter", ["GATE-LOCKED", "LIGHTS", "HAZARDS", "PHOTO"])],
    ),
    (
        "FIRE-AUDIT",
        "Fire safety audit",
        Checklist.Kind.ASSET_AUDIT,
        [("Pump room", ["PRESSURE", "HAZARDS", "INSPECTED-ON", "SIGN"])],
    ),
    ("HVAC-PPM", "HVAC maintenance", Checklist.Kind.ASSET_MAINTENANCE, [("Readings", ["TEMP", "RATING", "REMARKS"])]),
    (
        "DAILY-REPORT",
        "Daily site report",
        Checklist.Kind.SITE_REPORT,
        [("Shift", ["ARRIVED-AT", "VISITOR", "REMARKS", "SELFIE"])],
    ),
    (
        "INCIDENT",
        "Incident report",
        Checklist.Kind.INCIDENT_REPORT,
        [("What happened", ["HAZARDS", "WITNESSES", "AFFECTED-SITES", "POSITION", "PHOTO", "REMARKS"])],
    ),
    (
        "HOT-WORK",
        "Hot work permit",
        Checklist.Kind.WORK_PERMIT,
        [("Permit", ["CONTACT", "INSPECTED-ON", "HAZARDS", "SIGN"])],
    ),
    ("RETURN", "Return permit", Checklist.Kind.RETURN_PERMIT, [("Handover", ["GATE-LOCKED", "REMARKS", "SIGN"])]),
    ("POSTING", "Posting orders", Checklist.Kind.POSTING_ORDER, [("Orders", ["VISITOR", "ARRIVED-AT", "RATING"])]),
]


def load_checklists(tenant: Any, say: Callable[[str], None]) -> None:
    questions = {}
    for code, text, answer_type, extra in QUESTIONS:
        questions[code], _ = Question.objects.update_or_create(
            code=code, defaults={"text": text, "answer_type": answer_type, **extra}
        )
    for code, name, kind, sections in CHECKLISTS:
        existing = Checklist.objects.filter(code=code).first()
        if existing is not None and existing.current_version_id:
            continue  # published versions are immutable; the demo never edits them
        publish_checklist(
            existing,
            code=code,
            name=name,
            kind=kind,
            sections=[
                {"title": title, "items": [{"question_id": questions[c].pk, "mandatory": True} for c in codes]}
                for title, codes in sections
            ],
        )
    say(f"  checklists: {len(QUESTIONS)} questions (every answer type), {len(CHECKLISTS)} checklists")


DEMO_STEPS = [(40, load_checklists)]
