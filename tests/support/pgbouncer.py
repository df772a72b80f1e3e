"""A private PgBouncer (Debian's package) in transaction pooling mode in front of the suite's PostgreSQL.

``scripts/test.sh`` installs the package when it is missing. PgBouncer refuses to run as root, so as
root it runs as the ``postgres`` user, from a folder that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.live import free_port

BINARY_CANDIDATES = ("pgbouncer", "/usr/sbin/pgbouncer")


def pgbouncer_binary() -> str | None:
    for candidate in BINARY_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


class PgBouncer:
    """``pool_mode = transaction`` with ``server_pool_size`` server connections per database."""

    def __init__(self, upstream_url: str, *, server_pool_size: int = 2) -> None:
        binary = pgbouncer_binary()
        if binary is None:
            msg = "pgbouncer is not installed (scripts/test.sh installs it: apt-get install pgbouncer)"
            raise RuntimeError(msg)
        self.binary = binary
        upstream = make_url(upstream_url)
        self.upstream_host = upstream.host or "127.0.0.1"
        self.upstream_port = upstream.port or 5432
        self.user = upstream.username or "postgres"
        self.server_pool_size = server_pool_size
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="cohort-pgbouncer-"))
        self._process: subprocess.Popen[bytes] | None = None

    def url_for(self, database_url: str) -> str:
        """``database_url`` with its host and port replaced by this PgBouncer's."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def _write_config(self) -> Path:
        (self.folder / "userlist.txt").write_text(f'"{self.user}" ""\n')
        config = self.folder / "pgbouncer.ini"
        config.write_text(
            "\n".join(
                [
                    "[databases]",
                    f"* = host={self.upstream_host} port={self.upstream_port}",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {self.port}",
                    f"unix_socket_dir = {self.folder}",
                    "auth_type = trust",
                    f"auth_file = {self.folder / 'userlist.txt'}",
                    "pool_mode = transaction",
                    # hand out server connections in turn (not the last one used): what a busy
                    # PgBouncer does anyway, so a client's consecutive transactions change servers
                    "server_round_robin = 1",
                    f"default_pool_size = {self.server_pool_size}",
                    "max_client_conn = 200",
                    "ignore_startup_parameters = extra_float_digits,options",
                    f"logfile = {self.folder / 'pgbouncer.log'}",
                    f"pidfile = {self.folder / 'pgbouncer.pid'}",
                    "",
                ]
            )
        )
        return config

    def start(self) -> PgBouncer:
        config = self._write_config()
        command = [self.binary, str(config)]
        if os.geteuid() == 0:  # PgBouncer will not run as root
            postgres = pwd.getpwnam("postgres")
            os.chown(self.folder, postgres.pw_uid, postgres.pw_gid)
            for path in self.folder.iterdir():
                os.chown(path, postgres.pw_uid, postgres.pw_gid)
            command = ["runuser", "-u", "postgres", "--", *command]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                _, err = self._process.communicate()
                raise RuntimeError(f"pgbouncer exited: {err.decode()} {self.log()}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pgbouncer did not listen on {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
