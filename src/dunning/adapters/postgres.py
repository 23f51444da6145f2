"""A PostgreSQL reference adapter: invoices, events and the action log beside the host's tables.

`PostgresStore` is an `InvoiceSource` and an `ActionLog` on a PostgreSQL database (psycopg 3,
``pip install 'dunning[postgres]'``), in a schema of its own (``dunning`` unless told
otherwise), so it sits beside the host's tables. Several runner processes on several machines
may share it:

- **reservations** serialise on the actions they cover, not on a table: `reserve` takes one
  transaction-scoped advisory lock per action id (``pg_advisory_xact_lock``, in a fixed order,
  so two reservations never deadlock), then reads the entries covering those actions
  ``FOR UPDATE`` and writes, in one transaction. Reservations of other actions never wait;
- **claims** are single statements: `begin_attempt`, `cancel`, `finish` and `decide_approval`
  are one ``UPDATE ... WHERE key = %s AND status = %s AND attempts = %s``: of two runners
  claiming one key, PostgreSQL lets exactly one match (the other re-reads the row once the
  first commits, and no longer matches);
- **abandoned reservations** are found by the runner's lease (`dunning.Dunner.lease`): a
  ``reserved`` entry whose ``updated_at`` is older than the lease is taken over, or made
  ``uncertain`` if its sender was called;
- **a review index** (``invoices.review_after``, with a ``version`` so that a change made while a
  run was deciding is never hidden) lets a run read only the customers due for review.

Every call runs in one transaction that commits before the call returns, on a connection of the
store's own (one per thread, from *conninfo*), of a host's pool (*pool*, a
``psycopg_pool.ConnectionPool``), or of a host's connection (*connection*, or `joined`): then
the call runs inside the host's open transaction (as a savepoint) and commits with it. Which
calls may do so is in docs/postgres.md: in short, the host's own writes (invoices, events,
approvals, resolutions, bounces) may; the runner's protocol writes (`reserve`,
`begin_attempt`, `finish`) must commit on their own unless the senders write into the same
transaction (an outbox table), because a rollback after a provider took a message would erase
the only record that it went out.

Schema (version 4, recorded in ``schema_migrations``; a schema written by a newer release is
refused rather than damaged): ``customers``, ``invoices`` (with ``archived``, ``review_after``,
``version``), ``events``, ``credits``, ``action_log``, ``action_covers``, ``settings``, the
same tables as `dunning.adapters.sqlite`, with ``timestamptz`` instants, ``numeric`` amounts and
``jsonb`` documents.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from dunning.adapters._sql import SqlStore
from dunning.adapters._sqllog import Finish
from dunning.adapters._sqlrows import LOG_COLUMNS, Transaction, postgres
from dunning.core.action_log import LIVE_STATUSES, Covered, LogEntry
from dunning.core.shards import DEFAULT_TENANT
from dunning.exceptions import ConfigurationError

if TYPE_CHECKING:
    import psycopg

__all__ = ["SCHEMA_VERSION", "PostgresStore"]

_TABLES: Final = (
    "customers",
    "invoices",
    "events",
    "credits",
    "action_log",
    "action_covers",
    "settings",
)

_MIGRATIONS: Final[tuple[tuple[int, str, tuple[str, ...]], ...]] = (
    (
        1,
        "customers, invoices with the review index, events, credits, action log, settings",
        (
            "CREATE TABLE {s}.customers (id text PRIMARY KEY, data jsonb NOT NULL)",
            (
                "CREATE TABLE {s}.invoices ("
                " id text PRIMARY KEY,"
                " customer_id text NOT NULL REFERENCES {s}.customers(id),"
                " data jsonb NOT NULL,"
                " archived boolean NOT NULL DEFAULT false,"
                " review_after timestamptz,"
                " version bigint NOT NULL DEFAULT 0)"
            ),
            "CREATE INDEX invoices_by_customer ON {s}.invoices (customer_id, id)",
            (
                "CREATE INDEX invoices_due_for_review ON {s}.invoices"
                " (review_after, customer_id) WHERE NOT archived"
            ),
            (
                "CREATE TABLE {s}.events ("
                " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " invoice_id text NOT NULL REFERENCES {s}.invoices(id) ON DELETE CASCADE,"
                " kind text NOT NULL,"
                " data jsonb NOT NULL)"
            ),
            "CREATE INDEX events_by_invoice ON {s}.events (invoice_id, seq)",
            (
                "CREATE TABLE {s}.credits ("
                " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " customer_id text NOT NULL REFERENCES {s}.customers(id),"
                " kind text NOT NULL,"
                " data jsonb NOT NULL)"
            ),
            "CREATE INDEX credits_by_customer ON {s}.credits (customer_id, seq)",
            (
                "CREATE TABLE {s}.action_log ("
                " key text PRIMARY KEY,"
                " customer_id text NOT NULL,"
                " channel text NOT NULL,"
                " status text NOT NULL,"
                " owner text NOT NULL,"
                " reserved_at timestamptz NOT NULL,"
                " updated_at timestamptz NOT NULL,"
                " attempts integer NOT NULL DEFAULT 0,"
                " requires_approval boolean NOT NULL DEFAULT false,"
                " message jsonb NOT NULL,"
                " receipt_provider_id text,"
                " receipt_detail text,"
                " reason text NOT NULL DEFAULT '',"
                " decided_by text NOT NULL DEFAULT '',"
                " attempted_at timestamptz,"
                " decided_at timestamptz,"
                " resolved_by text NOT NULL DEFAULT '')"
            ),
            "CREATE INDEX action_log_by_status ON {s}.action_log (status, reserved_at, key)",
            "CREATE INDEX action_log_by_customer ON {s}.action_log (customer_id, status)",
            (
                "CREATE TABLE {s}.action_covers ("
                " key text NOT NULL REFERENCES {s}.action_log(key),"
                " position integer NOT NULL,"
                " invoice_id text NOT NULL,"
                " action_id text NOT NULL,"
                " step_id text NOT NULL,"
                " amount_due numeric,"
                " PRIMARY KEY (key, action_id))"
            ),
            "CREATE INDEX action_covers_by_invoice ON {s}.action_covers (invoice_id)",
            "CREATE INDEX action_covers_by_action ON {s}.action_covers (action_id)",
            "CREATE TABLE {s}.settings (name text PRIMARY KEY, value text NOT NULL)",
        ),
    ),
    (
        2,
        "deadline date each preview states (an approval covers it)",
        ("ALTER TABLE {s}.action_covers ADD COLUMN deadline_on date",),
    ),
    (
        3,
        "tenants: every row and key scoped to a tenant; each invoice's shard bucket",
        (
            # The existing rows are the default tenant's; then every key gains the tenant.
            *(
                f"ALTER TABLE {{s}}.{table} ADD COLUMN tenant text NOT NULL DEFAULT 'default'"
                for table in _TABLES
            ),
            *(f"ALTER TABLE {{s}}.{table} ALTER COLUMN tenant DROP DEFAULT" for table in _TABLES),
            # The bucket as `dunning.core.shards.customer_bucket` computes it: the first four
            # bytes of SHA-256("tenant/customer"), as an unsigned number.
            "ALTER TABLE {s}.invoices ADD COLUMN bucket bigint",
            (
                "UPDATE {s}.invoices SET bucket = ('x' || lpad(substr(encode(sha256(convert_to("
                "tenant || '/' || customer_id, 'UTF8')), 'hex'), 1, 8), 16, '0'))::bit(64)::bigint"
            ),
            "ALTER TABLE {s}.invoices ALTER COLUMN bucket SET NOT NULL",
            "ALTER TABLE {s}.invoices DROP CONSTRAINT invoices_customer_id_fkey",
            "ALTER TABLE {s}.events DROP CONSTRAINT events_invoice_id_fkey",
            "ALTER TABLE {s}.credits DROP CONSTRAINT credits_customer_id_fkey",
            "ALTER TABLE {s}.action_covers DROP CONSTRAINT action_covers_key_fkey",
            (
                "ALTER TABLE {s}.customers DROP CONSTRAINT customers_pkey,"
                " ADD PRIMARY KEY (tenant, id)"
            ),
            (
                "ALTER TABLE {s}.invoices DROP CONSTRAINT invoices_pkey,"
                " ADD PRIMARY KEY (tenant, id)"
            ),
            (
                "ALTER TABLE {s}.action_log DROP CONSTRAINT action_log_pkey,"
                " ADD PRIMARY KEY (tenant, key)"
            ),
            (
                "ALTER TABLE {s}.action_covers DROP CONSTRAINT action_covers_pkey,"
                " ADD PRIMARY KEY (tenant, key, action_id)"
            ),
            (
                "ALTER TABLE {s}.settings DROP CONSTRAINT settings_pkey,"
                " ADD PRIMARY KEY (tenant, name)"
            ),
            (
                "ALTER TABLE {s}.invoices ADD FOREIGN KEY (tenant, customer_id)"
                " REFERENCES {s}.customers(tenant, id)"
            ),
            (
                "ALTER TABLE {s}.events ADD FOREIGN KEY (tenant, invoice_id)"
                " REFERENCES {s}.invoices(tenant, id) ON DELETE CASCADE"
            ),
            (
                "ALTER TABLE {s}.credits ADD FOREIGN KEY (tenant, customer_id)"
                " REFERENCES {s}.customers(tenant, id)"
            ),
            (
                "ALTER TABLE {s}.action_covers ADD FOREIGN KEY (tenant, key)"
                " REFERENCES {s}.action_log(tenant, key)"
            ),
            *(
                f"DROP INDEX {{s}}.{index}"
                for index in (
                    "invoices_by_customer",
                    "invoices_due_for_review",
                    "events_by_invoice",
                    "credits_by_customer",
                    "action_log_by_status",
                    "action_log_by_customer",
                    "action_covers_by_invoice",
                    "action_covers_by_action",
                )
            ),
            "CREATE INDEX invoices_by_customer ON {s}.invoices (tenant, customer_id, id)",
            (
                "CREATE INDEX invoices_due_for_review ON {s}.invoices"
                " (tenant, review_after, customer_id) WHERE NOT archived"
            ),
            "CREATE INDEX events_by_invoice ON {s}.events (tenant, invoice_id, seq)",
            "CREATE INDEX credits_by_customer ON {s}.credits (tenant, customer_id, seq)",
            (
                "CREATE INDEX action_log_by_status"
                " ON {s}.action_log (tenant, status, reserved_at, key)"
            ),
            ("CREATE INDEX action_log_by_customer ON {s}.action_log (tenant, customer_id, status)"),
            "CREATE INDEX action_covers_by_invoice ON {s}.action_covers (tenant, invoice_id)",
            "CREATE INDEX action_covers_by_action ON {s}.action_covers (tenant, action_id)",
        ),
    ),
    (
        4,
        "send windows: the instants a message prepared ahead may go from, and until",
        (
            "ALTER TABLE {s}.action_log ADD COLUMN not_before timestamptz",
            "ALTER TABLE {s}.action_log ADD COLUMN not_after timestamptz",
        ),
    ),
)

SCHEMA_VERSION: Final = _MIGRATIONS[-1][0]
"""The schema version this release writes (the highest migration)."""

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


_LOG_TYPES: Final = {
    "key": "text",
    "customer_id": "text",
    "channel": "text",
    "status": "text",
    "owner": "text",
    "reserved_at": "timestamptz",
    "updated_at": "timestamptz",
    "attempts": "integer",
    "requires_approval": "boolean",
    "message": "jsonb",
    "receipt_provider_id": "text",
    "receipt_detail": "text",
    "reason": "text",
    "decided_by": "text",
    "attempted_at": "timestamptz",
    "decided_at": "timestamptz",
    "resolved_by": "text",
    "not_before": "timestamptz",
    "not_after": "timestamptz",
}
"""The ``action_log`` columns' types: a row inserted by ``SELECT`` names them (a parameter of
``INSERT ... VALUES`` takes its column's type, one in a select list does not)."""

