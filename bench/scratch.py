"""A PostgreSQL database of a benchmark's own, beside the one ``--admin-url`` names, dropped when it is done."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new database (``prefix`` and a random suffix) with JIT off, as production sets it (app/dbcheck.py); yields
    its URL and drops it afterwards, whatever happened (connections still open to it are closed)."""
    base = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text(f'ALTER DATABASE "{name}" SET jit = off'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
