"""Commands and settings: demo data, the first administrator, production's refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.directory.models import Organization, Village
from app.extensions import db
from config import DevelopmentConfig, ProductionConfig, get_config
from tests.conftest import Auth

DEMO_USERNAMES = [
    "admin",
    "youth-league",
    "womens-federation",
    "social-work-shuangshipu",
    "supervisor-shuangshipu",
    "director-shuangshipu",
    "volunteer",
]


def test_seed_demo_creates_one_account_per_role_and_is_idempotent(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for name in DEMO_USERNAMES:
        assert name in result.output
    assert "volunteer-2" in result.output and "volunteer-3" in result.output
    assert "儿童主任 / Child director" in result.output and "child_director" not in result.output
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        users = db.session.scalars(select(User).where(User.username.in_(DEMO_USERNAMES))).all()
        assert sorted(u.username for u in users) == sorted(DEMO_USERNAMES)
        assert {u.role for u in users} == set(Role)
        director = next(u for u in users if u.username == "director-shuangshipu")
        assert director.villages and all(v.is_demo for v in director.villages)
        assert db.session.scalar(select(func.count(Village.id)).where(Village.is_demo)) > 9
        assert db.session.scalar(select(func.count(Organization.id)).where(Organization.is_demo)) > 0
    assert Auth(app.test_client()).login("social-work-shuangshipu", "shouhu-demo").status_code == 302


def test_seed_demo_first_start_does_nothing_once_accounts_exist(app, runner, make):
    make.user(username="real-person")
    result = runner.invoke(args=["seed-demo", "--first-start"])
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "admin")) is None


def test_seed_demo_is_refused_in_production(app, runner):
    app.config["SEED_DEMO_ALLOWED"] = False
    try:
        result = runner.invoke(args=["seed-demo"])
    finally:
        app.config["SEED_DEMO_ALLOWED"] = True
    assert result.exit_code != 0
    assert "never" in result.output


def test_create_admin(app, runner):
    result = runner.invoke(
        args=["create-admin", "--username", "chief", "--name", "局长", "--password", "county-pass-2026"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "chief"))
        assert user.role == Role.ADMIN and not user.must_change_password
    assert Auth(app.test_client()).login("chief", "county-pass-2026").status_code == 302


def test_create_admin_refuses_a_weak_password(app, runner):
    result = runner.invoke(args=["create-admin", "--username", "weak", "--name", "x", "--password", "123"])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "weak")) is None


@pytest.mark.parametrize("key", ["", "dev", "short-key"])
def test_production_refuses_a_weak_secret_key(monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/shouhu")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig()


@pytest.mark.parametrize("address", [None, "", "shouhu.example.cn"])
def test_production_refuses_to_start_without_its_public_address(monkeypatch, address):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/shouhu")
    if address is None:
        monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("PUBLIC_BASE_URL", address)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        ProductionConfig()


def test_in_development_links_follow_the_address_the_site_is_served_at(app, make):
    """``PORT=5077 make run`` opened from a phone at the machine's address: the page's short link, its QR code's
    target and the calendar feed all name that address, not 127.0.0.1:5000."""
    activity = make.activity()
    app.config["PUBLIC_BASE_URL"] = ""
    try:
        client = app.test_client()
        for base in ("http://192.168.1.20:5077", "http://127.0.0.1:5101"):
            page = client.get(f"/a/{activity.code}", base_url=base).get_data(as_text=True)
            assert f"{base}/a/{activity.code}" in page
            assert "127.0.0.1:5000" not in page
        with app.app_context():  # a job has no request: the address ``flask serve`` listens on
            from app.urls import absolute

            app.config["SERVED_AT"] = "http://192.168.1.20:5077"
            assert absolute("/inbox") == "http://192.168.1.20:5077/inbox"
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://shouhu.test"
        app.config.pop("SERVED_AT", None)


def test_production_refuses_sqlite_unless_allowed(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://shouhu.example.cn")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///prod.db")
    monkeypatch.delenv("ALLOW_SQLITE_IN_PRODUCTION", raising=False)
    with pytest.raises(RuntimeError, match="SQLite"):
        ProductionConfig()
    monkeypatch.setenv("ALLOW_SQLITE_IN_PRODUCTION", "1")
    assert ProductionConfig().SQLALCHEMY_DATABASE_URI == "sqlite:///prod.db"


def test_production_uses_psycopg_for_postgres_urls(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/shouhu")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://shouhu.example.cn")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = ProductionConfig()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/shouhu"
    assert config.SESSION_COOKIE_SECURE and not config.SEED_DEMO_ALLOWED


def test_development_keeps_its_generated_secret_key(monkeypatch, tmp_path):
    import config as config_module

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config_module, "INSTANCE_DIR", tmp_path)
    first = DevelopmentConfig().SECRET_KEY
    assert len(first) >= 32
    assert first == DevelopmentConfig().SECRET_KEY
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_unknown_configuration_name_is_refused():
    with pytest.raises(RuntimeError, match="Unknown configuration"):
        get_config("staging")


def test_seed_demo_files_fictional_children_with_visits_and_attendance(app, runner):
    from app.childcare.models import Attendance, Child, Visit

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        children = db.session.scalars(select(Child)).all()
        assert len(children) >= 24 and all(c.is_demo and "演示" in c.name for c in children)
        assert db.session.scalar(select(func.count(Visit.id))) > 0
        assert db.session.scalar(select(func.count(Attendance.id))) > 0
        from app.mentoring.models import Pairing

        assert db.session.scalar(select(func.count(Pairing.id))) == 2
        # The demo is written through the ORM: the kept yearly counts match a rebuild, and the rebuild command runs.
        from app.reports.models import YearlyReach

        kept = db.session.execute(
            select(YearlyReach.grouping, YearlyReach.key, YearlyReach.year, YearlyReach.children)
        ).all()
        assert kept
    result = runner.invoke(args=["recount-reach"])
    assert result.exit_code == 0 and f"{len(kept)} yearly figures" in result.output
    with app.app_context():
        rebuilt = db.session.execute(
            select(YearlyReach.grouping, YearlyReach.key, YearlyReach.year, YearlyReach.children)
        ).all()
        assert sorted(rebuilt) == sorted(kept)
    auth = Auth(app.test_client())
    auth.login("director-shuangshipu", "shouhu-demo")
    assert "days overdue" in auth.client.get("/children/visits-due?lang=en").get_data(as_text=True)


def test_the_demo_compliance_page_shows_passes_and_failures(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    auth = Auth(app.test_client())
    auth.login("admin", "shouhu-demo")
    page = auth.client.get("/reports/compliance?year=2025&lang=en").get_data(as_text=True)
    assert 'class="tag ok">Met' in page and 'class="tag">Not met' in page
    r8 = page.split('rule-R8"', 1)[1].split("</li>", 1)[0]
    assert "Hekou Town (late)" in r8 and "Huangniupu Town (not submitted)" in r8 and "Fengzhou" not in r8
    overview = auth.client.get("/reports/progress?year=2026&lang=en").get_data(as_text=True)
    assert overview.count("Not submitted") == 7  # Fengzhou and Tangzang have reported; Shuangshipu has not yet


def test_a_web_worker_leaves_out_alembic_and_the_command_line_migrates(tmp_path):
    """gunicorn's app has no Flask-Migrate (alembic is ~12 MiB a worker); `flask --app wsgi db` still migrates."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "SHOUHU_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}"}
    served = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, wsgi; print(sorted(m for m in sys.modules if m.startswith(('alembic', 'flask_migrate'))))",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert served.returncode == 0, served.stderr
    assert served.stdout.strip() == "[]"
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "db"]
    upgraded = subprocess.run([*flask, "upgrade"], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    current = subprocess.run([*flask, "current"], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert current.returncode == 0 and "(head)" in current.stdout, current.stdout + current.stderr
