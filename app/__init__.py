"""Shouhu (守护): coordinating care activities for Feng County's left-behind children and children in difficulty."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import babel, csrf, db, login_manager
from app.security import register_security_headers
from config import BASE_DIR, INSTANCE_DIR, Config, get_config

__version__ = "0.1.0"


def create_app(config: str | Config | type | None = None) -> Flask:
    """Build the application for a configuration name (development, testing, production) or settings object."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    if config is None or isinstance(config, str):
        config = get_config(config)
    app.config.from_object(config)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    from app.db_types import RowIdConverter

    app.url_map.converters["int"] = RowIdConverter
    _init_extensions(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    register_security_headers(app)

    from app.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app import i18n, models  # noqa: F401 - every table on the metadata
    from app.auth.sessions import load_user_from_session
    from app.dbcheck import configure_postgres_engine, watch_jit
    from app.domain import begin_request_write
    from app.forms import refuse_control_characters
    from app.reports import reach  # noqa: F401 - the flush hooks that keep the yearly counts exact

    configure_postgres_engine(app)  # pgbouncer-safe; JIT is a database setting (app/dbcheck.py)
    db.init_app(app)
    with app.app_context():
        watch_jit(db.engine)
    if _binds_migrations(app):
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.user_loader(load_user_from_session)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.N_("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = i18n.gettext_now
    app.before_request(i18n.remember_language)
    app.before_request(refuse_control_characters)  # after the language hook, so the 400 page is translated
    app.before_request(begin_request_write)  # after the language hook, which may commit
    from app import jobs
    from app.childcare import import_jobs  # noqa: F401 - the import job on the queue
    from app.notifications import tasks  # noqa: F401 - the message jobs on the queue

    jobs.init_jobs(app)


def _binds_migrations(app: Flask) -> bool:
    """Whether this app gets Flask-Migrate: for a command line (``flask db upgrade``) and where the config says so
    (the tests). A web worker never migrates, and leaving Flask-Migrate out spares it importing alembic: about
    12 MiB of every worker's memory and 0.4 s of its start."""
    if app.config["BIND_MIGRATE"] is not None:
        return app.config["BIND_MIGRATE"]
    import click

    return click.get_current_context(silent=True) is not None


def _register_blueprints(app: Flask) -> None:
    from app.accounts.routes import bp as accounts_bp
    from app.activities.manage import bp as manage_bp
    from app.activities.public import bp as activities_bp
    from app.audit.routes import bp as audit_bp
    from app.auth.routes import bp as auth_bp
    from app.childcare.routes import bp as children_bp
    from app.directory.routes import bp as directory_bp
    from app.errors.handlers import bp as errors_bp
    from app.main.routes import bp as main_bp
    from app.mentoring.routes import bp as mentoring_bp
    from app.notifications.routes import bp as messages_bp
    from app.reports.routes import bp as reports_bp

    for blueprint in (
        main_bp,
        auth_bp,
        activities_bp,
        manage_bp,
        children_bp,
        mentoring_bp,
        reports_bp,
        accounts_bp,
        directory_bp,
        audit_bp,
        messages_bp,
        errors_bp,
    ):
        app.register_blueprint(blueprint)


def _register_template_helpers(app: Flask) -> None:
    from app import formatting, i18n, labels, permissions
    from app.notifications.channels import dev_code
    from app.notifications.services import unread_messages

    app.jinja_env.globals.update(
        can=permissions.can,
        Permission=permissions.Permission,
        lname=i18n.localized_name,
        is_chinese=i18n.is_chinese,
        label=labels.label,
        language_url=i18n.language_url,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
        unread_messages=unread_messages,
        dev_code=dev_code,
    )
    formatting.register_filters(app)
