"""Pytest plugin: a throwaway PostgreSQL cluster (initdb + pg_ctl) and a fresh database per test."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

BINARIES = ("initdb", "pg_ctl", "postgres")
MISSING_MESSAGE = (
    "PostgreSQL tier skipped: initdb/pg_ctl not found on PATH; "
    "install PostgreSQL 15 server binaries to run it"
)
SUPERUSER = "twintag"
# initdb refuses to run as root, so as root we run the server binaries as this user.
SYSTEM_USER = "postgres"


class _ClassOrInstance:
    """Descriptor: `PostgresCluster.start(dir)` opens a cluster; `cluster.start()` restarts it."""

    def __init__(self, on_class: Any, on_instance: Callable[..., Any]) -> None:
        self.on_class, self.on_instance = on_class, on_instance

    def __get__(self, instance: object, owner: type) -> Any:
        if instance is None:
            return self.on_class.__get__(None, owner)
        return self.on_instance.__get__(instance, owner)


class PostgresCluster:
    """A private PostgreSQL server on a loopback port, living in a temporary directory."""

    def __init__(self, root: Path, port: int, run_as: str | None) -> None:
        self.root, self.port, self.run_as = root, port, run_as
        self.data, self.log = root / "data", root / "server.log"
        self.running = False

    @classmethod
    @contextmanager
    def _open(cls, base_dir: Path) -> Iterator[PostgresCluster]:
        run_as = SYSTEM_USER if os.geteuid() == 0 else None
        # As root, pytest's temp dirs are root-only (0700), so the postgres user
        # could not reach them: use a fresh directory in the system temp dir instead.
        root = Path(tempfile.mkdtemp(prefix="twintag-pg-", dir=None if run_as else base_dir))
        cluster = cls(root, _free_port(), run_as)
        try:
            if run_as:
                shutil.chown(root, user=run_as)
            cluster._initdb()
            cluster._restart()
            yield cluster
        finally:
            if cluster.running:
                cluster.stop(mode="fast")
            shutil.rmtree(root, ignore_errors=True)

    def _restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        self.running = True
        self._wait_until_accepting()

    start = _ClassOrInstance(_open, _restart)

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server: "immediate" simulates a crash, "fast" is a clean shutdown."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def url(self, database: str = "postgres") -> str:
        """Return the SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting any sessions still using it."""
        with self._admin() as conn:
            statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(statement.format(sql.Identifier(name)))

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
            autocommit=True, connect_timeout=5,
        )

    def _initdb(self) -> None:
        # --no-sync only skips initdb's final flush of the fresh cluster; the server
        # itself runs with fsync on, as in production.
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
        settings = {
            "listen_addresses": "'127.0.0.1'", "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'", "fsync": "on",
        }
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _wait_until_accepting(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self._admin() as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _run(self, *command: str) -> None:
        full = ["runuser", "-u", self.run_as, "--", *command] if self.run_as else list(command)
        # cwd inside the cluster dir: the postgres user may not be allowed in ours.
        done = subprocess.run(full, cwd=self.root, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}\n{log}"
            )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_postgres() -> None:
    """Skip when the server binaries are missing, or fail if CI demands this tier."""
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing.append("runuser")
    if not missing:
        return
    required = os.environ.get("TWINTAG_REQUIRE_POSTGRES") == "1" or (
        os.environ.get("CI", "").lower() == "true"
    )
    if required:
        pytest.fail(MISSING_MESSAGE, pytrace=False)
    pytest.skip(MISSING_MESSAGE)


@pytest.fixture(scope="session")
def postgres_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresCluster]:
    """One PostgreSQL server for the whole test session."""
    require_postgres()
    with PostgresCluster.start(tmp_path_factory.mktemp("postgres")) as cluster:
        yield cluster


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """The URL of a fresh, empty database, dropped after the test."""
    if not postgres_cluster.running:  # an earlier fault test left it stopped
        postgres_cluster.start()
    name = f"test_{uuid.uuid4().hex[:16]}"
    yield postgres_cluster.create_database(name)
    if postgres_cluster.running:
        postgres_cluster.drop_database(name)
