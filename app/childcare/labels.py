"""Translated titles of the children's-file vocabularies (the plan's own Chinese terms in the catalogue)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.childcare.models import (
    CareKind,
    CheckLevel,
    ChildCategory,
    ChildStatus,
    CloseReason,
    Gender,
    ProblemSource,
    ProblemStatus,
    RiskFlag,
    VisitKind,
)

CHILD_LABELS = {
    Gender.MALE: _l("Boy"),
    Gender.FEMALE: _l("Girl"),
    ChildCategory.LEFT_BEHIND: _l("Rural left-behind child"),
    ChildCategory.ORPHAN: _l("Orphan"),
    ChildCategory.UNSUPPORTED: _l("De-facto unsupported child"),
    ChildCategory.DISABLED: _l("Child with a disability"),
    ChildCategory.SERIOUSLY_ILL: _l("Seriously ill child"),
    ChildCategory.LOW_INCOME: _l("From a minimum-allowance or extreme-poverty family"),
    ChildCategory.OTHER_DIFFICULTY: _l("Other difficulty"),
    RiskFlag.PARENT_DISABILITY: _l("A parent has a severe disability or mental illness"),
    RiskFlag.CHILD_DISABILITY: _l("The child has a disability"),
    RiskFlag.BEHAVIOUR: _l("Psychological or behavioural abnormality"),
    ChildStatus.ACTIVE: _l("Active"),
    ChildStatus.CLOSED: _l("Closed"),
    CloseReason.TURNED_18: _l("Turned 18"),
    CloseReason.PARENTS_RETURNED: _l("Parents returned"),
    CloseReason.MOVED_AWAY: _l("Moved away"),
    CloseReason.AGE_LIMIT: _l("Reached the age limit"),
    CloseReason.OTHER: _l("Other reason"),
    VisitKind.PHONE: _l("Phone contact"),
    VisitKind.VIDEO: _l("Video contact"),
    VisitKind.HOME: _l("Home visit"),
    CareKind.RELIEF_DIBAO: _l("Minimum living allowance (低保) enrolment"),
    CareKind.RELIEF_TEKUN: _l("Extreme-poverty support (特困) enrolment"),
    CareKind.RELIEF_TEMPORARY: _l("Temporary assistance (临时救助)"),
    CareKind.REHABILITATION: _l("Rehabilitation"),
    CareKind.EDUCATION_SUPPORT: _l("Education support"),
    CareKind.COUNSELLING: _l("Counselling referral"),
    CareKind.OTHER: _l("Other care"),
    ProblemStatus.OPEN: _l("Open"),
    ProblemStatus.IN_HAND: _l("In hand"),
    ProblemStatus.RESOLVED: _l("Resolved"),
    CheckLevel.COUNTY_SPOT: _l("County spot check"),
    CheckLevel.TOWN_FULL: _l("Town full check"),
}

# The fields of a file, as the form, the import's errors and the file's history name them.
FIELD_LABELS = {
    "name": _l("Name"),
    "gender": _l("Gender"),
    "birth_date": _l("Date of birth"),
    "id_number": _l("Resident ID number"),
    "village_id": _l("Village or community"),
    "school_id": _l("School"),
    "grade": _l("Grade"),
    "categories": _l("Categories"),
    "risk_flags": _l("Risk flags"),
    "father_name": _l("Father's name"),
    "mother_name": _l("Mother's name"),
    "guardian_name": _l("Guardian's name"),
    "guardian_relation": _l("Guardian's relationship to the child"),
    "guardian_phone": _l("Guardian's phone"),
    "parents_workplace": _l("Where the parents work"),
    "caregiver_name": _l("Entrusted caregiver"),
    "director_id": _l("Child director"),
    "status": _l("Status"),
    "close_reason": _l("Reason for closing"),
    "on_record_since": _l("On record since"),
}
# Where a problem was raised, as the file's problem list says it.
SOURCE_LABELS = {
    ProblemSource.FILE: _l("Recorded on the file"),
    ProblemSource.VISIT: _l("Found on a visit"),
    ProblemSource.ACTIVITY: _l("Noted at an activity"),
    ProblemSource.MENTORING: _l("Raised by a mentor"),
    ProblemSource.CHECK: _l("Found at a file check"),
}


def choices(enum_cls) -> list[tuple[str, object]]:
    return [(member.value, CHILD_LABELS[member]) for member in enum_cls]
