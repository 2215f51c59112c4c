"""What one person's home page lists before its menu, by what they do (``app.permissions``): the queries are in
``app.main.worklists`` (problems, visits, activities to close) and ``app.main.agenda`` (shifts, waitlists,
registrations, R3, the county's due and late)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.auth.models import User
from app.directory.models import Town
from app.main import agenda, worklists
from app.main.worklists import Capped, Visits
from app.permissions import is_admin, is_child_director, is_coordinator, is_town_supervisor
from app.reports.visit_rules import Shares

HOME_CAP = 3  # problems on the home page: the rest one tap away, so the visits stay on the first screen


@dataclass
class Home:
    """What the home page lists first for one user; a section is None when it is not theirs."""

    raised: Capped | None = None
    own: Capped | None = None
    visits: Visits | None = None
    registered: Capped | None = None
    age_limit: Capped | None = None
    escalated: Capped | None = None
    escalated_towns: list[tuple[Town, int]] | None = None
    escalation_days: int | None = None
    r3: Shares | None = None
    is_supervisor: bool = False
    shifts: list[agenda.ShiftItem] | None = None
    waitlists: Capped | None = None
    ended_activities: Capped | None = None
    ended_pairings: Capped | None = None
    proposals: int | None = None
    county: agenda.CountyDue | None = None

    @property
    def escalated_total(self) -> int:
        return sum(n for _town, n in self.escalated_towns or ())

    @property
    def calm_towns(self) -> list[Town]:
        """The towns with no escalated problem (the county's view)."""
        return [town for town, n in self.escalated_towns or () if not n]


def for_user(user: User, day: date, now: datetime) -> Home:
    """The worklist sections of ``user``'s home page: a child director's problems, visits, children registered for
    activities and age limits; a supervisor's escalated problems and R3 figure; a coordinator's shifts of today and
    tomorrow, waitlists, activities to close, pairings ended by the system and open proposals; the county's
    escalated count per town, late progress reports, failed messages and activities not closed."""
    work = Home()
    if is_child_director(user):
        work.raised = worklists.raised_by_others(user, day, limit=HOME_CAP)
        work.visits = worklists.visits(user, day)
        work.registered = agenda.registered_children(user, now)
        work.own = worklists.own_problems(user, day, limit=HOME_CAP)
        work.age_limit = worklists.at_age_limit(user, day)
    if is_town_supervisor(user) or is_admin(user):
        work.escalation_days = worklists.escalation_days()
    if is_town_supervisor(user):
        work.is_supervisor = True
        work.escalated = worklists.escalated(user, day, days=work.escalation_days, limit=HOME_CAP)
        work.r3 = agenda.town_r3(user, day)
    if is_admin(user):
        work.escalated_towns = worklists.escalated_by_town(user, day, days=work.escalation_days)
        work.county = agenda.county_due(day)
        work.ended_activities = worklists.ended_not_closed(user, now, limit=HOME_CAP)
    if is_coordinator(user):
        work.shifts = agenda.shifts_soon(user, day)
        work.waitlists = agenda.waitlists(user, now)
        work.ended_activities = worklists.ended_not_closed(user, now)
        work.ended_pairings, work.proposals = worklists.ended_by_system(user), worklists.open_proposals(user)
    return work
