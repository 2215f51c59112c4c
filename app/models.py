"""Every model module, imported once so the metadata (and Alembic's autogenerate) sees all tables."""

from app.audit.models import AuditEntry
from app.auth.models import LoginThrottle, User, UserSession, user_villages
from app.directory.models import Organization, Town, Village

__all__ = ["AuditEntry", "LoginThrottle", "Organization", "Town", "User", "UserSession", "Village", "user_villages"]
