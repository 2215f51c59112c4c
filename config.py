"""Settings for development, testing and production, read from the environment.

Production refuses to start without a real SECRET_KEY, and on SQLite unless ALLOW_SQLITE_IN_PRODUCTION is set.
Development keeps a generated secret key in ``instance/secret_key`` so sessions survive restarts.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("SHOUHU_INSTANCE_DIR", BASE_DIR / "instance"))

WEAK_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret", "shouhu"}


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _hours(value: str) -> tuple[int, int]:
    """``"21-8"`` as (21, 8): a span of Beijing hours that may pass midnight."""
    start, _, end = value.partition("-")
    return int(start) % 24, int(end or start) % 24


def _normalise_database_url(url: str) -> str:
    """Accept the plain ``postgresql://`` and ``postgres://`` forms and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret_key() -> str:
    """Create once, then reuse, a random secret key kept in the instance folder (development only)."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Settings shared by every environment."""

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")
    # No pre-ping (a SELECT 1 before every request): PostgreSQL connections are checked at checkout by polling their
    # socket, and recycled after half an hour (app/dbcheck.py); an SQLite file cannot hang up.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # "pgbouncer" (transaction pooling): psycopg then prepares no statements on the server (app/dbcheck.py).
    DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "")
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    IMPORT_JOB_ROWS = 500  # an upload of more rows is imported by a job, its page showing the progress
    # Strict-Transport-Security's max-age, sent only on HTTPS requests (app/security.py).
    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", str(365 * 86400)))
    # The address QR codes, links and messages carry; empty (development) follows the address served at (app/urls.py).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    # werkzeug hash method; tests lower the cost, everything else uses scrypt.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a password
    # Failed-login throttle, per account and address: free tries, then a growing wait, then a lock.
    LOGIN_FREE_FAILURES = 3
    LOGIN_LOCK_FAILURES = 10
    LOGIN_LOCK_MINUTES = 15
    # Per account across all addresses (untrusted browsers only); a returning browser's device cookie lasts a year.
    LOGIN_ACCOUNT_FAILURES = 10
    LOGIN_ACCOUNT_WINDOW_MINUTES = 15
    LOGIN_DEVICE_COOKIE_DAYS = 365
    SEED_DEMO_ALLOWED = True
    # R3 visit rules (the plan's defaults): contact weekly and a home visit monthly; with a risk flag a contact every
    # 3 days and a home visit every 14 (the administrator's visit policy replaces these; app/childcare/visits.py).
    VISIT_CONTACT_DAYS = int(os.environ.get("VISIT_CONTACT_DAYS", "7"))
    VISIT_HOME_DAYS = int(os.environ.get("VISIT_HOME_DAYS", "30"))
    VISIT_HOME_DAYS_RISK = int(os.environ.get("VISIT_HOME_DAYS_RISK", "14"))
    VISIT_CONTACT_DAYS_RISK = int(os.environ.get("VISIT_CONTACT_DAYS_RISK", "3"))
    # Days a problem may stay unresolved before it appears on the town supervisor's list.
    PROBLEM_ESCALATION_DAYS = int(os.environ.get("PROBLEM_ESCALATION_DAYS", "7"))
    # Jobs (huey): "sqlite:///path" (embedded, the default for ``make run``), "redis://host:port/db" (production)
    # or "memory" (the tests, which run queued jobs themselves).
    JOBS_URL = os.environ.get("JOBS_URL", f"sqlite:///{INSTANCE_DIR / 'jobs.sqlite3'}")
    # Channels: "dev" keeps SMS and e-mail on this machine (the development outbox); production names real ones.
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "dev")  # dev | tencent
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "dev")  # dev | smtp
    # Tencent Cloud SMS (app/notifications/sms.py): keys, the SMS app, the approved sign name and template ids as
    # JSON {"<kind>": "<id>", "<kind>:en": "<id>"}; TENCENT_SMS_ENDPOINT only to point the SDK elsewhere (tests).
    TENCENT_SECRET_ID = os.environ.get("TENCENT_SECRET_ID", "")
    TENCENT_SECRET_KEY = os.environ.get("TENCENT_SECRET_KEY", "")
    TENCENT_SMS_APP_ID = os.environ.get("TENCENT_SMS_APP_ID", "")
    TENCENT_SMS_SIGN_NAME = os.environ.get("TENCENT_SMS_SIGN_NAME", "")
    TENCENT_SMS_REGION = os.environ.get("TENCENT_SMS_REGION", "ap-guangzhou")
    TENCENT_SMS_ENDPOINT = os.environ.get("TENCENT_SMS_ENDPOINT", "")
    TENCENT_SMS_TEMPLATES = os.environ.get("TENCENT_SMS_TEMPLATES", "{}")
    # Characters a template variable may hold: 6 for new accounts; the SMS console's template page shows the account's.
    TENCENT_SMS_PARAM_LENGTH = int(os.environ.get("TENCENT_SMS_PARAM_LENGTH", "6"))
    # Sign-in codes (app/auth/codes.py): minutes valid, wrong tries per code, and send limits as (seconds, count):
    # per number (all purposes together) and per address (a village's shared network must still get through an event).
    SMS_CODE_MINUTES = 5
    SMS_CODE_ATTEMPTS = 5
    SMS_CODE_LIMITS_PER_NUMBER = ((60, 1), (3600, 5), (86400, 10))
    SMS_CODE_LIMITS_PER_ADDRESS = ((3600, 30),)
    # SMTP for e-mail (app/notifications/email.py).
    SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "")  # "" | starttls | ssl
    MAIL_FROM = os.environ.get("MAIL_FROM", "Shouhu <noreply@shouhu.local>")
    # No SMS between these Beijing hours unless urgent (a same-day cancellation); at most this many SMS and e-mails
    # a recipient a day (urgent ones always go).
    QUIET_HOURS = _hours(os.environ.get("QUIET_HOURS", "21-8"))  # "0-0": none
    MESSAGE_DAILY_CAP = int(os.environ.get("MESSAGE_DAILY_CAP", "8"))
    # Deliveries: tries, and the waits between them (minutes).
    DELIVERY_RETRY_MINUTES = (1, 5, 30, 120)
    # How many reverse proxies stand in front (their X-Forwarded-For is trusted): the throttle needs real addresses.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    # Flask-Migrate (and alembic) only where migrations run: None = when the app is made for a `flask` command.
    BIND_MIGRATE: bool | None = None


