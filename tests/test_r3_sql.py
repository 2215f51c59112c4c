"""The day arithmetic R3's yearly figures run on (``app.sql`` DayNumber, MonthNumber, DayOfMonth) equals Python's,
on both databases, including dates stored in a column and a timestamp's Feng County day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, literal, select

from app.auth.models import Role
from app.childcare.models import Child, Visit, VisitKind
from app.extensions import db
from app.sql import DayNumber, DayOfMonth, LocalDate, MonthNumber

DAYS = [date(1970, 1, 1), date(2024, 2, 29), date(2024, 12, 30), date(2025, 12, 31), date(2026, 1, 1)]
DAYS += [date(2024, 1, 1) + timedelta(days=n) for n in range(0, 1100, 17)]


def test_day_numbers_weekdays_and_months_equal_python(app):
    with app.app_context():
        for day in DAYS:
            value = literal(day, Date)
            number, weekday, month, of_month = db.session.execute(
                select(DayNumber(value), (DayNumber(value) + 3) % 7, MonthNumber(value), DayOfMonth(value))
            ).one()
            assert number == (day - date(1970, 1, 1)).days, day
            assert weekday == day.weekday(), day
            assert (month, of_month) == (day.year * 12 + day.month, day.day), day


def test_the_arithmetic_reads_stored_dates_and_local_days(app, make):
    village = make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    # 16:30 UTC on 31 December is 00:30 on 1 January in Feng County.
    child = make.child(village.id, closed_at=datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    with app.app_context():
        for day in DAYS[:8]:
            db.session.add(Visit(child_id=child.id, kind=VisitKind.PHONE, visited_on=day, author_id=director.id))
        db.session.commit()
        rows = db.session.execute(
            select(Visit.visited_on, DayNumber(Visit.visited_on), MonthNumber(Visit.visited_on)).where(
                Visit.child_id == child.id
            )
        ).all()
        assert sorted((d, n, m) for d, n, m in rows) == sorted(
            (d, (d - date(1970, 1, 1)).days, d.year * 12 + d.month) for d in DAYS[:8]
        )
        closed = LocalDate(Child.closed_at)
        month, of_month = db.session.execute(
            select(MonthNumber(closed), DayOfMonth(closed)).where(Child.id == child.id)
        ).one()
        assert (month, of_month) == (2026 * 12 + 1, 1)
