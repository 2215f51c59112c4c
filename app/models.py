"""Every model module, imported once so the metadata (and Alembic's autogenerate) sees all tables."""

from app.activities.models import Activity, Shift, Signup, TrainingParticipant, activity_coorganizers
from app.audit.models import AuditEntry
from app.auth.models import LoginThrottle, User, UserSession, user_villages
from app.childcare.models import (
    ActivityRegistration,
    Attendance,
    CareAction,
    Child,
    FileCheck,
    Problem,
    Visit,
    VisitPolicy,
    WorkLogEntry,
)
from app.directory.models import Organization, Town, Village
from app.mentoring.models import MentoringSession, Pairing
from app.reports.models import ProgressReport, VacationDates

__all__ = [
    "Activity",
    "ActivityRegistration",
    "Attendance",
    "AuditEntry",
    "CareAction",
    "Child",
    "FileCheck",
    "LoginThrottle",
    "MentoringSession",
    "Organization",
    "Pairing",
    "Problem",
    "ProgressReport",
    "Shift",
    "Signup",
    "Town",
    "TrainingParticipant",
    "User",
    "UserSession",
    "VacationDates",
    "Village",
    "Visit",
    "VisitPolicy",
    "WorkLogEntry",
    "activity_coorganizers",
    "user_villages",
]