_LIVE: Final = sorted(status.value for status in LIVE_STATUSES)

_RESERVE_NEW: Final = (
    "WITH {finished}added AS ("  # noqa: S608  (names and types of ours; values are parameters)
    " INSERT INTO {s}.action_log (tenant, " + ", ".join(LOG_COLUMNS) + ")"
    " SELECT %s, "
    + ", ".join(f"%s::{_LOG_TYPES[c]}" for c in LOG_COLUMNS)
    + " WHERE {only_if_found}NOT EXISTS ("
    "  SELECT FROM {s}.action_covers AS c"
    "  WHERE c.tenant = %s AND c.action_id = ANY(%s::text[]) AND (SELECT l.status FROM"
    "  {s}.action_log AS l WHERE l.tenant = c.tenant AND l.key = c.key) IN ("
    + ", ".join(f"'{status}'" for status in _LIVE)
    + "))"
    " ON CONFLICT DO NOTHING RETURNING key),"
    " covered AS ("
    " INSERT INTO {s}.action_covers"
    " (tenant, key, position, invoice_id, action_id, step_id, amount_due, deadline_on)"
    " SELECT %s, added.key, c.* FROM added, jsonb_to_recordset(%s::jsonb) AS c(position integer,"
    " invoice_id text, action_id text, step_id text, amount_due numeric, deadline_on date))"
    " SELECT {found}, (SELECT count(*) FROM added)"
)
"""`PostgresStore._reserve_new`'s statement: ``{finished}`` the outcome's UPDATE (or nothing),
``{only_if_found}`` the condition that it found its key, ``{found}`` its count (or 1).

A holder's status is read by a subquery per cover, not a join: the planner (which plans this
statement at every run of it, `force_custom_plan`) weighs no join orders, about 0.1 ms less of
server time per message; each is one lookup by primary key."""


