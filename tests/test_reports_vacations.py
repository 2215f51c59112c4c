"""The administrator sets the year's school vacations through one audited service; dates that cannot be right
are refused with a message and change nothing."""

from __future__ import annotations

import html
from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.extensions import db
from app.reports.models import VacationDates
from tests.conftest import Auth

GOOD = {
    "year": "2027",
    "winter_first": "2027-01-18",
    "winter_last": "2027-02-22",
    "summer_first": "2027-07-08",
    "summer_last": "2027-08-30",
}


def admin(app, make) -> Auth:
    auth = Auth(app.test_client())
    auth.login(make.admin().username)
    return auth


def stored(app, year: int) -> tuple | None:
    with app.app_context():
        row = db.session.scalar(select(VacationDates).where(VacationDates.year == year))
        return row and (row.winter_first, row.winter_last, row.summer_first, row.summer_last)


def test_admin_saves_the_vacation_dates_audited_with_before_and_after(app, make):
    auth = admin(app, make)
    response = auth.post("/reports/vacations", GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/reports/vacations?year=2027")
    assert stored(app, 2027) == (date(2027, 1, 18), date(2027, 2, 22), date(2027, 7, 8), date(2027, 8, 30))
    with app.app_context():
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.vacations"))
        assert entry.detail["before"] == ["2027-01-15", "2027-02-20", "2027-07-01", "2027-08-31"]  # the usual ones
        assert entry.detail["after"] == ["2027-01-18", "2027-02-22", "2027-07-08", "2027-08-30"]
    # Saved again: the same row changes, and the page shows the year's own dates.
    auth.post("/reports/vacations", {**GOOD, "summer_first": "2027-07-12"})
    assert stored(app, 2027)[2] == date(2027, 7, 12)
    with app.app_context():
        assert len(db.session.scalars(select(VacationDates)).all()) == 1
    assert 'value="2027-07-12"' in auth.client.get("/reports/vacations?year=2027").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"winter_last": "2027-01-10"}, "The vacation must end after it starts."),
        ({"summer_first": "2028-07-08", "summer_last": "2028-08-30"}, "The vacation must start in the year chosen."),
        ({"winter_last": "2027-07-10"}, "The winter vacation must end before the summer vacation starts."),
        ({"year": "2023", "winter_first": "2023-01-18", "winter_last": "2023-02-22"}, "Choose a year from 2024"),
        ({"year": "abc"}, "Not a valid integer value."),
        ({"summer_last": ""}, "Please enter a valid date."),
        ({"winter_first": "2027-02-30"}, "Not a valid date value."),
    ],
)
def test_dates_that_cannot_be_right_change_nothing(app, make, changes, message):
    auth = admin(app, make)
    response = auth.post("/reports/vacations?lang=en", {**GOOD, **changes})
    assert response.status_code == 422 and message in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalars(select(VacationDates)).all() == []
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.vacations")) is None


def test_only_the_administrator_sets_the_vacations(app, make):
    from app.auth.models import Role

    supervisor = Auth(app.test_client())
    supervisor.login(make.user(Role.TOWN_SUPERVISOR, town="hekou").username)
    assert supervisor.post("/reports/vacations", GOOD).status_code == 403
    assert stored(app, 2027) is None
