"""PostgreSQL connection settings that work behind pgbouncer, and a start-up check of the database's JIT setting.

pgbouncer in transaction mode refuses start-up options (``-c jit=off``) and hands each transaction to any server
connection, so psycopg's server-side prepared statements (made after 5 executions) break. JIT is therefore set off
on the database or role by its owner (``ALTER DATABASE shouhu SET jit = off``), and this module warns once, at the
first connection, when it is still on.
"""

from __future__ import annotations

import logging
import select

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

logger = logging.getLogger(__name__)

POOLERS = ("pgbouncer",)


def is_behind_pooler(url: str, pooler: str) -> bool:
    """The database is behind a transaction pooler when DATABASE_POOLER says so or the URL names pgbouncer."""
    return pooler.strip().lower() in POOLERS or "pgbouncer" in url.lower()


# A pooled connection older than this is closed and opened again at its next checkout (a firewall or NAT that
# forgets an idle connection sends no goodbye the check below could see).
POOL_RECYCLE_SECONDS = 1800


def configure_postgres_engine(app: Flask) -> None:
    """Connections are checked at checkout without a round trip (``_check_alive``) instead of SQLAlchemy's pre-ping,
    which costs one ``SELECT 1`` per request, and recycled after half an hour. Behind a pooler psycopg must not
    prepare statements on the server (``prepare_threshold=None``)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        return
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    options.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    if is_behind_pooler(url, app.config.get("DATABASE_POOLER", "")):
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def server_has_hung_up(dbapi_connection) -> bool:
    """Whether the server (or pgbouncer) has closed this idle connection. An idle connection receives nothing; if
    its socket is readable, what waits there is a goodbye (a restart's FATAL message, or the end of the stream).
    Found by polling the socket, without a round trip."""
    try:
        fileno = dbapi_connection.fileno()
    except Exception:  # closed on our side already
        return True
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


@event.listens_for(Pool, "checkout")
def _check_alive(dbapi_connection, _record, _proxy) -> None:
    """PostgreSQL: a connection the server has hung up on is replaced at checkout (the pool tries a fresh one)."""
    if type(dbapi_connection).__module__.startswith("psycopg") and server_has_hung_up(dbapi_connection):
        raise DisconnectionError("the server closed this connection")


def warn_if_jit_on(dbapi_connection, _record=None) -> bool:
    """Log a warning when the server's JIT is on; returns whether it is. Never raises: a failure here is not fatal."""
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SHOW jit")
        value = str(cursor.fetchone()[0])
        cursor.close()
        dbapi_connection.rollback()
    except Exception:  # a start-up check must never stop the app from connecting
        logger.debug("could not read PostgreSQL's jit setting", exc_info=True)
        return False
    if value.lower() == "on":
        logger.warning(
            "PostgreSQL's jit is on: report queries may spend ~200 ms compiling. "
            "Run ALTER DATABASE <name> SET jit = off (or ALTER ROLE <user> SET jit = off); "
            "see docs/deploy-pgbouncer.md."
        )
        return True
    return False


def watch_jit(engine: Engine) -> None:
    """Check ``SHOW jit`` once, at the engine's first connection (not per request; SQLite is left alone)."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "first_connect", warn_if_jit_on)