def _covers_json(covers: Sequence[Covered]) -> str:
    """*covers* as the JSON records `_RESERVE_NEW` reads (one parameter, not six arrays)."""
    return json.dumps(
        [
            {
                "position": position,
                "invoice_id": c.invoice_id,
                "action_id": c.action_id,
                "step_id": c.step_id,
                "amount_due": None if c.amount_due is None else str(c.amount_due),
                "deadline_on": None if c.deadline_on is None else c.deadline_on.isoformat(),
            }
            for position, c in enumerate(covers)
        ]
    )


_IDLE_CHECK: Final = 0.1
"""Seconds a connection of the store's own may sit unused before a call checks it first."""


class _Statements:
    """One transaction's statements, each on a cursor of its own.

    Each statement's result stays readable after later ones (`_Result`), so a caller may
    queue a statement and check its ``rowcount`` once a later read has brought the answers
    back. With a *pipeline* (the store's own connection), statements are queued and go out
    when a result is needed: a fetch, a ``rowcount`` not yet known, or the commit at the end
    of the transaction sends what is queued and waits for it (`psycopg.Pipeline.sync`). So the
    writes of a reservation and its ``COMMIT`` are one round trip, not one each. Each
    statement is still the same, in the same order and the same transaction; an error in one
    aborts the transaction as before. Without one (a host's or a pool's connection), each
    statement runs when it is executed.
    """

    def __init__(
        self, connection: psycopg.Connection[Any], pipeline: psycopg.Pipeline | None = None
    ) -> None:
        """Run on *connection*, in its open transaction (and its *pipeline*, if given)."""
        self._connection = connection
        self._pipeline = pipeline

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> _Result:
        """Run (or queue) one statement; its result is read from what this returns."""
        cursor = self._connection.cursor()
        cursor.execute(sql, params)
        return _Result(cursor, self._pipeline)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        """Run (or queue) one statement per row."""
        self._connection.cursor().executemany(sql, rows)


