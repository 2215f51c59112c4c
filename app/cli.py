"""``flask`` commands: reference data, demo data, the first administrator."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import func, select

from app.activities.demo import DEMO_VOLUNTEERS, seed_demo_activities
from app.auth.models import Role, User
from app.auth.services import AccountError, StaffData, create_staff_account, hash_password, normalise_phone
from app.childcare.demo import seed_demo_children
from app.childcare.services import today
from app.directory.models import Organization, Town, Village
from app.directory.reference import load_demo_places, load_reference_data
from app.extensions import db
from app.reports.demo import seed_demo_history

DEMO_PASSWORD = "shouhu-demo"  # noqa: S105 - the documented demo password, never in production
# username, role, name, organization code, town code, village names (Chinese), phone
DEMO_ACCOUNTS = [
    ("admin", Role.ADMIN, "县民政局管理员", "mca", None, (), None),
    ("youth-league", Role.COORDINATOR, "团县委联络员", "youth-league", None, (), None),
    ("womens-federation", Role.COORDINATOR, "县妇联联络员", "womens-federation", None, (), None),
    ("social-work-shuangshipu", Role.COORDINATOR, "双石铺镇社工站社工", "sws-shuangshipu", None, (), None),
    ("supervisor-shuangshipu", Role.TOWN_SUPERVISOR, "双石铺镇儿童督导员", None, "shuangshipu", (), None),
    ("director-shuangshipu", Role.CHILD_DIRECTOR, "凤凰村儿童主任", None, "shuangshipu", ("凤凰村", "松林村"), None),
    ("volunteer", Role.VOLUNTEER, "演示志愿者", None, None, (), "13800000001"),
]


def demo_login_lines() -> list[str]:
    """Every demo account, the two extra volunteers of the full shift included, with its role in both languages
    (a reader of the terminal knows the role by its name, not by the code stored in the database)."""
    from app.labels import ROLE_LABELS

    accounts = [(username, role, name) for username, role, name, *_rest in DEMO_ACCOUNTS]
    accounts += [(username, Role.VOLUNTEER, name) for username, name, _phone in DEMO_VOLUNTEERS]
    lines = []
    for username, role, name in accounts:
        with force_locale("zh_Hans_CN"):
            chinese = str(ROLE_LABELS[role])
        with force_locale("en"):
            english = str(ROLE_LABELS[role])
        lines.append(f"  {username:<26} {chinese} / {english} · {name}")
    return lines


def seed_demo_data() -> list[User]:
    """Reference data, demo places and one demo account per role (password ``shouhu-demo``). Idempotent."""
    load_reference_data()
    load_demo_places()
    accounts = []
    for username, role, name, org_code, town_code, village_names, phone in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username, role=role, name=name, phone=phone, password_hash=hash_password(DEMO_PASSWORD)
            )
            if org_code:
                user.organization = db.session.scalar(select(Organization).where(Organization.code == org_code))
            if town_code:
                town = db.session.scalar(select(Town).where(Town.code == town_code))
                if role == Role.TOWN_SUPERVISOR:
                    user.town = town
                user.villages = list(
                    db.session.scalars(
                        select(Village).where(Village.town_id == town.id, Village.name_zh.in_(village_names))
                    )
                )
            db.session.add(user)
        accounts.append(user)
    db.session.flush()
    seed_demo_activities(DEMO_PASSWORD)
    seed_demo_children(today())
    seed_demo_history()
    return accounts


def register_commands(app: Flask) -> None:
    @app.cli.command("load-reference")
    def load_reference_command() -> None:
        """Load or refresh the county's 15 bodies, 9 towns and the towns' governments and stations."""
        load_reference_data()
        db.session.commit()
        click.echo("Reference data loaded: county bodies, towns, town governments and stations.")

    @app.cli.command("seed-demo")
    @click.option("--first-start", is_flag=True, help="Do nothing if any account exists already.")
    def seed_demo_command(first_start: bool) -> None:
        """Load demo places and one demo account per role (never in production)."""
        if not current_app.config["SEED_DEMO_ALLOWED"]:
            raise click.ClickException("Demo data is never loaded in production.")
        load_reference_data()
        has_accounts = db.session.scalar(select(func.count(User.id))) > 0
        if first_start and has_accounts:
            click.echo("Accounts exist already: demo data is not loaded again.")
        else:
            seed_demo_data()
        db.session.commit()
        if db.session.scalar(select(User.id).where(User.username == "admin")) is None:
            return
        click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for line in demo_login_lines():
            click.echo(line)

    @app.cli.command("recount-reach")
    def recount_reach_command() -> None:
        """Recount the kept yearly figures of children reached (after loading rows in bulk, bypassing the ORM)."""
        from app.reports.reach import recount_all

        rows = recount_all()
        db.session.commit()
        click.echo(f"Children reached recounted: {rows} yearly figures.")

    @app.cli.command("purge")
    def purge_command() -> None:
        """Delete expired login sessions, old failed-login counters, used codes and links, and old messages."""
        from app.db_types import utcnow
        from app.housekeeping import purge

        counts = purge(utcnow())
        db.session.commit()
        click.echo(
            f"Purged {counts['sessions']} login sessions and {counts['throttles']} failed-login counters; "
            f"{counts['codes']} sign-in codes, {counts['links']} used links, {counts['messages']} old messages."
        )

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--workers", default=2, show_default=True, type=int, help="Job worker threads in this process.")
    def serve_command(host: str, port: int, workers: int) -> None:
        """Serve the site with the job worker in the same process (``make run``: one command, no second terminal)."""
        import signal

        from werkzeug.serving import run_simple

        from app.jobs import huey

        consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=False)
        consumer.start()
        # The site's server handles Ctrl-C; the worker threads are daemons and stop with it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from app.urls import reachable_address

        served_at = f"http://{reachable_address(host)}:{port}"
        current_app.config["SERVED_AT"] = served_at  # the public address for jobs, which have no request
        click.echo(f"Job worker: {workers} threads on {current_app.config['JOBS_URL']}")
        click.echo(f"Open {served_at} (QR codes and links follow the address you open the site at)")
        run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False, use_debugger=False)

    @app.cli.group("jobs")
    def jobs_group() -> None:
        """The job queue: run a worker (production), or run what is queued now."""

    @jobs_group.command("worker")
    @click.option("--workers", default=2, show_default=True, type=int)
    @click.option("--no-periodic", is_flag=True, help="Do not schedule periodic jobs from this worker.")
    def jobs_worker_command(workers: int, no_periodic: bool) -> None:
        """A worker for the queue ``JOBS_URL`` names (Redis in production; run one on each host). Periodic jobs run
        once per time slot however many workers schedule them."""
        from app.jobs import huey

        huey.create_consumer(workers=workers, worker_type="thread", periodic=not no_periodic).run()

    @jobs_group.command("run-queued")
    def jobs_run_queued_command() -> None:
        """Run every job queued now, in this process, and stop."""
        from app.jobs import run_queued_jobs

        click.echo(f"Ran {run_queued_jobs()} jobs.")

    @app.cli.command("create-admin")
    @click.option("--username", prompt=True, help="Login name of the administrator.")
    @click.option("--name", prompt=True, help="The administrator's real name.")
    @click.option("--phone", default="", help="Optional mainland mobile number.")
    @click.password_option(help="First password (asked for when not given).")
    def create_admin_command(username: str, name: str, phone: str, password: str) -> None:
        """Create a county administrator account (e.g. the first one on a new site)."""
        load_reference_data()
        if phone and normalise_phone(phone) is None:
            raise click.ClickException("That is not a valid mainland mobile number.")
        try:
            user = create_staff_account(
                StaffData(name=name, role=Role.ADMIN, username=username, phone=phone or None), password, by=None
            )
        except AccountError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        user.must_change_password = False
        db.session.commit()
        click.echo(f"Administrator {username} created.")
