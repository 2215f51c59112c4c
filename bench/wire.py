"""What psycopg really sends to PostgreSQL: libpq's own protocol trace (``PQtrace``) of every connection an engine
checks out while recording, read back as round trips.

psycopg sends ``BEGIN``, ``COMMIT`` and ``ROLLBACK`` by itself (no statement event sees them), and skips the
``ROLLBACK`` when no transaction is open on the server, so counting events would only guess. A round trip is one
``Query`` (simple protocol: ``BEGIN``, ``ROLLBACK``, ...) or one ``Sync`` (the extended protocol's end of a statement
with parameters) sent by the client.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field

from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Engine

_SENT = re.compile(r'^F\t\d+\t(Query|Sync|Execute)\b\s*(?:"([^"]*)")?', re.M)
_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class Wire:
    """One recording: the round trips, the statements among them, and the transaction commands sent (BEGIN, COMMIT,
    ROLLBACK, SAVEPOINT, RELEASE)."""

    round_trips: int = 0
    statements: int = 0
    commands: list[str] = field(default_factory=list)

    @property
    def begins(self) -> int:
        return sum(command.upper().startswith("BEGIN") for command in self.commands)

    @property
    def ends(self) -> int:
        return sum(command.upper() in ("COMMIT", "ROLLBACK") for command in self.commands)


def read_trace(text: str) -> Wire:
    wire = Wire()
    for kind, query in _SENT.findall(text):
        if kind == "Execute":  # a statement with parameters: Parse, Bind, Execute ... Sync (one round trip)
            wire.statements += 1
            continue
        wire.round_trips += 1
        if kind == "Query" and query.strip().upper().startswith(_TRANSACTION):
            wire.commands.append(query.strip())
        elif kind == "Query":
            wire.statements += 1
    return wire


class WireRecorder:
    """``with recorder.recording() as wire: ...``: the round trips the engine's connections made meanwhile. PostgreSQL
    (psycopg) only; every connection checked out while recording is traced until it is checked in."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("only psycopg connections can be traced")
        # An unnamed file: it is gone when the process is, however it ends (a gunicorn worker is killed).
        self._stream = tempfile.TemporaryFile("w+")  # noqa: SIM115 - open for the recorder's life; closed in close()
        self.active = False
        self._traced: set[int] = set()
        event.listen(engine.pool, "checkout", self._checkout)
        event.listen(engine.pool, "checkin", self._checkin)

    def _checkout(self, dbapi_connection, _record, _proxy) -> None:
        if self.active:
            self._trace(dbapi_connection)

    def _trace(self, dbapi_connection) -> None:
        pgconn = dbapi_connection.pgconn
        # libpq writes (and flushes) each message through a stream of its own on our descriptor; psycopg never closes
        # that stream, so the descriptor is not copied (a copy per checkout would leak one descriptor each).
        pgconn.trace(self._stream.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        self._traced.add(id(dbapi_connection))

    def _checkin(self, dbapi_connection, _record) -> None:
        if dbapi_connection is not None and id(dbapi_connection) in self._traced:
            self._traced.discard(id(dbapi_connection))
            dbapi_connection.pgconn.untrace()

    @property
    def written(self) -> int:
        """Bytes of trace written since the last ``start()`` (0 while nothing was traced)."""
        self._stream.flush()
        return os.fstat(self._stream.fileno()).st_size

    def start(self) -> None:
        self._stream.seek(0)
        self._stream.truncate()
        self.active = True

    def stop(self) -> Wire:
        self.active = False
        self._stream.flush()
        self._stream.seek(0)
        return read_trace(self._stream.read())

    def close(self) -> None:
        self._stream.close()