class DevelopmentConfig(Config):
    DEBUG = False
    # The demo shows each SMS code on the page that asked for it (no SMS leaves the machine in development).
    SHOW_DEV_CODES = _env_flag("SHOW_DEV_CODES", True)
    SQLALCHEMY_DATABASE_URI = _normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'shouhu.sqlite3'}")
    )

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _instance_secret_key()


class TestingConfig(Config):
    TESTING = True
    BIND_MIGRATE = True
    SECRET_KEY = "testing-only-secret-key"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = _normalise_database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - fast hashing for tests only
    PUBLIC_BASE_URL = "http://shouhu.test"
    SERVER_NAME = None
    JOBS_URL = "memory"
    SMS_BACKEND = "dev"
    EMAIL_BACKEND = "dev"


class ProductionConfig(Config):
    SEED_DEMO_ALLOWED = False

    def __init__(self) -> None:
        key = os.environ.get("SECRET_KEY", "")
        if key.strip().lower() in WEAK_SECRET_KEYS or len(key) < 32:
            raise RuntimeError("Production needs SECRET_KEY set to a random value of at least 32 characters.")
        url = os.environ.get("DATABASE_URL", "")
        if not url:
            raise RuntimeError("Production needs DATABASE_URL (PostgreSQL).")
        if url.startswith("sqlite") and not _env_flag("ALLOW_SQLITE_IN_PRODUCTION"):
            raise RuntimeError("Production refuses SQLite; set ALLOW_SQLITE_IN_PRODUCTION=1 to allow it explicitly.")
        self.SECRET_KEY = key
        self.SQLALCHEMY_DATABASE_URI = _normalise_database_url(url)
        public = os.environ.get("PUBLIC_BASE_URL", "").strip()
        if not public.lower().startswith(("http://", "https://")):
            raise RuntimeError(
                "Production needs PUBLIC_BASE_URL: the address people reach the site at, e.g. "
                "https://shouhu.example.cn (QR codes, short links, calendars and messages carry it)."
            )
        self.PUBLIC_BASE_URL = public.rstrip("/")
        # Cookies are Secure when the site is served over HTTPS (PUBLIC_BASE_URL's scheme) unless
        # SESSION_COOKIE_SECURE says otherwise: an HTTP-only county intranet must still be able to log in.
        self.SESSION_COOKIE_SECURE = _env_flag(
            "SESSION_COOKIE_SECURE", self.PUBLIC_BASE_URL.lower().startswith("https://")
        )
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> Config:
    """Return a settings object for ``name`` (default: ``SHOUHU_ENV``, then development)."""
    name = name or os.environ.get("SHOUHU_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"Unknown configuration {name!r}; use one of {', '.join(CONFIGS)}") from None
