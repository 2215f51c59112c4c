"""Flask extensions, created once and bound in ``create_app``: import them from here, never from ``app``."""

from __future__ import annotations

from functools import lru_cache
from weakref import WeakKeyDictionary

from flask import has_request_context, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from psycopg.pq import TransactionStatus
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


_READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_AUTOCOMMIT_VARIANTS: WeakKeyDictionary = WeakKeyDictionary()


class Session(FlaskSession):
    """``db.session``. On PostgreSQL a reading request (GET, HEAD) reads in autocommit until it first writes.

    psycopg sends ``BEGIN`` as a round trip of its own before a transaction's first statement, and the ``ROLLBACK``
    that ends the request is another: a page that only reads paid two round trips besides its queries. A reading
    request's transactions therefore use the engine in autocommit (the same pool); each statement reads what READ
    COMMITTED would have let it read anyway (its own snapshot). Its first statement that writes or locks begins a
    real transaction first (``_begin_before_writing``), so what a GET writes (the language hook, the inbox's read
    marks) is still atomic and is committed or rolled back as before. SQLite is left as it is: its ``BEGIN`` costs
    no round trip.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is None and isinstance(engine, Engine) and engine.dialect.name == "postgresql" and _reading():
            return _reads_first(engine)
        return engine


def _reading() -> bool:
    return has_request_context() and request.method in _READING_METHODS


def _reads_first(engine: Engine) -> Engine:
    """The engine in autocommit, marked ``reads_first`` (one per engine; it shares the engine's pool)."""
    variant = _AUTOCOMMIT_VARIANTS.get(engine)
    if variant is None:
        variant = _AUTOCOMMIT_VARIANTS[engine] = engine.execution_options(
            isolation_level="AUTOCOMMIT", reads_first=True
        )
    return variant


# What makes a SELECT take a lock, which would end with the statement outside a transaction. SQLAlchemy writes
# these clauses in capitals; our own text() locks name pg_advisory_*.
_LOCKING = ("FOR UPDATE", "FOR SHARE", "FOR NO KEY UPDATE", "FOR KEY SHARE", "pg_advisory")


@lru_cache(maxsize=4096)
def _plain_read(statement: str) -> bool:
    """What a reads-first connection may run outside a transaction: a SELECT that takes no lock. Anything else (a
    write, ``SELECT ... FOR UPDATE``, an advisory lock, a SAVEPOINT, a ``WITH`` that could write) begins one.
    Remembered per statement: compiled statements are the same few strings, and a page's can be long."""
    return statement.lstrip()[:6].upper() == "SELECT" and not any(clause in statement for clause in _LOCKING)


@event.listens_for(Engine, "before_cursor_execute")
def _begin_before_writing(connection, cursor, statement, parameters, context, executemany) -> None:
    """A reads-first connection begins a transaction before its first statement that writes or locks."""
    if not connection.get_execution_options().get("reads_first"):
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.info.transaction_status == TransactionStatus.IDLE and not _plain_read(statement):
        cursor.execute("BEGIN")


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
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
