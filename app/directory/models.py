"""Feng County's places (towns, villages and communities) and bodies (organizations, schools)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, str_enum, utcnow
from app.extensions import db


class Town(db.Model):
    """One of the county's nine towns (镇). Reference data shipped with the code."""

    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    villages: Mapped[list[Village]] = relationship(back_populates="town", order_by="Village.name_zh")

    def __repr__(self) -> str:
        return f"<Town {self.code}>"


class VillageKind(StrEnum):
    VILLAGE = "village"
    COMMUNITY = "community"


class Village(db.Model):
    """A village (村) or community (社区) in a town: where children live and child directors work."""

    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("town_id", "name_zh"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[VillageKind] = mapped_column(str_enum(VillageKind), default=VillageKind.VILLAGE)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Demo rows are invented and clearly marked, so a county can tell them from its imported list.
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    town: Mapped[Town] = relationship(back_populates="villages")

    def __repr__(self) -> str:
        return f"<Village {self.name_zh}>"


class OrganizationKind(StrEnum):
    COUNTY_BODY = "county_body"
    TOWN_GOVERNMENT = "town_government"
    SOCIAL_WORK_STATION = "social_work_station"
    PROTECTION_STATION = "protection_station"
    SCHOOL = "school"
    SOCIAL_ORGANIZATION = "social_organization"


class Organization(db.Model):
    """A body that acts under the plan: a county bureau, a town government, a station, a school."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(str_enum(OrganizationKind), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    short_name_zh: Mapped[str] = mapped_column(String(60), default="")
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    town: Mapped[Town | None] = relationship()

    @property
    def is_school(self) -> bool:
        return self.kind == OrganizationKind.SCHOOL

    def __repr__(self) -> str:
        return f"<Organization {self.code}>"
