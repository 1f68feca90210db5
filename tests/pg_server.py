"""A throwaway PostgreSQL server for the tests, run with the system's own binaries.

:class:`PostgresServer` makes a new cluster in a temporary folder with
``initdb``, starts it with ``pg_ctl`` on 127.0.0.1 on a free port (TCP only,
no Unix socket) and, on :meth:`PostgresServer.stop`, stops it and deletes the
folder. The superuser ``knee_cv`` logs in with a random password
(SCRAM-SHA-256), as a clinic server would be set up, and the server's time
zone is Pacific/Chatham (UTC+12:45 or +13:45) so that a datetime that loses
its zone on the way in or out shows as a wrong time, not as a coincidence.

PostgreSQL refuses to run as root, so under root (CI) the cluster belongs to
the ``postgres`` system user that Debian's ``postgresql`` package creates, and
``initdb`` and ``pg_ctl`` run through ``runuser``.

Durability is switched off (``fsync``, ``full_page_writes``): the cluster
lives for one test run and is deleted afterwards.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BINDIR_ENV = "KNEE_CV_PG_BINDIR"
"""Environment variable naming a folder with ``initdb`` and ``pg_ctl`` (overrides the search)."""

SUPERUSER = "knee_cv"
TIMEZONE = "Pacific/Chatham"
START_TIMEOUT_S = 60


def find_bindir() -> Path | None:
    """The folder with PostgreSQL's server binaries, or None when there is none.

    Looks in ``$KNEE_CV_PG_BINDIR``, then Debian's ``/usr/lib/postgresql/N/bin``
    (the newest N), then wherever ``initdb`` on the PATH really lives.
    """
    candidates = []
    if os.environ.get(BINDIR_ENV):
        candidates.append(Path(os.environ[BINDIR_ENV]))
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted((Path(d) for d in debian), key=lambda d: int(re.sub(r"\D", "", d.parent.name) or 0), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One temporary PostgreSQL cluster on 127.0.0.1 (see the module docstring).

    Parameters
    ----------
    bindir : Path
        Folder with ``initdb`` and ``pg_ctl`` (see :func:`find_bindir`).
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.password = secrets.token_hex(16)
        self.port: int | None = None
        self.folder: Path | None = None
        self._owner = None
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            import pwd

            try:
                self._owner = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "running as root, PostgreSQL needs another user to own its cluster: "
                    "create the 'postgres' system user (Debian's postgresql package does)"
                ) from None
        self._n_databases = 0

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / tool), *args]
        if self._owner is not None:
            command = ["runuser", "-u", self._owner.pw_name, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, cwd=self.folder)

    def start(self) -> None:
        """Create the cluster and start the server; raise RuntimeError with the log when it fails."""
        # Under root the cluster's user must reach the folder: /tmp, not a $TMPDIR that may be root's own.
        self.folder = Path(tempfile.mkdtemp(prefix="knee_cv-pg-", dir="/tmp" if self._owner else None))
        if self._owner is not None:
            os.chown(self.folder, self._owner.pw_uid, self._owner.pw_gid)
        pwfile = self.folder / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._owner is not None:
            os.chown(pwfile, self._owner.pw_uid, self._owner.pw_gid)
        done = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        pwfile.unlink()
        if done.returncode:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                f"timezone = '{TIMEZONE}'\n"
                "fsync = off\nfull_page_writes = off\n"
            )
        for _attempt in range(3):  # another process may take the free port before the server binds it
            self.port = _free_port()
            done = self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                f"-p {self.port}",
                "start",
            )
            if done.returncode == 0:
                return
        log = self.log.read_text() if self.log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start:\n{done.stdout}\n{done.stderr}\n{log[-4000:]}")

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        if self.folder is None:
            return
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database`` on this server, with the psycopg (v3) driver."""
        return f"postgresql+psycopg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, password=self.password, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    def create_database(self) -> str:
        """Create a new empty database and return its name."""
        self._n_databases += 1
        name = f"knee_cv_test_{self._n_databases}"
        self._admin(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any connection still open to it."""
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
