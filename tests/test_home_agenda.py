"""The rest of every role's worklist (app/main/agenda.py): a coordinator's shifts of today and tomorrow with their
check-in screens and their waitlists, a child director's children registered for upcoming activities, a
supervisor's R3 figure for their town, the county's due and late."""

from __future__ import annotations

import re
from datetime import date

from app.activities.models import Signup, SignupStatus
from app.auth.models import Role
from app.childcare.models import ActivityRegistration
from app.db_types import utcnow
from app.extensions import db
from app.main import agenda
from app.notifications.models import Delivery, DeliveryStatus, Message
from tests.test_worklists import logged_in, page, section


def sign_up(app, make, shift_id: int, n: int, status=SignupStatus.CONFIRMED) -> None:
    with app.app_context():
        for _ in range(n):
            volunteer = make.user()
            db.session.add(Signup(shift_id=shift_id, user_id=volunteer.id, status=status, queued_at=utcnow()))
        db.session.commit()


def test_coordinators_home_lists_todays_and_tomorrows_shifts_with_their_check_in_screens(app, make):
    today_ = make.activity("youth-league", days_ahead=0, shifts=[(22, 23, 3)], title="今天的活动")
    tomorrow = make.activity("youth-league", days_ahead=1, shifts=[(9, 12, 2)], title="明天的活动")
    make.activity("youth-league", days_ahead=3, title="三天后的活动")
    make.activity("womens-federation", days_ahead=1, title="别的组织的活动")
    sign_up(app, make, tomorrow.shifts[0].id, 2)
    sign_up(app, make, tomorrow.shifts[0].id, 1, SignupStatus.WAITLISTED)
    coordinator = make.user(Role.COORDINATOR, organization="youth-league")
    text = page(logged_in(app, coordinator))
    shifts = section(text, "shifts-soon")
    assert "今天的活动" in shifts and "明天的活动" in shifts
    assert "三天后的活动" not in shifts and "别的组织的活动" not in shifts
    assert f'href="/manage/shifts/{today_.shifts[0].id}/checkin"' in shifts and "Check-in screen" in shifts
    assert "2 of 2 places taken" in shifts and "1 waiting" in shifts
    waiting = section(text, "waitlists")
    assert (
        "Waitlists (1)" in waiting and "明天的活动" in waiting and f'href="/manage/activities/{tomorrow.id}"' in waiting
    )
    assert text.index('id="shifts-soon"') < text.index('id="waitlists"') < text.index('id="menu"')


def test_directors_home_lists_the_upcoming_activities_their_children_are_registered_for(app, make):
    village, elsewhere = make.village(), make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id])
    child, other = make.child(village.id, name="报名孩子"), make.child(elsewhere.id, name="别村孩子")
    camp, past = make.activity(title="冬令营"), make.activity(days_ahead=-2, title="已经结束的活动")
    with app.app_context():
        for activity in (camp, past):
            for kid in (child, other):
                db.session.add(
                    ActivityRegistration(activity_id=activity.id, child_id=kid.id, registered_by_id=director.id)
                )
        db.session.commit()
    registered = section(page(logged_in(app, director)), "registered")
    assert "upcoming activities (1)" in registered and "冬令营" in registered and "报名孩子" in registered
    assert "别村孩子" not in registered and "已经结束的活动" not in registered
    assert f'href="/children/activity/{camp.id}"' in registered


def test_supervisors_home_shows_their_towns_visit_figure_with_a_link(app, make):
    supervisor = make.user(Role.TOWN_SUPERVISOR, town="shuangshipu")
    compliance = section(page(logged_in(app, supervisor)), "town-compliance")
    assert "Visits in your town this year" in compliance and 'href="/reports/visits"' in compliance
    assert 'id="town-compliance"' not in page(logged_in(app, make.user(Role.CHILD_DIRECTOR)))


def test_the_county_sees_reports_due_failed_messages_and_activities_not_closed(app, make):
    admin = make.user(Role.ADMIN)
    make.activity("youth-league", days_ahead=-2, title="县里未关闭的活动")
    with app.app_context():
        message = Message(kind="delivery_failed", recipient_id=admin.id, params={})
        message.deliveries.append(Delivery(channel="sms", address="13800000000", status=DeliveryStatus.FAILED))
        db.session.add(message)
        db.session.commit()
    due = section(page(logged_in(app, admin)), "county-due")
    assert 'href="/admin/messages?status=failed"' in due and "Messages that could not be delivered" in due
    assert re.search(r"could not be delivered</strong>\s*<span class=\"tag\">1<", due)
    assert "Activities ended but not closed" in due and 'href="/worklist/activities"' in due
    with app.app_context():
        assert agenda.county_due(date(2026, 9, 1)).reports_missing == []  # not asked yet
        october = agenda.county_due(date(2026, 10, 15))
        assert october.reports_missing and not october.reports_late
        assert agenda.county_due(date(2026, 11, 2)).reports_late
