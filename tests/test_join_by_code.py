"""The poster path: two screens, no password to invent. The code proves the number: a new one becomes a volunteer
without a password hash, a known one is signed in (never a second account), and either is signed up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.activities.models import Signup, SignupStatus
from app.auth.models import Role, User
from app.extensions import db
from app.notifications.models import CodePurpose, SmsCode
from tests.codes import last_code, post_form

NUMBER = "13766668888"


def _form(activity, shift_index: int = 0, phone: str = NUMBER, **extra) -> dict:
    return {
        "join-shift_id": activity.shifts[shift_index].id,
        "join-name": "扫码志愿者",
        "join-phone": phone,
        "join-organization_id": "0",
        "join-consent": "y",
        **extra,
    }


def test_the_poster_path_is_two_screens_and_two_posts(app, make):
    activity = make.activity(shifts=[(9, 12, 3), (14, 17, 3)])
    client = app.test_client()
    requests = []
    original_open = client.open

    def counting_open(*args, **kwargs):
        response = original_open(*args, **kwargs)
        requests.append((kwargs.get("method") or "GET", response.request.path, response.status_code))
        return response

    client.open = counting_open
    poster = client.get(f"/a/{activity.code}").get_data(as_text=True)  # screen one: the activity, choose a shift
    join_url = f"/a/{activity.code}/join?shift={activity.shifts[1].id}"
    assert f'href="{join_url}"' in poster.replace("&amp;", "&")
    screen = client.get(join_url).get_data(as_text=True)  # screen two: name, phone, "get code"
    assert 'name="join-phone"' in screen and 'name="join-code"' not in screen and 'type="password"' not in screen
    token = _token(screen)
    sent = client.post(join_url, data={**_form(activity, 1), "action": "send", "join-csrf_token": token})
    page = sent.get_data(as_text=True)  # the same screen, name and number kept, now with the code field
    assert sent.status_code == 200 and 'name="join-code"' in page
    assert 'value="扫码志愿者"' in page and f'value="{NUMBER}"' in page
    code = last_code(NUMBER)
    done = client.post(join_url, data={**_form(activity, 1, **{"join-code": code}), "join-csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == "/me/activities"
    assert [(method, status) for method, _path, status in requests] == [
        ("GET", 200),
        ("GET", 200),
        ("POST", 200),
        ("POST", 302),
    ]
    mine = client.get("/me/activities").get_data(as_text=True)
    assert activity.title in mine
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == NUMBER))
        # No password, so no password hash was computed for it (scrypt costs a weak server dearly under a poster rush).
        assert user.role == Role.VOLUNTEER and user.password_hash == "" and user.privacy_consent_at is not None
        signup = db.session.scalar(select(Signup).where(Signup.user_id == user.id))
        assert signup.shift_id == activity.shifts[1].id and signup.status == SignupStatus.CONFIRMED


def _token(page: str) -> str:
    from tests.conftest import CSRF_RE

    return CSRF_RE.search(page).group(1)


def test_a_known_number_is_signed_in_and_signed_up_without_a_second_account(app, make, client):
    user = make.user(Role.VOLUNTEER, username="laozhang", phone=NUMBER, name="老张")
    activity = make.activity(shifts=[(9, 12, 1)])
    make_full = make.user(Role.VOLUNTEER, username="first")
    with app.app_context():
        db.session.add(Signup(shift_id=activity.shifts[0].id, user_id=make_full.id, status=SignupStatus.CONFIRMED))
        db.session.commit()
    page = f"/a/{activity.code}/join"
    post_form(client, page, {**_form(activity), "action": "send"}, prefix="join-")
    response = post_form(client, f"{page}?lang=en", _form(activity, **{"join-code": last_code(NUMBER)}), prefix="join-")
    assert response.status_code == 302
    assert "number 1 on the waitlist" in client.get("/me/activities?lang=en").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.phone == NUMBER)) == 1
        kept = db.session.get(User, user.id)
        assert kept.name == "老张" and kept.has_password  # the typed name does not overwrite the account's
        signup = db.session.scalar(select(Signup).where(Signup.user_id == user.id))
        assert signup.status == SignupStatus.WAITLISTED


def test_a_wrong_code_on_the_join_screen_keeps_the_form_and_creates_nothing(app, make, client):
    activity = make.activity()
    page = f"/a/{activity.code}/join"
    post_form(client, page, {**_form(activity), "action": "send"}, prefix="join-")
    code = last_code(NUMBER)
    wrong = f"{(int(code) + 7) % 10**6:06d}"
    response = post_form(client, f"{page}?lang=en", _form(activity, **{"join-code": wrong}), prefix="join-")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "The code is not correct" in text and 'value="扫码志愿者"' in text
    with app.app_context():
        assert db.session.scalar(select(User).where(User.phone == NUMBER)) is None
        assert db.session.scalar(select(SmsCode.attempts).where(SmsCode.phone == NUMBER)) == 1


def test_a_refused_sign_up_gives_the_code_back(app, make, client):
    from app.activities.models import Shift
    from app.db_types import utcnow

    activity = make.activity(shifts=[(9, 12, 3), (14, 17, 3)])
    page = f"/a/{activity.code}/join"
    post_form(client, page, {**_form(activity), "action": "send"}, prefix="join-")
    code = last_code(NUMBER)
    with app.app_context():  # the first shift starts while the newcomer waits for the code
        db.session.get(Shift, activity.shifts[0].id).starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    response = post_form(client, f"{page}?lang=en", _form(activity, **{"join-code": code}), prefix="join-")
    assert response.status_code == 422 and "already started" in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(select(SmsCode).where(SmsCode.phone == NUMBER))
        assert row.used_at is None and row.purpose == CodePurpose.JOIN
        assert db.session.scalar(select(User).where(User.phone == NUMBER)) is None
    assert post_form(client, page, _form(activity, 1, **{"join-code": code}), prefix="join-").status_code == 302


def test_a_logged_in_volunteer_skips_the_join_screen(app, make):
    from tests.conftest import Auth

    activity = make.activity()
    make.user(Role.VOLUNTEER, username="known")
    auth = Auth(app.test_client())
    auth.login("known")
    response = auth.client.get(f"/a/{activity.code}/join")
    assert response.status_code == 302 and response.headers["Location"] == f"/a/{activity.code}"


def test_in_development_the_join_screen_shows_the_code_it_sent(app, make):
    """The demo can be tried without a phone: with SMS kept on the machine the page shows the code; never
    otherwise (the tests' configuration, like production, shows nothing)."""
    activity = make.activity()
    client = app.test_client()
    page = f"/a/{activity.code}/join?shift={activity.shifts[0].id}"
    hidden = post_form(client, page, {**_form(activity), "action": "send"}, prefix="join-").get_data(as_text=True)
    assert last_code(NUMBER) not in hidden
    app.config["SHOW_DEV_CODES"] = True
    try:
        client = app.test_client()
        shown = post_form(client, page, {**_form(activity, phone="13766669999"), "action": "send"}, prefix="join-")
        assert last_code("13766669999") in shown.get_data(as_text=True)
    finally:
        app.config["SHOW_DEV_CODES"] = False