class _Result:
    """One statement's result, on its own cursor (see `_Statements`)."""

    def __init__(self, cursor: psycopg.Cursor[Any], pipeline: psycopg.Pipeline | None) -> None:
        self._cursor = cursor
        self._pipeline = pipeline

    @property
    def rowcount(self) -> int:
        """The rows the statement touched (what is queued is sent first, if not known yet)."""
        if self._cursor.rowcount < 0 and self._pipeline is not None:
            self._pipeline.sync()  # not known until the server answered
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        """The statement's next row (sends what is queued)."""
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        """The statement's rows (sends what is queued)."""
        return self._cursor.fetchall()


def _psycopg() -> Any:
    try:
        import psycopg  # noqa: PLC0415  (an optional extra)
    except ImportError as error:  # pragma: no cover  (the tests run with the extra)
        msg = "the PostgreSQL store needs psycopg 3: pip install 'dunning[postgres]'"
        raise ImportError(msg) from error
    return psycopg


class PostgresStore(SqlStore):
    """Invoices, events and the action log in PostgreSQL (`InvoiceSource` and `ActionLog`).

    Give exactly one of *conninfo*, *pool* and *connection*.

    Args:
        conninfo: a libpq connection string or URL (``postgresql://user@host/db``); the store
            opens one connection per thread, and reopens one the server closed (a restart).
        pool: a host's ``psycopg_pool.ConnectionPool``: each call borrows a connection for one
            transaction.
        connection: a host's ``psycopg.Connection``: each call runs in a savepoint of the
            host's open transaction if there is one (it commits or rolls back with it), else in
            a transaction of its own. See `joined` and docs/postgres.md for which calls may.
        schema: the PostgreSQL schema holding dunning's tables (lower-case letters, digits and
            ``_``); created unless *create* is False.
        create: create (or upgrade) the schema; False only checks its version.
        lock_timeout: seconds a statement waits for a row or advisory lock before failing
            (the runner reports it as that customer's error); None leaves the server's
            setting. Not applied on a host's *connection* (the host's settings rule).

    Raises:
        ConfigurationError: if not exactly one of *conninfo*, *pool*, *connection* is given,
            the schema name is not plain, the schema does not exist and *create* is False, or
            it was written by a newer release (its version is higher than `SCHEMA_VERSION`).
        ImportError: if psycopg is not installed (``pip install 'dunning[postgres]'``).

    Examples:
        >>> PostgresStore()
        Traceback (most recent call last):
        ...
        dunning.exceptions.ConfigurationError: give one of conninfo, pool or connection
        >>> PostgresStore("postgresql://localhost/books", schema="Dunning; drop")
        Traceback (most recent call last):
        ...
        dunning.exceptions.ConfigurationError: schema: 'Dunning; drop' is not a plain ...
    """

    def __init__(
        self,
        conninfo: str | None = None,
        *,
        pool: Any = None,
        connection: psycopg.Connection[Any] | None = None,
        schema: str = "dunning",
        tenant: str = DEFAULT_TENANT,
        create: bool = True,
        lock_timeout: float | None = 5.0,
    ) -> None:
        """Connect, and create or check the schema; work for *tenant*."""
        if [conninfo, pool, connection].count(None) != 2:  # noqa: PLR2004
            msg = "give one of conninfo, pool or connection"
            raise ConfigurationError(msg)
        if not _SCHEMA_NAME.fullmatch(schema):
            msg = (
                f"schema: {schema!r} is not a plain PostgreSQL name "
                "(lower-case letters, digits and _, at most 63)"
            )
            raise ConfigurationError(msg)
        super().__init__(tenant)
        self._pg = _psycopg()
        self.schema = schema
        self._s = f'"{schema}"'
        self._dialect = postgres(schema)
        self._conninfo = conninfo
        self._pool = pool
        self._host = connection
        self._lock_timeout = lock_timeout
        try:
            self._migrate(create=create)
        except BaseException:
            self.close()
            raise

    def for_tenant(self, tenant: str) -> PostgresStore:
        """This database, scoped to another *tenant*: no connection opened, no migration checked.

        The returned store shares this one's connections, pool or host connection (closing it
        does nothing; close this one). Everything it reads or writes is *tenant*'s.

        Raises:
            ConfigurationError: if *tenant* is not a plain tenant key.

        Examples:
            Two hundred creditors on one database, each worker scoping per tenant (needs a
            server, so not run here):

            >>> with PostgresStore(url) as book:  # doctest: +SKIP
            ...     for tenant in tenants:
            ...         Dunner(book.for_tenant(tenant), ...).run(at=now)
        """
        return self._scoped(tenant)

    # -- connections and transactions -------------------------------------------------------

    def joined(self, connection: psycopg.Connection[Any]) -> PostgresStore:
        """This store, working inside a host's *connection* (and its open transaction).

        Every call on the returned store runs in a savepoint of the transaction open on
        *connection*, so it commits or rolls back with the host's unit of work. No migration
        is run (this store already checked the schema).

        Examples:
            An approval recorded with the host's own audit row, in one transaction (needs a
            server, so not run here):

            >>> with psycopg.connect(url) as host, host.transaction():  # doctest: +SKIP
            ...     approve(store.joined(host), key, by="claire", at=now)
            ...     host.execute("INSERT INTO audit (what) VALUES ('approved')")
        """
        view = copy.copy(self)
        view._conninfo = None  # noqa: SLF001  (a copy of this very class)
        view._pool = None  # noqa: SLF001
        view._host = connection  # noqa: SLF001
        view._versions = {}  # noqa: SLF001
        view._local = threading.local()  # noqa: SLF001
        view._connections = []  # noqa: SLF001
        view._connections_lock = threading.Lock()  # noqa: SLF001
        return view

    def _own(self) -> psycopg.Connection[Any]:
        """This thread's connection, opened (or reopened, if the server closed it) as needed.

        One idle for more than `_IDLE_CHECK` seconds is checked first with one round trip:
        the server may have closed it meanwhile (a restart, a failover, an idle timeout), and
        nothing was done on it yet, so a new one is safe. One in constant use (a run) is not,
        so that a call's statements go out together; a connection cut in the middle of a call
        fails that call (the runner retries recording an outcome on a new one).
        """
        db: psycopg.Connection[Any] | None = getattr(self._local, "db", None)
        now = time.monotonic()
        if db is not None and not db.closed and now - self._local.used > _IDLE_CHECK:
            try:
                db.execute("SELECT 1")
            except self._pg.OperationalError:
                if not db.broken:
                    raise
        if db is None or db.closed or db.broken:
            if db is not None:
                db.close()
            db = self._pg.connect(self._conninfo, autocommit=True)
            # psycopg prepares a statement at its fifth run. PostgreSQL would then keep one
            # generic plan for it, chosen when the log was small (empty on a first night):
            # looking a key up by the wrong index, a scan of the tenant's whole log that grows
            # with every message. A plan per run (for the parameters given) stays right.
            db.execute("SET plan_cache_mode = force_custom_plan")
            if self._lock_timeout is not None:
                db.execute(
                    "SELECT set_config('lock_timeout', %s, false)",
                    (f"{int(self._lock_timeout * 1000)}ms",),
                )
            self._local.db = db
            self._remember(db)
        self._local.used = now
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Transaction]:
        """One transaction (a savepoint inside a host's): commit on success, else roll back.

        On the store's own connection (in autocommit mode), in pipeline mode (`_Statements`),
        with its own ``BEGIN`` and ``COMMIT``: ``BEGIN`` goes with the first statements, and
        those whose results are not read go with the ``COMMIT``, one sync for them all. A
        reservation (a read, then writes) is two round trips. (psycopg's ``transaction()``
        in a pipeline syncs on entering and leaving it, and around the ``COMMIT``: five.)
        """
        if self._host is not None:
            with self._host.transaction():
                yield _Statements(self._host)
            return
        if self._pool is not None:
            with self._pool.connection() as db, db.transaction():
                if self._lock_timeout is not None:
                    db.execute(
                        "SELECT set_config('lock_timeout', %s, true)",
                        (f"{int(self._lock_timeout * 1000)}ms",),
                    )
                yield _Statements(db)
            return
        db = self._own()
        with db.pipeline() as pipeline:
            db.execute("BEGIN")
            try:
                yield _Statements(db, pipeline)
                db.execute("COMMIT")
                pipeline.sync()  # the commit's answer: an error in a queued write is raised here
            except BaseException:
                self._roll_back(db, pipeline)
                raise

    def _roll_back(self, db: psycopg.Connection[Any], pipeline: psycopg.Pipeline) -> None:
        """End the failed transaction on *db*; a connection that cannot is closed, not reused.

        After an error the pipeline skips what was queued up to its sync; the transaction is
        then still open (failed, or not yet committed), and a ``ROLLBACK`` ends it. Should
        that fail too, the connection's state is unknown: it is closed, and the next call
        opens another. The first error is the one raised.
        """
        try:
            with contextlib.suppress(self._pg.Error):
                pipeline.sync()  # the error already raised, or what queued after it
            db.execute("ROLLBACK")
            pipeline.sync()
        except self._pg.Error:
            db.close()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Transaction]:
        """Statements that only read: on the store's own connection, each on its own.

        Under PostgreSQL's default isolation (read committed) every statement sees what was
        committed when it began, inside a transaction or not: a ``BEGIN`` and a ``COMMIT``
        around reads would add two round trips and no consistency.
        """
        if self._host is not None or self._pool is not None:
            with self._transaction() as tx:
                yield tx
            return
        with self._own().cursor() as cur:
            yield cur

    def _write(self) -> contextlib.AbstractContextManager[Transaction]:
        return self._transaction()

    def _read(self) -> contextlib.AbstractContextManager[Transaction]:
        return self._reading()

    def _migrate(self, *, create: bool) -> None:
        s = self._s
        with self._write() as cur:
            # Two processes starting at once: the second waits, then finds the work done.
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtext('dunning migrations'), hashtext(%s))",
                (self.schema,),
            )
            found = cur.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s AND EXISTS (SELECT 1 FROM"
                " pg_class c WHERE c.relnamespace = pg_namespace.oid"
                " AND c.relname = 'schema_migrations')",
                (self.schema,),
            )
            exists = found.fetchone() is not None
            if not exists and not create:
                msg = (
                    f"schema {self.schema!r} holds no dunning tables "
                    "(open the store with create=True once to create them)"
                )
                raise ConfigurationError(msg)
            current = 0
            if exists:
                row = cur.execute(
                    f"SELECT max(version) FROM {s}.schema_migrations"  # noqa: S608
                ).fetchone()
                current = (row[0] if row else None) or 0
            if current > SCHEMA_VERSION:
                msg = (
                    f"schema {self.schema!r} has version {current}, newer than this "
                    f"release's {SCHEMA_VERSION}: upgrade dunning to open it"
                )
                raise ConfigurationError(msg)
            if current == SCHEMA_VERSION or not create:
                return
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {s}.schema_migrations ("
                " version integer PRIMARY KEY, description text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            for version, description, statements in _MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements:
                    cur.execute(statement.format(s=s))
                cur.execute(
                    f"INSERT INTO {s}.schema_migrations (version, description)"  # noqa: S608
                    " VALUES (%s, %s)",
                    (version, description),
                )

    # -- locks ------------------------------------------------------------------------------

    _for_update = " FOR UPDATE"

    def _lock_actions(self, tx: Transaction, actions: Sequence[str]) -> None:
        """One transaction-scoped advisory lock per action, in a fixed order (no deadlock).

        Reservations of other actions never wait; the entries covering these are then read
        ``FOR UPDATE``.
        """
        tx.execute(
            "SELECT count(pg_advisory_xact_lock(hashtext(%s), k)) FROM"
            " (SELECT DISTINCT hashtext(a) AS k FROM unnest(%s::text[]) AS a ORDER BY 1)"
            " AS locks",
            (f"{self.schema}/{self.tenant}", list(actions)),
        )

    def _reserve_new(self, entry: LogEntry, finish: Finish | None) -> tuple[bool, bool] | None:
        """One transaction, one round trip: the actions locked, then one statement.

        The statement finishes *finish*'s key (if given) and inserts *entry* and its covers
        only if that key was found, no live entry covers one of its actions, and its own key
        is free (``ON CONFLICT DO NOTHING``); it answers both counts. Its snapshot is taken
        once the advisory locks are held, as the general path's read is, so a reservation of
        the same actions committed before is seen, and one after waits. The ``COMMIT`` goes
        with it (on the store's own connection, in one pipeline sync): what it did not do is
        decided by the caller in a transaction of its own.
        """
        finished = (
            f"finished AS (UPDATE {self._s}.action_log SET status = %s, updated_at = %s,"  # noqa: S608
            " receipt_provider_id = %s, receipt_detail = %s, reason = %s"
            " WHERE tenant = %s AND key = %s RETURNING key), "
        )
        params: list[object] = []
        if finish is not None:
            receipt = finish.receipt
            params += [
                finish.status.value,
                finish.at,
                receipt.provider_id if receipt else None,
                receipt.detail if receipt else None,
                finish.reason,
                self.tenant,
                finish.key,
            ]
        covers = entry.covers
        params += [
            self.tenant,
            *self._row(entry),
            self.tenant,
            [c.action_id for c in covers],
            self.tenant,
            _covers_json(covers),
        ]
        statement = _RESERVE_NEW.format(
            s=self._s,
            finished=finished if finish is not None else "",
            only_if_found="EXISTS (SELECT FROM finished) AND " if finish is not None else "",
            found="(SELECT count(*) FROM finished)" if finish is not None else "1",
        )
        with self._write() as tx:
            self._lock_actions(tx, sorted({c.action_id for c in covers}))
            done = tx.execute(statement, params)
        found, stored = done.fetchone()
        return bool(found), bool(stored)

    def _index_reviews(self, tx: Transaction, rows: Sequence[tuple[object, str, int]]) -> None:
        """One statement for the batch (``unnest`` of three arrays), compare-and-set."""
        afters, ids, versions = zip(*rows, strict=True)
        # One array of text ('infinity' or ISO 8601), cast by the server: psycopg would not
        # send a list mixing strings and datetimes.
        texts = [a.isoformat() if isinstance(a, datetime) else str(a) for a in afters]
        tx.execute(
            f"UPDATE {self._s}.invoices AS i SET review_after = r.after"  # noqa: S608
            " FROM unnest(%s::text[], %s::timestamptz[], %s::bigint[])"
            " AS r(id, after, version)"
            " WHERE i.tenant = %s AND i.id = r.id AND i.version = r.version",
            (list(ids), texts, list(versions), self.tenant),
        )
