"""A real, throw-away PostgreSQL server for the tests (Debian package ``postgresql``).

One server per test session (see the ``postgres`` fixture in conftest.py):
``initdb`` into a temporary folder, listening on loopback at a free port,
with password (SCRAM) logins over TCP, as production servers have them.
``initdb`` refuses to run as root, so under root the server runs as the
``postgres`` system user; otherwise as the current user.  A machine without
the package fails loudly rather than skipping: ``make system-deps`` installs it.

Two logins: ``admin`` (superuser, creates and loads databases) and
``reader`` (SELECT only, what the product is configured with).  Their
passwords are random per session and live in files in the server's folder,
which is how the product's ``password_file`` setting is exercised for real.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from live_servers import free_port
from sqlalchemy import create_engine, text

from inspector.conddb import open_database
from inspector.conddb.copy import copy_database
from inspector.config import DatabaseConfig

__all__ = ["PostgresServer", "postgres_bindir"]

ADMIN: Final = "admin"
READER: Final = "reader"
#: Seconds pg_ctl waits for the server to start or stop.
PG_CTL_WAIT: Final = 60


def postgres_bindir() -> Path:
    """The newest installed PostgreSQL's binaries (``/usr/lib/postgresql/<version>/bin``)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: the database tests need the Debian package "
            "'postgresql' (make system-deps installs it)"
        )
    return found[-1].parent


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in ``root`` (see the module docstring)."""

    root: Path
    port: int
    bindir: Path = field(default_factory=postgres_bindir)
    loaded: dict[str, DatabaseConfig] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def secret_file(self, user: str) -> Path:
        """The file holding ``user``'s password."""
        return self.root / f"{user}.secret"

    def password(self, user: str) -> str:
        return self.secret_file(user).read_text().strip()

    @classmethod
    def create(cls) -> PostgresServer:
        """initdb a new cluster and start it."""
        root = Path(tempfile.mkdtemp(prefix="inspector-pg-"))
        server = cls(root=root, port=free_port())
        for user in (ADMIN, READER):
            server.secret_file(user).write_text(secrets.token_urlsafe(18) + "\n")
        (root / "sock").mkdir()
        server._chown()
        server._run(
            "initdb",
            "-D",
            str(server.data),
            "-U",
            ADMIN,
            f"--pwfile={server.secret_file(ADMIN)}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
        )
        server.start()
        server.sql("postgres", f"CREATE ROLE {READER} LOGIN PASSWORD '{server.password(READER)}'")
        return server

    def _chown(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            for path in self.root.rglob("*"):
                shutil.chown(path, "postgres", "postgres")

    def _run(self, program: str, *args: str) -> None:
        user = "postgres" if os.geteuid() == 0 else None
        done = subprocess.run(
            [str(self.bindir / program), *args],
            user=user,
            capture_output=True,
            text=True,
            timeout=PG_CTL_WAIT + 30,
            check=False,
            cwd=self.root,
        )
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}{log[-2000:]}")

    def start(self) -> None:
        """Start the server (again) on its port; returns once it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root / 'sock'} "
            # A test cluster: durability off makes loading several times faster.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", str(PG_CTL_WAIT), "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server now (``fast``: open sessions are cut, as in an outage)."""
        self._run(
            "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", str(PG_CTL_WAIT), "stop"
        )

    def close(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, user: str = READER) -> str:
        """A password-free URL of ``database`` as ``user``."""
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def config(self, alias: str, database: str, user: str = READER, **kw: Any) -> DatabaseConfig:
        """What the product is configured with: URL plus the user's password file."""
        return DatabaseConfig(
            alias, self.url(database, user), password_file=self.secret_file(user), **kw
        )

    def _admin(self, database: str) -> Any:
        return create_engine(
            self.url(database, ADMIN),
            connect_args={"password": self.password(ADMIN)},
            isolation_level="AUTOCOMMIT",
        )

    def load(self, database: str, sqlite_file: Path) -> DatabaseConfig:
        """A new database holding a copy of ``sqlite_file``, readable by ``reader`` (once per name).

        Loaded with the product's own copy (``inspector copy-db``'s engine).
        """
        if database not in self.loaded:
            self.sql("postgres", f"CREATE DATABASE {database}")
            source = open_database(DatabaseConfig(database, f"sqlite:///{sqlite_file}"))
            target = self._admin(database)
            try:
                copy_database(source, target)
            finally:
                source.close()
                target.dispose()
            self.sql(database, f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}")
            self.loaded[database] = self.config(database, database)
        return self.loaded[database]

    def admin_engine(self, database: str) -> Any:
        """A superuser engine (autocommit) for tests that prepare data; dispose it after use."""
        return self._admin(database)

    def sql(self, database: str, *statements: str) -> None:
        """Run ``statements`` as the superuser in ``database`` (autocommit)."""
        engine = self._admin(database)
        try:
            with engine.connect() as conn:
                for statement in statements:
                    conn.execute(text(statement))
        finally:
            engine.dispose()
