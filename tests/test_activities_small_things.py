"""Issue 13's small things on a volunteer's pages: one shift's calendar, the subscription as webcal: and an address to
copy, progress to the next star, past activities newest first by year, a cancelled activity in one clear state, and
"already registered? log in" keeping the chosen shift."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

from icalendar import Calendar
from sqlalchemy import select

from app.activities.checkin import hours_to_next_star
from app.activities.models import Shift, Signup, SignupStatus
from app.auth.models import Role
from app.extensions import db
from app.notifications.models import Message
from tests.conftest import Auth


def volunteer(app, make, **extra) -> tuple[Auth, int]:
    user = make.user(Role.VOLUNTEER, **extra)
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth, user.id


def events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_the_calendar_of_one_shift_holds_that_shift_alone(client, make):
    activity = make.activity(shifts=[(9, 12, 3), (14, 17, 3)])
    second = activity.shifts[1]
    found = events(client.get(f"/a/{activity.code}/calendar.ics?shift={second.id}").data)
    assert [str(e["uid"]) for e in found] == [f"shift-{second.id}@shouhu.fengxian"]
    other = make.activity(shifts=[(9, 12, 3)])
    assert client.get(f"/a/{activity.code}/calendar.ics?shift={other.shifts[0].id}").status_code == 404
    assert len(events(client.get(f"/a/{activity.code}/calendar.ics?shift=nonsense").data)) == 2


def test_a_signed_up_volunteer_adds_their_shift_not_the_whole_activity(app, make):
    activity = make.activity(shifts=[(9, 12, 3), (14, 17, 3)])
    auth, user_id = volunteer(app, make)
    auth.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[1].id})
    page = auth.client.get(f"/a/{activity.code}").get_data(as_text=True)
    assert f"/a/{activity.code}/calendar.ics?shift={activity.shifts[1].id}" in page
    assert f'href="/a/{activity.code}/calendar.ics"' not in page
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.recipient_id == user_id))
        assert message.params["shift_id"] == activity.shifts[1].id
    anonymous = app.test_client().get(f"/a/{activity.code}").get_data(as_text=True)
    assert f'href="/a/{activity.code}/calendar.ics"' in anonymous


def test_a_cancelled_activity_offers_no_calendar_and_shows_one_state_with_its_reason(app, make):
    activity = make.activity(shifts=[(9, 12, 3)])
    auth, _user_id = volunteer(app, make)
    auth.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    coordinator = make.user(Role.COORDINATOR, organization="youth-league")
    manager = Auth(app.test_client())
    manager.login(coordinator.username)
    assert manager.post(f"/manage/activities/{activity.id}/cancel", {"reason": "暴雨预警"}).status_code == 302
    page = auth.client.get(f"/a/{activity.code}").get_data(as_text=True)
    assert "calendar.ics" not in page
    mine = auth.client.get("/me/activities").get_data(as_text=True)
    card = mine.split("<h2>", 2)[1]  # the "coming up" list
    assert "活动已取消" in card and "暴雨预警" in card
    assert "已确认" not in card and "时间或地点有变" not in card
    assert 'action="/signups/' not in card


def test_the_star_level_shows_the_hours_to_the_next_star(app, make):
    assert hours_to_next_star(0) == 100
    assert hours_to_next_star(76) == 24
    assert hours_to_next_star(100) == 200
    assert hours_to_next_star(1500) is None
    activity = make.activity(shifts=[(9, 12, 3)], days_ahead=-2)
    auth, user_id = volunteer(app, make)
    with app.app_context():
        shift = db.session.get(Shift, activity.shifts[0].id)
        db.session.add(
            Signup(
                shift=shift,
                user_id=user_id,
                status=SignupStatus.CONFIRMED,
                checked_in_at=shift.starts_at,
                checked_out_at=shift.starts_at + timedelta(hours=2),
            )
        )
        db.session.commit()
    page = auth.client.get("/me/activities?lang=en").get_data(as_text=True)
    assert "98 more hours to 1 star" in page
    page = auth.client.get("/me/activities?lang=zh").get_data(as_text=True)
    assert "再服务 98 小时即可成为1星志愿者" in page


def test_past_activities_are_listed_newest_first_and_grouped_by_year(app, make):
    auth, user_id = volunteer(app, make)
    titles = {}
    with app.app_context():
        for title, days in (("去年的活动", 400), ("上个月的活动", 30), ("上周的活动", 7)):
            activity = make.activity(shifts=[(9, 12, 3)], days_ahead=-days, title=title)
            titles[title] = activity.code
            shift = db.session.get(Shift, activity.shifts[0].id)
            db.session.add(Signup(shift=shift, user_id=user_id, status=SignupStatus.CONFIRMED))
        db.session.commit()
    page = auth.client.get("/me/activities").get_data(as_text=True)
    past = page.split('<details class="year"', 1)[1]
    assert past.index("上周的活动") < past.index("去年的活动")
    if past.index("上个月的活动") < past.index("去年的活动"):
        assert past.index("上周的活动") < past.index("上个月的活动")
    years = re.findall(r"<summary>(\d{4}) 年", page)
    assert years == sorted(set(years), reverse=True) and len(years) >= 2
    assert '<details class="year" open>' in page


def test_the_calendar_subscription_is_a_webcal_link_an_address_to_copy_and_a_folded_qr(app, make):
    auth, _user_id = volunteer(app, make)
    auth.post("/me/calendar/reset")
    page = auth.client.get("/me/activities").get_data(as_text=True)
    feed = re.search(r'value="(http://[^"]+\.ics)"', page).group(1)
    assert 'readonly value="' + feed in page
    assert f'href="webcal://{feed.split("://", 1)[1]}"' in page
    assert re.search(r'<details class="qr-other-device">\s*<summary>[^<]+</summary>\s*<img', page)


def test_logging_in_from_the_sign_up_screen_keeps_the_chosen_shift(app, make):
    activity = make.activity(shifts=[(9, 12, 3), (14, 17, 3)])
    shift_id = activity.shifts[1].id
    client = app.test_client()
    join = f"/a/{activity.code}/join?shift={shift_id}"
    page = client.get(join).get_data(as_text=True)
    login = re.search(r'href="(/login\?next=[^"]+)"', page).group(1)
    assert parse_qs(urlsplit(unescape(login)).query)["next"] == [join]
    user = make.user(Role.VOLUNTEER)
    auth = Auth(client)
    auth.login(user.username)
    response = client.get(join)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/a/{activity.code}#shift-{shift_id}")
