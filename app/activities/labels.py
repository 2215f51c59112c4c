"""Translated titles of the activity vocabularies: kinds, plan tasks, safety topics, audiences, statuses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.activities.models import ActivityKind, ActivityStatus, Audience, SafetyTopic, SignupStatus

KIND_LABELS = {
    ActivityKind.HOLIDAY_CARE: _l("Holiday and vacation care activity"),
    ActivityKind.MENTORING: _l("One-to-one mentoring programme (incl. caring mothers)"),
    ActivityKind.SAFETY_VILLAGE: _l("Safety knowledge into villages"),
    ActivityKind.SAFETY_LECTURE: _l("School safety lecture"),
    ActivityKind.LEGAL_EDUCATION: _l("Legal education"),
    ActivityKind.RED_EDUCATION: _l("Red-themed education"),
    ActivityKind.MENTAL_HEALTH: _l("Mental-health activity"),
    ActivityKind.READING: _l("Reading and companionship"),
    ActivityKind.FAMILY_EDUCATION: _l("Family-education guidance"),
    ActivityKind.DROWNING_PATROL: _l("Drowning-prevention patrol"),
    ActivityKind.ONLINE_PROTECTION: _l("Online-protection education"),
    ActivityKind.DIRECTOR_TRAINING: _l("Child director training"),
    ActivityKind.DATA_COMPARISON: _l("Data comparison (education, police, civil affairs)"),
    ActivityKind.OTHER: _l("Other"),
}

PLAN_TASK_LABELS = {
    1: _l("1 Moral education"),
    2: _l("2 Mental-health education"),
    3: _l("3 Cultural life"),
    4: _l("4 Guardianship duties"),
    5: _l("5 Entrusted care"),
    6: _l("6 Guardianship intervention"),
    7: _l("7 Government fallback guardianship"),
    8: _l("8 Survey, visits, one file per child"),
    9: _l("9 Relief and protection"),
    10: _l("10 Education support"),
    11: _l("11 Daily-life care"),
    12: _l("12 Support at the source"),
    13: _l("13 Safety education"),
    14: _l("14 Safety risk prevention"),
    15: _l("15 Online protection"),
    16: _l("16 Child director workforce"),
    17: _l("17 Social forces"),
    18: _l("18 Digitalization"),
}

SAFETY_TOPIC_LABELS = {
    SafetyTopic.DROWNING: _l("Drowning"),
    SafetyTopic.BULLYING: _l("Bullying"),
    SafetyTopic.SEXUAL_ASSAULT: _l("Sexual assault"),
    SafetyTopic.ROAD_TRAFFIC: _l("Road traffic"),
    SafetyTopic.FIRE: _l("Fire"),
    SafetyTopic.NATURAL_DISASTER: _l("Natural disasters"),
    SafetyTopic.ONLINE: _l("Online safety"),
}

AUDIENCE_LABELS = {
    Audience.CHILDREN: _l("Children"),
    Audience.GUARDIANS: _l("Parents and guardians"),
    Audience.BOTH: _l("Children and guardians"),
}

STATUS_LABELS = {
    ActivityStatus.DRAFT: _l("Draft"),
    ActivityStatus.PUBLISHED: _l("Published"),
    ActivityStatus.COMPLETED: _l("Completed"),
    ActivityStatus.CANCELLED: _l("Cancelled"),
    SignupStatus.CONFIRMED: _l("Confirmed"),
    SignupStatus.WAITLISTED: _l("On the waitlist"),
    SignupStatus.CANCELLED: _l("Cancelled"),
}
