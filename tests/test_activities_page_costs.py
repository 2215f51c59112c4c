"""The volunteer pages at a county's busy summer (205 upcoming activities): the list a page at a time, and what each
page costs in SQL statements, pinned so that a per-card or per-shift query cannot creep back in.

Counts include the test's SAVEPOINT and its rollback around each request (two statements)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.test_activities_pages import logged_in

CARD = re.compile(r'<li class="row activity">')


@pytest.fixture
def summer(make) -> list[str]:
    return make.busy_summer(activities=205)


def test_the_list_shows_twenty_cards_a_page_soonest_first_in_under_20_kb(client, summer):
    first = client.get("/activities?lang=en")
    page = first.get_data(as_text=True)
    assert len(CARD.findall(page)) == 20 and len(first.data) <= 20_000
    assert [code for code in summer[:20] if f'href="/a/{code}"' in page] == summer[:20]
    assert "Page 1 of 11" in page and 'href="/activities?page=2"' in page
    last = client.get("/activities?page=11").get_data(as_text=True)
    assert len(CARD.findall(last)) == 5 and f'href="/a/{summer[-1]}"' in last


def test_the_pager_keeps_the_filters(client, summer):
    from app.formatting import today

    tomorrow = (today() + timedelta(days=1)).isoformat()
    page = client.get(f"/activities?from={tomorrow}&page=2&lang=en").get_data(as_text=True)
    pager = re.findall(r'href="(/activities\?[^"]*)"', page.split('<nav class="pager"')[1])
    assert len(pager) == 2 and all(f"from={tomorrow}" in link for link in pager)
    assert "Page 2 of 11" in page


@pytest.mark.parametrize("page", ["abc", "0", "-3", str(10**23), "999"])
def test_a_bad_or_past_the_end_page_shows_the_first(client, summer, page):
    response = client.get(f"/activities?page={page}&lang=en")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Page 1 of 11" in text and f'href="/a/{summer[0]}"' in text


def test_free_places_on_a_card_count_confirmed_sign_ups_and_never_below_zero(app, make, client):
    activity = make.activity(title="两班活动", shifts=[(9, 12, 5), (13, 15, 1)])
    morning, afternoon = activity.shifts
    for shift in (afternoon, afternoon, morning):  # the second on the afternoon waits
        volunteer, _user = logged_in(app, make)
        volunteer.post(f"/a/{activity.code}/signup", {"shift_id": shift.id})
    assert "4 volunteer places free" in client.get("/activities?lang=en").get_data(as_text=True)
    volunteer, _user = logged_in(app, make)
    assert "4 volunteer places free" in volunteer.client.get("/activities?lang=en").get_data(as_text=True)


def test_the_cached_list_and_cards_show_fresh_places_after_a_sign_up(app, make, client):
    activity = make.activity(shifts=[(9, 12, 2)])
    assert "2 volunteer places free" in client.get("/activities?lang=en").get_data(as_text=True)
    volunteer, _user = logged_in(app, make)
    volunteer.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    assert "1 volunteer places free" in client.get("/activities?lang=en").get_data(as_text=True)
    other, _user = logged_in(app, make)
    other.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    assert "Full — waitlist open" in client.get("/activities?lang=en").get_data(as_text=True)
    assert "Full — waitlist open" in other.client.get("/activities?lang=en").get_data(as_text=True)


def test_the_list_costs_one_query_whatever_the_number_of_activities(app, make, client, summer, count_queries):
    with count_queries() as anonymous:
        assert client.get("/activities?page=3").status_code == 200
    volunteer, _user = logged_in(app, make)
    with count_queries() as signed_in:
        assert volunteer.client.get("/activities?page=3").status_code == 200
    assert anonymous.n == 2 + 2  # the cards (with the total), the towns of the filter
    assert signed_in.n == 2 + 3  # and the user with its login session and unread messages (one statement)


def test_an_activity_page_costs_one_query_anonymous_or_logged_in(app, make, client, summer, count_queries):
    with count_queries() as first:
        assert client.get(f"/a/{summer[0]}").status_code == 200
    with count_queries() as anonymous:
        assert client.get(f"/a/{summer[0]}?lang=zh_Hans_CN").status_code == 200  # another URL: not the page cache
    volunteer, _user = logged_in(app, make)
    with count_queries() as signed_in:
        assert volunteer.client.get(f"/a/{summer[0]}").status_code == 200
    assert first.n == 2 + 1 + 2  # the card rendered once per content: the organizers' and places' names with it
    assert anonymous.n == 2 + 1  # the activity, its shifts and counts
    assert signed_in.n == 2 + 2  # the same query with the volunteer's own sign-ups; the user (session, unread)


def test_the_activity_page_shows_my_sign_ups_and_waitlist_place_from_its_one_query(app, make, count_queries):
    activity = make.activity(shifts=[(9, 12, 1), (13, 15, 1)])
    morning, afternoon = activity.shifts
    first, _user = logged_in(app, make)
    first.post(f"/a/{activity.code}/signup", {"shift_id": morning.id})
    second, _user = logged_in(app, make)
    second.post(f"/a/{activity.code}/signup", {"shift_id": morning.id})
    third, _user = logged_in(app, make)
    third.post(f"/a/{activity.code}/signup", {"shift_id": morning.id})
    third.post(f"/a/{activity.code}/signup", {"shift_id": afternoon.id})
    page = third.client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)
    assert "You are number 2 on the waitlist" in page and "You are signed up" in page
    assert "You are number 1 on the waitlist" in second.client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)
    mine = first.client.get("/me/activities?lang=en").get_data(as_text=True)
    cancel = re.search(r'href="(/signups/\d+/cancel)"', mine).group(1)
    first.post(cancel, {})  # the first cancels: the second moves up and is confirmed, the third is next
    assert "You are signed up" in second.client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)
    page = first.client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)
    assert '<span class="tag ok">' not in page
    assert "You are number 1 on the waitlist" in third.client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)


def test_the_join_page_costs_two_light_queries(client, summer, count_queries):
    with count_queries() as counted:
        page = client.get(f"/a/{summer[0]}/join")
    assert page.status_code == 200
    assert counted.n == 2 + 2  # the activity with its shifts, the organizations' names


def test_the_activity_card_a_logged_in_volunteer_sees_is_cached_but_never_stale(app, make):
    """The card part of the page is rendered once per content: an edit, or signing up (which shows the contact),
    shows at once."""
    from app.activities.models import Activity
    from app.extensions import db

    activity = make.activity(title="缓存活动", shifts=[(9, 12, 5)])
    with app.app_context():
        stored = db.session.get(Activity, activity.id)
        stored.contact_name, stored.contact_phone = "王老师", "13912345678"
        db.session.commit()
    volunteer, _user = logged_in(app, make)
    page = volunteer.client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)
    assert "村委会" in page and "王老师" not in page  # the contact only once signed up
    with app.app_context():
        db.session.get(Activity, activity.id).venue = "镇文化站"
        db.session.commit()
    page = volunteer.client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)
    assert "镇文化站" in page and "村委会" not in page
    volunteer.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    page = volunteer.client.get(f"/a/{activity.code}?lang=en").get_data(as_text=True)
    assert "王老师" in page and "You are signed up" in page
