"""PostgreSQL connection settings that work behind pgbouncer, and a start-up check of the database's JIT setting.

pgbouncer in transaction mode refuses start-up options (``-c jit=off``) and hands each transaction to any server
connection, so psycopg's server-side prepared statements (made after 5 executions) break. JIT is therefore set off
on the database or role by its owner (``ALTER DATABASE shouhu SET jit = off``), and this module warns once, at the
first connection, when it is still on.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

POOLERS = ("pgbouncer",)


def is_behind_pooler(url: str, pooler: str) -> bool:
    """The database is behind a transaction pooler when DATABASE_POOLER says so or the URL names pgbouncer."""
    return pooler.strip().lower() in POOLERS or "pgbouncer" in url.lower()


def configure_postgres_engine(app: Flask) -> None:
    """Behind a pooler psycopg must not prepare statements on the server (``prepare_threshold=None``)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql") or not is_behind_pooler(url, app.config.get("DATABASE_POOLER", "")):
        return
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


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
