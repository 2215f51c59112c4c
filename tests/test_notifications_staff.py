"""The staff's messages: a coordinator's summary of tomorrow's shifts, activities to close and mentors' screenings;
a child director's problem alert and weekly visits digest; a supervisor's escalations; the administrator's progress
reports. Each created once per occasion, to the right people only, in the recipient's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.activities.services import sign_up
from app.auth.models import Role, User
from app.childcare.models import Child
from app.childcare.services import raise_problem
from app.db_types import utcnow
from app.extensions import db
from app.notifications.kinds import rendered_for
from app.notifications.models import Channel, Delivery, Message
from app.notifications.schedule import (
    scan_activities_to_close,
    scan_escalated,
    scan_progress_reports,
    scan_screenings_expiring,
    scan_shifts_tomorrow,
    scan_visits_digest,
)
from app.notifications.tasks import deliver_now
from app.timeutils import local_to_utc, to_local

NOW = utcnow()


def _run_twice(app, scan, now=NOW) -> None:
    for _ in range(2):
        with app.test_request_context():
            scan(now)
            db.session.commit()


def _of_kind(app, kind: str) -> dict[int, tuple[Message, object]]:
    """recipient id -> (message, its text in the recipient's language)."""
    with app.test_request_context():
        messages = db.session.scalars(select(Message).where(Message.kind == kind)).all()
        result = {m.recipient_id: (m, rendered_for(m)) for m in messages}
        assert len(result) == len(messages), "a recipient got the same message twice"
        return result


def test_coordinators_get_tomorrows_shifts_by_email_with_filled_waitlisted_and_cancelled(app, make):
    english = make.user(Role.COORDINATOR, organization="youth-league", locale="en", email="c@example.cn")
    chinese = make.user(Role.COORDINATOR, organization="youth-league", locale="zh_Hans_CN")
    elsewhere = make.user(Role.COORDINATOR, organization="womens-federation")
    activity = make.activity("youth-league", shifts=[(9, 12, 1)], days_ahead=1, title="明日托管")
    make.activity("youth-league", shifts=[(9, 12, 1)], days_ahead=2)  # the day after: not in it
    with app.test_request_context():
        for n in range(2):
            volunteer = make.user(phone=f"1380000100{n}", username=None)
            sign_up(activity.shifts[0].id, db.session.get(User, volunteer.id))
        db.session.commit()
    _run_twice(app, scan_shifts_tomorrow)
    sent = _of_kind(app, "shifts_tomorrow")
    assert set(sent) == {english.id, chinese.id} and elsewhere.id not in sent
    assert "1 of 1 places filled, 1 on the waitlist, 0 cancelled" in sent[english.id][1].text
    assert "已报满 1/1 人，候补 1 人" in sent[chinese.id][1].text
    with app.app_context():  # inbox and e-mail only, never SMS
        channels = db.session.scalars(select(Delivery.channel).join(Message).where(Message.kind == "shifts_tomorrow"))
        assert set(channels) == {Channel.EMAIL}


def test_coordinators_hear_daily_of_activities_that_ended_but_are_not_closed(app, make):
    coordinator = make.user(Role.COORDINATOR, organization="youth-league", locale="en")
    other = make.user(Role.COORDINATOR, organization="womens-federation")
    make.activity("youth-league", days_ahead=-2, title="上周的营地")
    _run_twice(app, scan_activities_to_close)
    sent = _of_kind(app, "activities_to_close")
    assert set(sent) == {coordinator.id} and other.id not in sent
    assert "上周的营地" in sent[coordinator.id][1].text and "not closed" in sent[coordinator.id][1].text
    _run_twice(app, scan_activities_to_close, NOW + timedelta(days=1))  # the next day: again, once
    with app.app_context():
        assert db.session.query(Message).filter_by(kind="activities_to_close").count() == 2


def _organization_id(app, code: str) -> int:
    from app.directory.models import Organization

    with app.app_context():
        return db.session.scalar(select(Organization.id).where(Organization.code == code))


def test_a_mentors_screening_expiring_within_30_days_tells_the_screening_organizations_coordinators_once(app, make):
    today = to_local(NOW).date()
    federation = _organization_id(app, "womens-federation")
    expiring = make.user(name="爱心妈妈乙", screened_by_id=federation, screened_until=today + timedelta(days=20))
    make.user(name="还早", screened_by_id=federation, screened_until=today + timedelta(days=60))
    coordinator = make.user(Role.COORDINATOR, organization="womens-federation", locale="en")
    other = make.user(Role.COORDINATOR, organization="youth-league")
    _run_twice(app, scan_screenings_expiring)
    _run_twice(app, scan_screenings_expiring, NOW + timedelta(days=1))  # the next day: same expiry, no new message
    sent = _of_kind(app, "screening_expiring")
    assert set(sent) == {coordinator.id} and other.id not in sent
    message, rendered = sent[coordinator.id]
    assert message.object_id == expiring.id and "爱心妈妈乙" in rendered.text and "expires on" in rendered.text


def _director_world(app, make):
    village, elsewhere = make.village(), make.village()
    director = make.user(Role.CHILD_DIRECTOR, villages=[village.id], phone="13800002001", locale="en")
    other_director = make.user(Role.CHILD_DIRECTOR, villages=[elsewhere.id], phone="13800002002")
    child = make.child(village.id, name="王小秘", director_id=director.id, on_record_since=date(2020, 1, 1))
    other_child = make.child(elsewhere.id, name="李小别", director_id=other_director.id)
    return director, other_director, child, other_child


def _raise(app, child, by, *, days_ago: int = 0) -> None:
    with app.test_request_context():
        raise_problem(
            db.session.get(Child, child.id),
            description="手臂有淤青",
            found_on=to_local(NOW).date() - timedelta(days=days_ago),
            by=db.session.get(User, by.id),
        )
        db.session.commit()


def test_a_problem_raised_by_someone_else_alerts_the_director_at_once_without_the_childs_name(app, make):
    director, other_director, child, _other_child = _director_world(app, make)
    supervisor = make.user(Role.TOWN_SUPERVISOR, town="shuangshipu", name="督导员张")
    _raise(app, child, director)  # their own: no alert
    assert _of_kind(app, "problem_raised") == {}
    _raise(app, child, supervisor)
    sent = _of_kind(app, "problem_raised")
    assert set(sent) == {director.id} and other_director.id not in sent
    message, rendered = sent[director.id]
    assert "王小秘" not in rendered.text + rendered.title and str(child.id) in rendered.text
    assert "督导员张" in rendered.text and rendered.link == f"/children/{child.id}"
    with app.app_context():
        (delivery,) = db.session.get(Message, message.id).deliveries
        assert delivery.channel == Channel.SMS
        deliver_now(
            delivery.id, local_to_utc(to_local(NOW).date() + timedelta(days=1), datetime.min.time().replace(hour=10))
        )
        delivery = db.session.get(Delivery, delivery.id)
        assert "王小秘" not in delivery.body and delivery.status == "sent"


def test_the_weekly_digest_counts_a_directors_visits_overdue_and_due_for_them_alone(app, make):
    director, other_director, _child, _other = _director_world(app, make)
    monday = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # 08:00 Beijing
    _run_twice(app, scan_visits_digest, monday)
    _run_twice(app, scan_visits_digest, monday + timedelta(hours=5))  # the same week: nothing new
    sent = _of_kind(app, "visits_digest")
    assert director.id in sent and "Visits overdue: 1" in sent[director.id][1].text
    assert "王小秘" not in sent[director.id][1].text
    assert other_director.id not in sent or "李小别" not in sent[other_director.id][1].text


def test_supervisors_hear_daily_of_their_towns_problems_unresolved_past_the_escalation_days(app, make):
    director, _other_director, child, _other = _director_world(app, make)
    supervisor = make.user(Role.TOWN_SUPERVISOR, town="shuangshipu", locale="zh_Hans_CN")
    elsewhere = make.user(Role.TOWN_SUPERVISOR, town="fengzhou")
    _raise(app, child, director, days_ago=30)
    _run_twice(app, scan_escalated)
    sent = _of_kind(app, "problems_escalated")
    assert set(sent) == {supervisor.id} and elsewhere.id not in sent
    assert "超过" in sent[supervisor.id][1].text


def test_the_administrator_is_reminded_of_missing_progress_reports_on_1_and_25_october(app, make):
    admin = make.admin(locale="en")
    first = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)  # 09:00 Beijing
    _run_twice(app, scan_progress_reports, first + timedelta(days=1))  # 2 October: nothing
    assert _of_kind(app, "progress_reports_due") == {}
    _run_twice(app, scan_progress_reports, first)
    _run_twice(app, scan_progress_reports, first + timedelta(days=24))
    with app.test_request_context():
        messages = db.session.scalars(
            select(Message).where(Message.kind == "progress_reports_due", Message.recipient_id == admin.id)
        ).all()
        assert sorted(m.occasion for m in messages) == ["2026-10-01", "2026-10-25"]
        text = rendered_for(messages[0]).text
    assert "progress reports for 2026" in text and "Shuangshipu" in text


def test_each_periodic_message_job_runs_once_per_slot_and_commits_what_it_created(app, make):
    from app.notifications.tasks import send_daily_staff_notices, send_reminders, send_shifts_tomorrow

    make.user(Role.COORDINATOR, organization="youth-league")
    make.activity("youth-league", days_ahead=-2)  # ended, not closed: the daily notice has something to say
    with app.app_context():
        first = send_daily_staff_notices.call_local()
        again = send_daily_staff_notices.call_local()  # another worker, the same day
        assert first >= 1 and again is None
        assert send_shifts_tomorrow.call_local() is not None and send_reminders.call_local() is not None
    with app.app_context():
        assert db.session.query(Message).filter_by(kind="activities_to_close").count() == 1
