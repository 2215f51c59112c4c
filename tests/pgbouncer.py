"""A local pgbouncer in transaction mode, one per test session, in front of TEST_DATABASE_URL's PostgreSQL.

The ``pgbouncer`` database of the suite (tests/conftest.py) creates and drops its databases on the direct connection,
then hands the app a URL through this pooler. Nothing here may hang: clients give up connecting after a few
seconds (``connect_timeout``), a client waiting for a server connection is refused after ``query_wait_timeout``, and a
query running longer than ``query_timeout`` is cancelled by pgbouncer (statement_timeout would be a start-up option,
which pgbouncer refuses).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

# The concurrency tests hold 24 transactions at once (tests/test_activities_concurrency.py, test_auth_throttle.py);
# PostgreSQL allows 100 connections, so the pool stays well below that.
POOL_SIZE = 40
CONNECT_TIMEOUT = 10
QUERY_WAIT_TIMEOUT = 30
QUERY_TIMEOUT = 120


def binary() -> str | None:
    """The pgbouncer executable, from PATH or Debian's /usr/sbin."""
    found = shutil.which("pgbouncer")
    if found:
        return found
    return "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgBouncer:
    """One pgbouncer process forwarding every database name to the PostgreSQL of ``server_url``."""

    def __init__(self, server_url: str, executable: str) -> None:
        self.server = make_url(server_url)
        self.executable = executable
        self.port = _free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="shouhu-pgbouncer-"))
        self.process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "pgbouncer.log"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no pgbouncer log)"

    def _ini(self) -> str:
        server = self.server
        return (
            "[databases]\n"
            f"* = host={server.host or '127.0.0.1'} port={server.port or 5432} user={server.username or 'postgres'}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            "auth_type = any\npool_mode = transaction\n"
            f"admin_users = {server.username or 'postgres'}\n"
            f"max_client_conn = 400\ndefault_pool_size = {POOL_SIZE}\n"
            f"query_wait_timeout = {QUERY_WAIT_TIMEOUT}\nquery_timeout = {QUERY_TIMEOUT}\n"
            "server_connect_timeout = 5\nserver_login_retry = 1\nclient_login_timeout = 10\n"
            # Idle server connections of a finished test's database go soon; its DROP … WITH (FORCE) ends the rest.
            "server_idle_timeout = 20\n"
            f"logfile = {self.log_path}\npidfile = {self.workdir}/pgbouncer.pid\n"
            "ignore_startup_parameters = extra_float_digits\n"
        )

    def start(self) -> None:
        """Start the process and wait until it accepts connections; raises RuntimeError if it does not."""
        self.workdir.chmod(0o777)  # pgbouncer refuses to run as root: it runs as 'postgres' and writes its log here
        ini = self.workdir / "pgbouncer.ini"
        ini.write_text(self._ini())
        ini.chmod(0o644)
        command = [self.executable, "-q", str(ini)]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "postgres"]
        self.process = subprocess.Popen(command)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pgbouncer did not start on port {self.port}:\n{self.log_tail()}")

    def stop(self) -> None:
        """End the process (SIGTERM: immediate shutdown) and remove its files."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def url_for(self, direct_url: str) -> str:
        """The same database as ``direct_url``, reached through this pgbouncer."""
        url = make_url(direct_url).set(host="127.0.0.1", port=self.port)
        url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT)})
        return url.render_as_string(hide_password=False)

    def pools(self) -> dict[str, dict]:
        """``SHOW POOLS`` from pgbouncer's console, by database name: how many clients and servers each pool has."""
        import psycopg

        console = f"host=127.0.0.1 port={self.port} dbname=pgbouncer user={self.server.username or 'postgres'}"
        with psycopg.connect(console, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as connection:
            # The console speaks only the simple query protocol: a client-side cursor uses it.
            cursor = psycopg.ClientCursor(connection)
            cursor.execute("SHOW POOLS")
            names = [column.name for column in cursor.description]
            return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}

    def serves(self, url: str) -> bool:
        parsed = make_url(url)
        return parsed.get_backend_name() == "postgresql" and parsed.port == self.port


_session: PgBouncer | None = None


def session_pgbouncer(server_url: str) -> PgBouncer:
    """The session's pgbouncer, started at first use and stopped by :func:`stop_session_pgbouncer` (or at exit)."""
    global _session
    if _session is None:
        executable = binary()
        if executable is None:
            raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer)")
        bouncer = PgBouncer(server_url, executable)
        bouncer.start()
        atexit.register(bouncer.stop)
        _session = bouncer
    return _session


def stop_session_pgbouncer() -> None:
    global _session
    if _session is not None:
        _session.stop()
        _session = None


def is_pooled(url: str) -> bool:
    """Whether ``url`` goes through the session's pgbouncer."""
    return _session is not None and _session.serves(url)
