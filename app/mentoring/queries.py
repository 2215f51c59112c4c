"""Read-side helpers for pairings: a mentor's service minutes (they count as volunteer hours)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.mentoring.models import MentoringSession, Pairing


def mentoring_minutes(user_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(MentoringSession.minutes), 0))
        .join(MentoringSession.pairing)
        .where(Pairing.mentor_id == user_id)
    )


def has_pairings(user_id: int) -> bool:
    return db.session.scalar(select(Pairing.id).where(Pairing.mentor_id == user_id).limit(1)) is not None
