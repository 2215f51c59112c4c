"""Flask extensions, created once and bound in ``create_app``: import them from here, never from ``app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# One naming convention, so Alembic names constraints alike on SQLite and PostgreSQL and can drop them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, use WAL and wait for a busy writer instead of failing at once.

    The driver's own transaction handling is switched off so that SQLAlchemy emits BEGIN itself (see below):
    that is what makes SAVEPOINT work and lets a write transaction start with BEGIN IMMEDIATE.
    """
    if not _is_sqlite(dbapi_connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """SQLite: begin explicitly; ``execution_options(sqlite_immediate=True)`` takes the write lock at once."""
    if connection.dialect.name != "sqlite":
        return
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    connection.info["holds_write_lock"] = immediate


_READ_ONLY = ("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "WITH")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_note_write(connection, cursor, statement, parameters, context, executemany) -> None:
    """SQLite: remember that this transaction has written, and so holds the write lock until it ends."""
    if connection.dialect.name == "sqlite" and not statement.lstrip()[:9].upper().startswith(_READ_ONLY):
        connection.info["holds_write_lock"] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _sqlite_end(connection) -> None:
    connection.info.pop("holds_write_lock", None)


def holds_write_lock(connection) -> bool:
    """Whether this SQLite connection's transaction began IMMEDIATE or has written (so no other writer can)."""
    return bool(connection.info.get("holds_write_lock"))
