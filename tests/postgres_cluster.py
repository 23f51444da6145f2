"""A throwaway PostgreSQL cluster for the tests and the benchmark: ``initdb`` + ``pg_ctl``.

`start_cluster` makes a cluster in a temporary folder, listening on a free port of 127.0.0.1
(and on a unix socket in that folder), and returns a `Cluster` that can restart and stop it.
``initdb`` refuses to run as root: when the tests run as root, the server runs as the
``postgres`` system user (which the Debian package creates), through ``runuser``.

The fixtures in tests/conftest.py use it: ``postgres_cluster`` (one per test session) and
``postgres_schema`` (a fresh, empty schema per test, dropped at the end). Without the server
binaries or psycopg they skip, saying why; with ``DUNNING_REQUIRE_POSTGRES=1`` (set by .ci/run)
they fail instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REQUIRE_VARIABLE = "DUNNING_REQUIRE_POSTGRES"
DATABASE = "dunning_tests"
# A throwaway cluster: durability across a power cut is not what the tests check.
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class ClusterUnavailable(Exception):  # noqa: N818  (reads as what it says)
    """No PostgreSQL server can be started here (the reason says why)."""


def required() -> bool:
    """Whether the PostgreSQL tests must fail rather than skip (``$DUNNING_REQUIRE_POSTGRES``)."""
    return os.environ.get(REQUIRE_VARIABLE, "") not in ("", "0")


def find_bindir() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``: Debian's newest, else the ones on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),  # noqa: PTH207
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb is not None:
        found = Path(initdb).resolve().parent
        if (found / "pg_ctl").exists():
            return found
    msg = "the PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    raise ClusterUnavailable(msg)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Cluster:
    """A running throwaway cluster.

    Attributes:
        folder: the temporary folder (data directory, socket, log).
        port: the TCP port on 127.0.0.1.
        bindir: where ``pg_ctl`` is.
        run_as: the system user running the server (None: the current user).
        options: the server options given to ``pg_ctl``.
    """

    folder: Path
    port: int
    bindir: Path
    run_as: str | None
    options: str
    running: bool = field(default=False)

    def url(self, database: str = DATABASE) -> str:
        """A connection URL for *database*, as the ``postgres`` superuser (trust auth)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _command(self, *args: str) -> list[str]:
        if self.run_as is None:
            return list(args)
        return ["runuser", "-u", self.run_as, "--", *args]

    def pg_ctl(self, *args: str) -> None:
        """Run ``pg_ctl`` on this cluster (as its user); raise with the log if it fails."""
        command = self._command(str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), *args)
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            msg = f"pg_ctl {args[0]} failed: {done.stderr.strip()} {tail}"
            raise ClusterUnavailable(msg)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self.pg_ctl(
            "start", "-w", "-t", "60", "-l", str(self.folder / "server.log"), "-o", self.options
        )
        self.running = True

    def stop(self) -> None:
        """Stop the server at once (``-m fast``: running sessions are cut off)."""
        if self.running:
            self.pg_ctl("stop", "-w", "-m", "fast")
            self.running = False

    def restart(self) -> None:
        """Restart the server: every open connection is cut."""
        # -l: the new server writes to its log, not to our (captured) output, or we'd wait
        # for the end of that output forever.
        self.pg_ctl(
            "restart", "-w", "-m", "fast", "-l", str(self.folder / "server.log"), "-o", self.options
        )
        self.running = True

    def destroy(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster(*, fast: bool = True) -> Cluster:
    """Make and start a cluster with a ``dunning_tests`` database; see the module.

    Args:
        fast: turn off fsync (a test cluster); False keeps PostgreSQL's durable defaults
            (the benchmark).

    Raises:
        ClusterUnavailable: if the binaries are missing or the server does not start.
    """
    bindir = find_bindir()
    run_as: str | None = None
    folder = Path(tempfile.mkdtemp(prefix="dunning-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError as error:
            msg = "running as root, and there is no 'postgres' user to run the server as"
            raise ClusterUnavailable(msg) from error
        if shutil.which("runuser") is None:
            msg = "running as root, and 'runuser' is missing to run the server as postgres"
            raise ClusterUnavailable(msg)
        run_as = "postgres"
        os.chown(folder, user.pw_uid, user.pw_gid)
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder}"
        " -c max_connections=60"
    )
    if fast:
        options += " " + FAST
    cluster = Cluster(folder, port, bindir, run_as, options)
    initdb = cluster._command(
        str(bindir / "initdb"),
        "-D",
        str(folder / "data"),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
        "--locale=C",
    )
    done = subprocess.run(initdb, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        msg = f"initdb failed: {done.stderr.strip()[-2000:]}"
        raise ClusterUnavailable(msg)
    try:
        cluster.start()
        import psycopg  # noqa: PLC0415  (only with the postgres extra)

        with psycopg.connect(cluster.url("postgres"), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {DATABASE}")
    except BaseException:
        cluster.destroy()
        raise
    return cluster
