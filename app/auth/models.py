"""Accounts, their login sessions and the failed-login throttle."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum

from flask_babel import gettext
from flask_login import UserMixin
from sqlalchemy import Column, Date, ForeignKey, String, Table, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, str_enum, utcnow
from app.directory.models import Organization, Town, Village
from app.extensions import db


class Role(StrEnum):
    ADMIN = "admin"  # county administrator (民政局)
    COORDINATOR = "coordinator"  # acts for one organization
    TOWN_SUPERVISOR = "town_supervisor"  # 儿童督导员, one town
    CHILD_DIRECTOR = "child_director"  # 儿童主任, one or more villages
    VOLUNTEER = "volunteer"  # self-registered


STAFF_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.TOWN_SUPERVISOR, Role.CHILD_DIRECTOR)

user_villages = Table(
    "user_villages",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("village_id", ForeignKey("villages.id"), primary_key=True),
)


def hash_token(token: str) -> str:
    """Tokens are kept only as SHA-256 digests: a leaked table gives no usable session."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, db.Model):
    """Anyone who logs in. Staff accounts are made by the administrator; volunteers register themselves."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    privacy_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Secret for the personal calendar feed URL; resetting it kills the old URL.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Mentor screening by an organization (pairings need it); after this date new sessions pause.
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    screened_until: Mapped[date | None] = mapped_column(Date)
    # Messages: the inbox always; SMS (on by default for a phone number) and e-mail as the person chooses.
    email: Mapped[str | None] = mapped_column(String(254))
    sms_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    email_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Staff who chose an SMS code as a second step after their password.
    sms_second_step: Mapped[bool] = mapped_column(default=False, server_default=false())

    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])
    town: Mapped[Town | None] = relationship()
    villages: Mapped[list[Village]] = relationship(secondary=user_villages, order_by=Village.name_zh)

    # The raw token of the login session this object was loaded for; Flask-Login stores it as the "user id",
    # so a revoked session row logs the browser out even if its cookie is replayed.
    session_token = None  # type: str | None (not a column)
    # Unread messages, counted in the same statement as the login (the page header shows them); None when not.
    unread_count = None  # type: int | None (not a column)

    @property
    def has_password(self) -> bool:
        """Volunteers who signed up by SMS code have none until they set one."""
        return bool(self.password_hash)

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def display_name(self) -> str:
        """The name to show anyone, in the reader's language: a deleted (anonymised) account keeps no name, so it
        reads "Former volunteer" (已注销志愿者) in whatever language the page is in. Use this, never ``name``, on
        every page and export that shows a person."""
        if self.anonymised_at is not None:
            return gettext("Former volunteer")
        return self.name

    @property
    def login_name(self) -> str:
        return self.username or self.phone or str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserSession(db.Model):
    """One logged-in browser. Logging out, changing the password or deactivation revokes rows."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed logins counted for one account key from one source (see app/auth/throttle.py): an address (a whole
    village may share it), ``device:<nonce>`` for a browser holding the account's device cookie, or ``*`` for the
    account across all addresses. The column keeps its first name, ``ip_address``."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("identifier", "ip_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64))
    ip_address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
