"""A SQLite reference adapter: invoices, customers, events and the action log in one file.

`SqliteStore` is an `InvoiceSource` and an `ActionLog` on a database file (standard library
``sqlite3``), safe for several threads and several processes on one machine:

- the database runs in WAL mode with ``synchronous=FULL``: a committed change survives a crash
  of the process or of the machine, so `begin_attempt` is durable before the sender is called;
- every call that reads then writes (`reserve`, `begin_attempt`, `cancel`, `revise`,
  `finish`, `decide_approval`, `resolve_uncertain`...) runs in one ``BEGIN IMMEDIATE``
  transaction: the write lock is taken before the row is read, so of two runners (threads or
  processes) claiming one key or one per-invoice action, exactly one wins;
- each thread has its own connection; a busy database is waited for (``timeout``), never
  reported as an error at the first collision;
- `entries` reads only the customers with an invoice due for review (the ``review_after``
  index the runner keeps through `reviewed`), in sorted batches, in time linear in the book;
  a row it cannot read becomes an `UnreadableEntry` for its customer.

Schema (version 6), created and upgraded by numbered migrations recorded in
``schema_migrations``; a file written by a newer release is refused rather than damaged:

``customers(id, data)``
    one row per customer, ``data`` the `Customer` as JSON.
``invoices(id, customer_id, data, archived, review_after, version)``
    one row per invoice, ``data`` the `Invoice` as JSON without its customer; ``archived``
    invoices are no longer reviewed; ``review_after`` is when to review it again (NULL: at the
    next run; ``never``: only after a change), ``version`` counts its changes (a review read
    before a change does not overwrite "review now").
``events(seq, invoice_id, kind, data)``
    the host's events (payments, disputes...), in the order recorded.
``credits(seq, customer_id, kind, data)``
    payments on account and credit notes not yet allocated to an invoice.
``action_log(key, customer_id, channel, status, owner, reserved_at, updated_at, attempts,
requires_approval, message, receipt_provider_id, receipt_detail, reason, decided_by,
attempted_at, decided_at, resolved_by, not_before, not_after)``
    one row per message (`dunning.ports.LogEntry`); instants in UTC, ISO 8601.
``action_covers(key, position, invoice_id, action_id, step_id, amount_due, deadline_on)``
    the per-invoice actions each message carries out, in order (with the amount and deadline
    date its preview showed), indexed by invoice and by action (the
    events derived from the log, and the one-live-entry-per-action rule, read through it).
``settings(name, value)``
    the creditor the command line runs with (``dunning init`` writes the demo's) and the
    latest run instant.

The tables, the queries and the row <-> model mapping are those of `PostgresStore`
(`dunning.adapters._sql`); this module keeps what is SQLite's own: the file, the connections,
the migrations and the write lock. The events the engine needs from the log are derived when
invoices are read, by `dunning.ports.log_events`, exactly as `MemoryStore` does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Final

from dunning.adapters._sql import SqlStore
from dunning.adapters._sqlrows import SQLITE
from dunning.core.shards import DEFAULT_TENANT, customer_bucket
from dunning.exceptions import ConfigurationError

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

_V4_TABLES: Final = (
    "settings",
    "customers",
    "action_log",
    "invoices",
    "credits",
    "events",
    "action_covers",
)
"""The tables of schema 4, parents before children (dropped in the reverse order)."""

_MIGRATIONS: Final[tuple[tuple[int, str, tuple[str, ...]], ...]] = (
    (
        1,
        "customers, invoices, events, credits, action log, settings",
        (
            "CREATE TABLE customers (id TEXT PRIMARY KEY, data TEXT NOT NULL)",
            (
                "CREATE TABLE invoices ("
                " id TEXT PRIMARY KEY,"
                " customer_id TEXT NOT NULL REFERENCES customers(id),"
                " data TEXT NOT NULL,"
                " archived INTEGER NOT NULL DEFAULT 0)"
            ),
            "CREATE INDEX invoices_by_customer ON invoices(customer_id, id)",
            (
                "CREATE TABLE events ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                " invoice_id TEXT NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,"
                " kind TEXT NOT NULL,"
                " data TEXT NOT NULL)"
            ),
            "CREATE INDEX events_by_invoice ON events(invoice_id, seq)",
            (
                "CREATE TABLE credits ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                " customer_id TEXT NOT NULL REFERENCES customers(id),"
                " kind TEXT NOT NULL,"
                " data TEXT NOT NULL)"
            ),
            "CREATE INDEX credits_by_customer ON credits(customer_id, seq)",
            (
                "CREATE TABLE action_log ("
                " key TEXT PRIMARY KEY,"
                " customer_id TEXT NOT NULL,"
                " channel TEXT NOT NULL,"
                " status TEXT NOT NULL,"
                " owner TEXT NOT NULL,"
                " reserved_at TEXT NOT NULL,"
                " updated_at TEXT NOT NULL,"
                " attempts INTEGER NOT NULL DEFAULT 0,"
                " requires_approval INTEGER NOT NULL DEFAULT 0,"
                " message TEXT NOT NULL,"
                " receipt_provider_id TEXT,"
                " receipt_detail TEXT,"
                " reason TEXT NOT NULL DEFAULT '',"
                " decided_by TEXT NOT NULL DEFAULT '')"
            ),
            "CREATE INDEX action_log_by_status ON action_log(status, reserved_at, key)",
            (
                "CREATE TABLE action_covers ("
                " key TEXT NOT NULL REFERENCES action_log(key),"
                " invoice_id TEXT NOT NULL,"
                " action_id TEXT NOT NULL,"
                " step_id TEXT NOT NULL,"
                " PRIMARY KEY (key, action_id))"
            ),
            "CREATE INDEX action_covers_by_invoice ON action_covers(invoice_id)",
            "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ),
    ),
    (
        2,
        "review index, approval and attempt instants, amounts approved, resolutions",
        (
            "ALTER TABLE invoices ADD COLUMN review_after TEXT",
            "ALTER TABLE invoices ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE action_log ADD COLUMN attempted_at TEXT",
            "ALTER TABLE action_log ADD COLUMN decided_at TEXT",
            "ALTER TABLE action_log ADD COLUMN resolved_by TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE action_covers ADD COLUMN amount_due TEXT",
            "UPDATE action_log SET attempted_at = updated_at WHERE attempts > 0",
            "UPDATE action_log SET decided_at = updated_at WHERE decided_by != ''",
            "CREATE INDEX action_covers_by_action ON action_covers(action_id)",
            "CREATE INDEX action_log_by_customer ON action_log(customer_id, status)",
        ),
    ),
    (
        3,
        "deadline date each preview states (an approval covers it)",
        ("ALTER TABLE action_covers ADD COLUMN deadline_on TEXT",),
    ),
    (
        4,
        "each cover's position in its message (as PostgreSQL has it)",
        (
            "ALTER TABLE action_covers ADD COLUMN position INTEGER NOT NULL DEFAULT 0",
            (
                "UPDATE action_covers SET position = (SELECT count(*) FROM action_covers AS c"
                " WHERE c.key = action_covers.key AND c.rowid < action_covers.rowid)"
            ),
        ),
    ),
    (
        5,
        "tenants: every row and key scoped to a tenant; each invoice's shard bucket",
        (
            # SQLite cannot change a primary key in place: each table is renamed, rebuilt with
            # its tenant and copied (the existing rows are the default tenant's), foreign keys
            # off for the move (`SqliteStore._migrate`) and checked before the commit.
            *(f"ALTER TABLE {table} RENAME TO v4_{table}" for table in _V4_TABLES),
            (
                "CREATE TABLE customers (tenant TEXT NOT NULL, id TEXT NOT NULL,"
                " data TEXT NOT NULL, PRIMARY KEY (tenant, id))"
            ),
            (
                "CREATE TABLE invoices ("
                " tenant TEXT NOT NULL,"
                " id TEXT NOT NULL,"
                " customer_id TEXT NOT NULL,"
                " data TEXT NOT NULL,"
                " archived INTEGER NOT NULL DEFAULT 0,"
                " review_after TEXT,"
                " version INTEGER NOT NULL DEFAULT 0,"
                " bucket INTEGER NOT NULL,"
                " PRIMARY KEY (tenant, id),"
                " FOREIGN KEY (tenant, customer_id) REFERENCES customers(tenant, id))"
            ),
            (
                "CREATE TABLE events ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                " tenant TEXT NOT NULL,"
                " invoice_id TEXT NOT NULL,"
                " kind TEXT NOT NULL,"
                " data TEXT NOT NULL,"
                " FOREIGN KEY (tenant, invoice_id) REFERENCES invoices(tenant, id)"
                " ON DELETE CASCADE)"
            ),
            (
                "CREATE TABLE credits ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                " tenant TEXT NOT NULL,"
                " customer_id TEXT NOT NULL,"
                " kind TEXT NOT NULL,"
                " data TEXT NOT NULL,"
                " FOREIGN KEY (tenant, customer_id) REFERENCES customers(tenant, id))"
            ),
            (
                "CREATE TABLE action_log ("
                " tenant TEXT NOT NULL,"
                " key TEXT NOT NULL,"
                " customer_id TEXT NOT NULL,"
                " channel TEXT NOT NULL,"
                " status TEXT NOT NULL,"
                " owner TEXT NOT NULL,"
                " reserved_at TEXT NOT NULL,"
                " updated_at TEXT NOT NULL,"
                " attempts INTEGER NOT NULL DEFAULT 0,"
                " requires_approval INTEGER NOT NULL DEFAULT 0,"
                " message TEXT NOT NULL,"
                " receipt_provider_id TEXT,"
                " receipt_detail TEXT,"
                " reason TEXT NOT NULL DEFAULT '',"
                " decided_by TEXT NOT NULL DEFAULT '',"
                " attempted_at TEXT,"
                " decided_at TEXT,"
                " resolved_by TEXT NOT NULL DEFAULT '',"
                " PRIMARY KEY (tenant, key))"
            ),
            (
                "CREATE TABLE action_covers ("
                " tenant TEXT NOT NULL,"
                " key TEXT NOT NULL,"
                " position INTEGER NOT NULL DEFAULT 0,"
                " invoice_id TEXT NOT NULL,"
                " action_id TEXT NOT NULL,"
                " step_id TEXT NOT NULL,"
                " amount_due TEXT,"
                " deadline_on TEXT,"
                " PRIMARY KEY (tenant, key, action_id),"
                " FOREIGN KEY (tenant, key) REFERENCES action_log(tenant, key))"
            ),
            (
                "CREATE TABLE settings (tenant TEXT NOT NULL, name TEXT NOT NULL,"
                " value TEXT NOT NULL, PRIMARY KEY (tenant, name))"
            ),
            "INSERT INTO customers SELECT 'default', id, data FROM v4_customers",
            (
                "INSERT INTO invoices SELECT 'default', id, customer_id, data, archived,"
                " review_after, version, dunning_bucket('default', customer_id) FROM v4_invoices"
            ),
            "INSERT INTO events SELECT seq, 'default', invoice_id, kind, data FROM v4_events",
            "INSERT INTO credits SELECT seq, 'default', customer_id, kind, data FROM v4_credits",
            (
                "INSERT INTO action_log SELECT 'default', key, customer_id, channel, status,"
                " owner, reserved_at, updated_at, attempts, requires_approval, message,"
                " receipt_provider_id, receipt_detail, reason, decided_by, attempted_at,"
                " decided_at, resolved_by FROM v4_action_log"
            ),
            (
                "INSERT INTO action_covers SELECT 'default', key, position, invoice_id,"
                " action_id, step_id, amount_due, deadline_on FROM v4_action_covers"
            ),
            "INSERT INTO settings SELECT 'default', name, value FROM v4_settings",
            *(f"DROP TABLE v4_{table}" for table in reversed(_V4_TABLES)),
            "CREATE INDEX invoices_by_customer ON invoices(tenant, customer_id, id)",
            "CREATE INDEX events_by_invoice ON events(tenant, invoice_id, seq)",
            "CREATE INDEX credits_by_customer ON credits(tenant, customer_id, seq)",
            ("CREATE INDEX action_log_by_status ON action_log(tenant, status, reserved_at, key)"),
            "CREATE INDEX action_log_by_customer ON action_log(tenant, customer_id, status)",
            "CREATE INDEX action_covers_by_invoice ON action_covers(tenant, invoice_id)",
            "CREATE INDEX action_covers_by_action ON action_covers(tenant, action_id)",
        ),
    ),
    (
        6,
        "send windows: the instants a message prepared ahead may go from, and until",
        (
            "ALTER TABLE action_log ADD COLUMN not_before TEXT",
            "ALTER TABLE action_log ADD COLUMN not_after TEXT",
        ),
    ),
)

SCHEMA_VERSION: Final = _MIGRATIONS[-1][0]
"""The schema version this release writes (the highest migration)."""


class SqliteStore(SqlStore):
    """Invoices, events and the action log in a SQLite file (`InvoiceSource` and `ActionLog`).

    The queries and the row <-> model mapping are shared with `PostgresStore`
    (`dunning.adapters._sql.SqlStore`); this class holds the connections, the migrations and
    the write lock.

    Args:
        path: the database file; created (with the current schema) unless *create* is False.
        create: create the file if it does not exist.
        timeout: seconds to wait for another process's write lock before failing.

    Raises:
        ConfigurationError: if the file does not exist and *create* is False, or was written
            by a newer release (its schema version is higher than `SCHEMA_VERSION`).

    Examples:
        >>> import tempfile
        >>> from datetime import date
        >>> from dunning.testing import make_invoice, paris
        >>> folder = tempfile.TemporaryDirectory()
        >>> with SqliteStore(Path(folder.name) / "dunning.db") as store:
        ...     store.add_invoice(make_invoice(due_on=date(2026, 5, 4)))
        ...     [entry.invoice.id for entry in store.entries(paris(2026, 5, 10))]
        ['INV-001']
        >>> folder.cleanup()
    """

    _dialect = SQLITE

    def __init__(
        self,
        path: str | Path,
        *,
        tenant: str = DEFAULT_TENANT,
        create: bool = True,
        timeout: float = 30.0,
    ) -> None:
        """Open (and create or upgrade) the database at *path*, scoped to *tenant*."""
        super().__init__(tenant)
        self.path = Path(path)
        if not create and not self.path.exists():
            msg = f"database {str(self.path)!r} does not exist (create it with 'dunning init')"
            raise ConfigurationError(msg)
        if not create and self.path.is_file() and self.path.stat().st_size == 0:
            # SQLite would silently turn an empty file into a database.
            msg = f"{str(self.path)!r} is an empty file, not a database (check the path)"
            raise ConfigurationError(msg)
        self._timeout = timeout
        self._migrate()

    def for_tenant(self, tenant: str) -> SqliteStore:
        """This database, scoped to another *tenant*: no file opened, no migration checked.

        The returned store shares this one's connections (closing it does nothing; close
        this one). Everything it reads or writes is *tenant*'s (see `dunning.core.shards`).

        Raises:
            ConfigurationError: if *tenant* is not a plain tenant key.

        Examples:
            >>> import tempfile
            >>> from dunning.testing import make_invoice, paris
            >>> folder = tempfile.TemporaryDirectory()
            >>> with SqliteStore(Path(folder.name) / "book.db", tenant="acme") as acme:
            ...     acme.add_invoice(make_invoice(id="F-1"))
            ...     globex = acme.for_tenant("globex")
            ...     [e.invoice.id for e in acme.entries(paris(2026, 5, 10))], globex.tenant
            ...     list(globex.entries(paris(2026, 5, 10)))
            (['F-1'], 'globex')
            []
            >>> folder.cleanup()
        """
        return self._scoped(tenant)

    # -- connections and transactions -------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # Each thread uses its own connection; check_same_thread=False only lets `close`
            # (in whichever thread) close them all.
            db = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.create_function("dunning_bucket", 2, customer_bucket, deterministic=True)
            self._local.db = db
            self._remember(db)
        return db

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock before the first read: of two runners claiming
        # one key or one action, the second waits, then reads what the first wrote.
        return _transaction(self._db(), "BEGIN IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        return _transaction(self._db(), "BEGIN")

    def _migrate(self) -> None:
        db = self._db()
        # A migration rebuilds tables: foreign keys are off while it runs (SQLite ignores the
        # pragma inside a transaction, so it is set before) and checked before the commit.
        db.execute("PRAGMA foreign_keys=OFF")
        try:
            with self._write():
                db.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY, description TEXT NOT NULL)"
                )
                row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
                current = row[0] or 0
                if current > SCHEMA_VERSION:
                    msg = (
                        f"database {str(self.path)!r} has schema version {current}, newer "
                        f"than this release's {SCHEMA_VERSION}: upgrade dunning to open it"
                    )
                    raise ConfigurationError(msg)
                pending = [m for m in _MIGRATIONS if m[0] > current]
                for version, description, statements in pending:
                    for statement in statements:
                        db.execute(statement)
                    db.execute(
                        "INSERT INTO schema_migrations (version, description) VALUES (?, ?)",
                        (version, description),
                    )
                # Checked only after a migration: opening a current database reads nothing.
                broken = db.execute("PRAGMA foreign_key_check").fetchall() if pending else []
                if broken:
                    msg = f"database {str(self.path)!r}: rows without their parent: {broken[:5]}"
                    raise ConfigurationError(msg)
        finally:
            db.execute("PRAGMA foreign_keys=ON")


@contextmanager
def _transaction(db: sqlite3.Connection, begin: str) -> Iterator[sqlite3.Connection]:
    """One transaction: commit on success, roll back on any exception."""
    db.execute(begin)
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
