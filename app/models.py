"""Every model module, imported once so the metadata (and Alembic's autogenerate) sees all tables."""

from app.activities.models import Activity, Certificate, Shift, Signup, TrainingParticipant, activity_coorganizers
from app.audit.models import AuditEntry
from app.auth.models import LoginThrottle, User, UserSession, user_villages
from app.childcare.models import (
    ActivityRegistration,
    Attendance,
    CareAction,
    Child,
    ChildImport,
    FileCheck,
    Problem,
    Visit,
    VisitPolicy,
    WorkLogEntry,
)
from app.directory.models import Organization, Town, Village
from app.mentoring.models import MentoringSession, Pairing, PairingProposal
from app.notifications.models import Broadcast, Delivery, JobRun, Message, SmsCode, UsedLink
from app.reports.models import ProgressReport, VacationDates

__all__ = [
    "Activity",
    "ActivityRegistration",
    "Attendance",
    "AuditEntry",
    "Broadcast",
    "CareAction",
    "Certificate",
    "Child",
    "ChildImport",
    "Delivery",
    "FileCheck",
    "JobRun",
    "LoginThrottle",
    "MentoringSession",
    "Message",
    "Organization",
    "Pairing",
    "PairingProposal",
    "Problem",
    "ProgressReport",
    "Shift",
    "Signup",
    "SmsCode",
    "Town",
    "TrainingParticipant",
    "UsedLink",
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
