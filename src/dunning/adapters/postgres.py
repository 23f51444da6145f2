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

Schema (version 2, recorded in ``schema_migrations``; a schema written by a newer release is
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
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

from pydantic import TypeAdapter

from dunning.core._types import check_aware
from dunning.core.model import Channel, Customer, Event, Invoice
from dunning.core.portfolio import (
    InvoiceHistory,
    PaymentOnAccount,
    PortfolioEntry,
    UnappliedCreditNote,
)
from dunning.core.render import Creditor, Message
from dunning.exceptions import ConfigurationError, StoredDataError
from dunning.ports import (
    Covered,
    EntryStatus,
    InvoiceReview,
    LogEntry,
    Receipt,
    UnreadableEntry,
    bounced_entry,
    log_events,
    reservation,
    resolved_entry,
    revised_entry,
)

if TYPE_CHECKING:
    import psycopg

__all__ = ["SCHEMA_VERSION", "PostgresStore"]

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
)

SCHEMA_VERSION: Final = _MIGRATIONS[-1][0]
"""The schema version this release writes (the highest migration)."""

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_EVENTS: TypeAdapter[Event] = TypeAdapter(Event)
_CREDIT: TypeAdapter[PaymentOnAccount | UnappliedCreditNote] = TypeAdapter(
    PaymentOnAccount | UnappliedCreditNote
)
_BATCH: Final = 200
_LOG_COLUMNS: Final = (
    "key, customer_id, channel, status, owner, reserved_at, updated_at, attempts,"
    " requires_approval, message::text, receipt_provider_id, receipt_detail, reason,"
    " decided_by, attempted_at, decided_at, resolved_by"
)
_LOG_NAMES: Final = tuple(c.strip().removesuffix("::text") for c in _LOG_COLUMNS.split(","))
_NEVER: Final = "infinity"
"""``review_after`` of an invoice that only a new event can change (NULL: review now)."""


def _psycopg() -> Any:
    try:
        import psycopg  # noqa: PLC0415  (an optional extra)
    except ImportError as error:  # pragma: no cover  (the tests run with the extra)
        msg = "the PostgreSQL store needs psycopg 3: pip install 'dunning[postgres]'"
        raise ImportError(msg) from error
    return psycopg


class PostgresStore:
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
        create: bool = True,
        lock_timeout: float | None = 5.0,
    ) -> None:
        """Connect, and create or check the schema."""
        if [conninfo, pool, connection].count(None) != 2:  # noqa: PLR2004
            msg = "give one of conninfo, pool or connection"
            raise ConfigurationError(msg)
        if not _SCHEMA_NAME.fullmatch(schema):
            msg = (
                f"schema: {schema!r} is not a plain PostgreSQL name "
                "(lower-case letters, digits and _, at most 63)"
            )
            raise ConfigurationError(msg)
        self._pg = _psycopg()
        self.schema = schema
        self._s = f'"{schema}"'
        self._conninfo = conninfo
        self._pool = pool
        self._host = connection
        self._lock_timeout = lock_timeout
        self._local = threading.local()
        self._connections: list[psycopg.Connection[Any]] = []
        self._connections_lock = threading.Lock()
        self._versions: dict[str, int] = {}  # invoice id -> version read by entries()
        try:
            self._migrate(create=create)
        except BaseException:
            self.close()
            raise

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
        db: psycopg.Connection[Any] | None = getattr(self._local, "db", None)
        if db is None or db.closed or db.broken:
            if db is not None:
                db.close()
            db = self._pg.connect(self._conninfo, autocommit=True)
            if self._lock_timeout is not None:
                db.execute(
                    "SELECT set_config('lock_timeout', %s, false)",
                    (f"{int(self._lock_timeout * 1000)}ms",),
                )
            self._local.db = db
            with self._connections_lock:
                self._connections.append(db)
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction (a savepoint inside a host's): commit on success, else roll back."""
        if self._host is not None:
            with self._host.transaction(), self._host.cursor() as cur:
                yield cur
            return
        if self._pool is not None:
            with self._pool.connection() as db, db.transaction(), db.cursor() as cur:
                if self._lock_timeout is not None:
                    cur.execute(
                        "SELECT set_config('lock_timeout', %s, true)",
                        (f"{int(self._lock_timeout * 1000)}ms",),
                    )
                yield cur
            return
        for attempt in (1, 2):
            db = self._own()
            began = contextlib.ExitStack()
            try:
                began.enter_context(db.transaction())
            except self._pg.OperationalError:
                began.close()
                # The server closed the connection while it was idle (a restart, a failover):
                # nothing was done in this transaction yet, so it is safe to open a new one.
                if attempt == 2 or not db.broken:  # noqa: PLR2004
                    raise
                continue
            with began, db.cursor() as cur:
                yield cur
            return

    def _write(self) -> contextlib.AbstractContextManager[psycopg.Cursor[Any]]:
        return self._transaction()

    def _read(self) -> contextlib.AbstractContextManager[psycopg.Cursor[Any]]:
        return self._transaction()

    def close(self) -> None:
        """Close the connections this store opened (never a host's pool or connection)."""
        with self._connections_lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> Self:
        """Use the store in a ``with`` block; it is closed at the end."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()

    def _migrate(self, *, create: bool) -> None:
        s = self._s
        with self._write() as cur:
            # Two processes starting at once: the second waits, then finds the work done.
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtext('dunning migrations'), hashtext(%s))",
                (self.schema,),
            )
            cur.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s AND EXISTS (SELECT 1 FROM"
                " pg_class c WHERE c.relnamespace = pg_namespace.oid"
                " AND c.relname = 'schema_migrations')",
                (self.schema,),
            )
            exists = cur.fetchone() is not None
            if not exists and not create:
                msg = (
                    f"schema {self.schema!r} holds no dunning tables "
                    "(open the store with create=True once to create them)"
                )
                raise ConfigurationError(msg)
            current = 0
            if exists:
                cur.execute(f"SELECT max(version) FROM {s}.schema_migrations")  # noqa: S608
                row = cur.fetchone()
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

    def schema_version(self) -> int:
        """The schema version in the database (the highest migration applied)."""
        with self._read() as cur:
            cur.execute(f"SELECT max(version) FROM {self._s}.schema_migrations")  # noqa: S608
            row = cur.fetchone()
        return int(row[0]) if row else 0

    # -- the host's side: customers, invoices, events, credits ------------------------------

    def add_customer(self, customer: Customer) -> None:
        """Add or update a customer (its invoices see the change)."""
        with self._write() as cur:
            self._upsert_customer(cur, customer)

    def _upsert_customer(self, cur: psycopg.Cursor[Any], customer: Customer) -> None:
        cur.execute(
            f"INSERT INTO {self._s}.customers (id, data) VALUES (%s, %s)"  # noqa: S608
            " ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            (customer.id, customer.model_dump_json()),
        )

    def add_invoice(self, invoice: Invoice, events: Iterable[Event] = ()) -> None:
        """Add (or replace) *invoice*, its customer and its events (the host's, not the log's)."""
        s = self._s
        with self._write() as cur:
            self._upsert_customer(cur, invoice.customer)
            cur.execute(
                f"INSERT INTO {s}.invoices (id, customer_id, data) VALUES (%s, %s, %s)"  # noqa: S608
                " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,"
                " data = excluded.data, archived = false, review_after = NULL,"
                " version = invoices.version + 1",
                (invoice.id, invoice.customer.id, invoice.model_dump_json(exclude={"customer"})),
            )
            cur.execute(f"DELETE FROM {s}.events WHERE invoice_id = %s", (invoice.id,))  # noqa: S608
            rows = [(invoice.id, e.kind, e.model_dump_json()) for e in events]
            if rows:
                cur.executemany(
                    f"INSERT INTO {s}.events (invoice_id, kind, data) VALUES (%s, %s, %s)",  # noqa: S608
                    rows,
                )

    def import_invoices(self, invoices: Iterable[Invoice]) -> tuple[int, int]:
        """Add or update *invoices* and their customers in one transaction: all or nothing.

        An invoice already stored keeps its events and its log; its data is replaced and it is
        reviewed again (as `SqliteStore.import_invoices`).

        Returns:
            How many invoices were new, and how many were updated.
        """
        s = self._s
        new = updated = 0
        with self._write() as cur:
            for invoice in invoices:
                self._upsert_customer(cur, invoice.customer)
                cur.execute(
                    f"INSERT INTO {s}.invoices (id, customer_id, data) VALUES (%s, %s, %s)"  # noqa: S608
                    " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,"
                    " data = excluded.data, review_after = NULL,"
                    " version = invoices.version + 1"
                    " RETURNING (xmax = 0)",
                    (
                        invoice.id,
                        invoice.customer.id,
                        invoice.model_dump_json(exclude={"customer"}),
                    ),
                )
                row = cur.fetchone()
                inserted = bool(row[0]) if row else False
                new += inserted
                updated += not inserted
        return new, updated

    def invoice(self, ref: str) -> Invoice:
        """The invoice whose id, else whose number, is *ref* (with its customer).

        Raises:
            KeyError: if no invoice has this id or number, or several have this number.
        """
        s = self._s
        select = (
            f"SELECT i.id, i.data::text, c.data::text FROM {s}.invoices i"  # noqa: S608
            f" JOIN {s}.customers c ON c.id = i.customer_id"
        )
        with self._read() as cur:
            cur.execute(select + " WHERE i.id = %s", (ref,))
            rows = cur.fetchall()
            if not rows:
                cur.execute(select + " WHERE i.data->>'number' = %s", (ref,))
                rows = cur.fetchall()
        if not rows:
            msg = f"no invoice with id or number {ref!r}"
            raise KeyError(msg)
        if len(rows) > 1:
            ids = ", ".join(sorted(r[0] for r in rows))
            msg = f"several invoices have the number {ref!r} (ids {ids}): give the id"
            raise KeyError(msg)
        [(invoice_id, data, customer_data)] = rows
        where = f"invoices[{invoice_id!r}]"
        customer = _parse(Customer.model_validate_json, customer_data, where)
        invoice: Invoice = _parse(_invoice_with(customer), data, where)
        return invoice

    def add_event(self, invoice_id: str, event: Event) -> None:
        """Record *event* on an invoice (a payment, a dispute...).

        Raises:
            KeyError: if there is no such invoice.
        """
        s = self._s
        with self._write() as cur:
            cur.execute(
                f"UPDATE {s}.invoices SET review_after = NULL, version = version + 1"  # noqa: S608
                " WHERE id = %s",
                (invoice_id,),
            )
            if cur.rowcount == 0:
                msg = f"no invoice with id {invoice_id!r}"
                raise KeyError(msg)
            cur.execute(
                f"INSERT INTO {s}.events (invoice_id, kind, data) VALUES (%s, %s, %s)",  # noqa: S608
                (invoice_id, event.kind, event.model_dump_json()),
            )

    def record_delivery_failure(self, key: str, *, at: datetime, reason: str) -> None:
        """Record that the sent message *key* never reached the customer (a bounce...).

        The entry becomes ``failed``, so the engine tries the step's fallback channel next.

        Raises:
            KeyError: if there is no message under *key*.
            ValueError: if it was never sent.
        """
        with self._write() as cur:
            entry = bounced_entry(self._get(cur, key, lock=True), key, at=at, reason=reason)
            self._update_entry(cur, entry)
            self._touch(cur, [c.invoice_id for c in entry.covers])

    def add_credit(self, credit: PaymentOnAccount | UnappliedCreditNote) -> None:
        """Record money or a credit note not yet allocated to an invoice.

        Raises:
            KeyError: if there is no such customer.
        """
        s = self._s
        with self._write() as cur:
            cur.execute(f"SELECT 1 FROM {s}.customers WHERE id = %s", (credit.customer_id,))  # noqa: S608
            if cur.fetchone() is None:
                msg = f"no customer with id {credit.customer_id!r}"
                raise KeyError(msg)
            cur.execute(
                f"INSERT INTO {s}.credits (customer_id, kind, data) VALUES (%s, %s, %s)",  # noqa: S608
                (credit.customer_id, credit.kind, credit.model_dump_json()),
            )
            cur.execute(
                f"UPDATE {s}.invoices SET review_after = NULL, version = version + 1"  # noqa: S608
                " WHERE customer_id = %s",
                (credit.customer_id,),
            )

    def archive_invoice(self, invoice_id: str) -> None:
        """Stop reviewing an invoice (settled and filed); its history and log stay.

        Raises:
            KeyError: if there is no such invoice.
        """
        with self._write() as cur:
            cur.execute(
                f"UPDATE {self._s}.invoices SET archived = true WHERE id = %s",  # noqa: S608
                (invoice_id,),
            )
            if cur.rowcount == 0:
                msg = f"no invoice with id {invoice_id!r}"
                raise KeyError(msg)

    def events(self, invoice_id: str) -> tuple[Event, ...]:
        """The invoice's events: the host's, then those derived from the log.

        Raises:
            KeyError: if there is no such invoice.
        """
        s = self._s
        with self._read() as cur:
            cur.execute(f"SELECT 1 FROM {s}.invoices WHERE id = %s", (invoice_id,))  # noqa: S608
            if cur.fetchone() is None:
                msg = f"no invoice with id {invoice_id!r}"
                raise KeyError(msg)
            cur.execute(
                f"SELECT data::text FROM {s}.events WHERE invoice_id = %s ORDER BY seq",  # noqa: S608
                (invoice_id,),
            )
            own = [_EVENTS.validate_json(data) for (data,) in cur.fetchall()]
            logged = self._log_rows(cur, [invoice_id]).get(invoice_id, [])
        derived = [
            event
            for entry in logged
            for on, event in log_events(_entry_from(*entry))
            if on == invoice_id
        ]
        return (*own, *derived)

    def log_for_invoice(self, invoice_id: str) -> list[LogEntry]:
        """Every message that covered the invoice, oldest reservation first."""
        with self._read() as cur:
            rows = self._log_rows(cur, [invoice_id]).get(invoice_id, [])
        return [_entry_from(*row) for row in rows]

    def set_creditor(self, creditor: Creditor) -> None:
        """Store the creditor the command line runs with."""
        with self._write() as cur:
            cur.execute(
                f"INSERT INTO {self._s}.settings (name, value) VALUES ('creditor', %s)"  # noqa: S608
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (creditor.model_dump_json(),),
            )

    def creditor(self) -> Creditor | None:
        """The stored creditor, or None."""
        with self._read() as cur:
            cur.execute(f"SELECT value FROM {self._s}.settings WHERE name = 'creditor'")  # noqa: S608
            row = cur.fetchone()
        return None if row is None else Creditor.model_validate_json(row[0])

    # -- InvoiceSource ----------------------------------------------------------------------

    def entries(self, at: datetime) -> Iterator[PortfolioEntry | UnreadableEntry]:
        """The customers with an invoice due for review, with their open invoices and credits.

        An invoice is due for review when it is new or changed (an event, a credit, a human's
        decision on a message covering it) or its ``review_after`` (set by `reviewed`) has
        come. Customers are read in sorted batches of 200, each batch in one short transaction
        of five queries. Events dated after *at* are left in. Rows that cannot be read give
        an `UnreadableEntry` for their customer.
        """
        check_aware(at)
        after = ""
        while True:
            with self._read() as cur:
                cur.execute(
                    f"SELECT DISTINCT customer_id FROM {self._s}.invoices"  # noqa: S608
                    " WHERE customer_id > %s AND NOT archived"
                    " AND (review_after IS NULL OR review_after <= %s)"
                    " ORDER BY customer_id LIMIT %s",
                    (after, at, _BATCH),
                )
                ids = [row[0] for row in cur.fetchall()]
                batch = self._batch(cur, ids)
            yield from batch
            if len(ids) < _BATCH:
                return
            after = ids[-1]

    def reviewed(self, reviews: Sequence[InvoiceReview]) -> None:
        """Index the invoices by when they must be reviewed again (``review_after``).

        One statement for the batch. An invoice changed since `entries` read it keeps
        "review now" (its ``version`` moved on).
        """
        ids: list[str] = []
        afters: list[str] = []
        versions: list[int] = []
        for review in reviews:
            version = self._versions.pop(review.invoice_id, None)
            if version is None:
                continue
            ids.append(review.invoice_id)
            after = review.review_after
            afters.append(_NEVER if after is None else after.astimezone(UTC).isoformat())
            versions.append(version)
        if not ids:
            return
        with self._write() as cur:
            cur.execute(
                f"UPDATE {self._s}.invoices AS i SET review_after = r.after"  # noqa: S608
                " FROM unnest(%s::text[], %s::timestamptz[], %s::bigint[])"
                " AS r(id, after, version) WHERE i.id = r.id AND i.version = r.version",
                (ids, afters, versions),
            )

    def _batch(
        self, cur: psycopg.Cursor[Any], customer_ids: Sequence[str]
    ) -> list[PortfolioEntry | UnreadableEntry]:
        """The customers' entries, in order; a customer with a bad row: one `UnreadableEntry`."""
        if not customer_ids:
            return []
        s = self._s
        ids = list(customer_ids)
        cur.execute(
            f"SELECT id, data::text FROM {s}.customers WHERE id = ANY(%s)",  # noqa: S608
            (ids,),
        )
        customers: dict[str, str] = dict(cur.fetchall())
        cur.execute(
            f"SELECT id, customer_id, data::text, version FROM {s}.invoices"  # noqa: S608
            " WHERE NOT archived AND customer_id = ANY(%s) ORDER BY customer_id, id",
            (ids,),
        )
        invoices: dict[str, list[tuple[str, str, int]]] = {}
        for invoice_id, cid, data, version in cur.fetchall():
            invoices.setdefault(cid, []).append((invoice_id, data, version))
        invoice_ids = [row[0] for rows in invoices.values() for row in rows]
        cur.execute(
            f"SELECT invoice_id, data::text FROM {s}.events"  # noqa: S608
            " WHERE invoice_id = ANY(%s) ORDER BY seq",
            (invoice_ids,),
        )
        events: dict[str, list[str]] = {}
        for invoice_id, data in cur.fetchall():
            events.setdefault(invoice_id, []).append(data)
        logged = self._log_rows(cur, invoice_ids)
        cur.execute(
            f"SELECT customer_id, data::text FROM {s}.credits"  # noqa: S608
            " WHERE customer_id = ANY(%s) ORDER BY seq",
            (ids,),
        )
        unallocated: dict[str, list[str]] = {}
        for cid, data in cur.fetchall():
            unallocated.setdefault(cid, []).append(data)
        out: list[PortfolioEntry | UnreadableEntry] = []
        for cid in customer_ids:
            try:
                entries = self._customer_entries(
                    cid,
                    customers.get(cid),
                    invoices.get(cid, []),
                    events=events,
                    logged=logged,
                    unallocated=unallocated,
                )
            except (StoredDataError, ValueError, KeyError, TypeError) as error:
                out.append(UnreadableEntry(cid, f"{type(error).__name__}: {error}"))
            else:
                out.extend(entries)
        return out

    def _customer_entries(
        self,
        customer_id: str,
        customer_data: str | None,
        invoice_rows: Sequence[tuple[str, str, int]],
        *,
        events: dict[str, list[str]],
        logged: dict[str, list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]],
        unallocated: dict[str, list[str]],
    ) -> list[PortfolioEntry]:
        where = f"customers[{customer_id!r}]"
        if customer_data is None:
            msg = "no such customer"
            raise StoredDataError(msg, where=where)
        customer = _parse(Customer.model_validate_json, customer_data, where)
        out: list[PortfolioEntry] = []
        versions: dict[str, int] = {}
        for invoice_id, data, version in invoice_rows:
            where = f"invoices[{invoice_id!r}]"
            invoice = _parse(_invoice_with(customer), data, where)
            own = [
                _parse(_EVENTS.validate_json, text, f"events of {invoice_id!r}")
                for text in events.get(invoice_id, ())
            ]
            derived = [
                event
                for row, covers in logged.get(invoice_id, ())
                for on, event in log_events(_entry_from(row, covers))
                if on == invoice_id
            ]
            out.append(InvoiceHistory(invoice=invoice, events=(*own, *derived)))
            versions[invoice_id] = version
        out.extend(
            _parse(_CREDIT.validate_json, text, f"credits of {customer_id!r}")
            for text in unallocated.get(customer_id, ())
        )
        self._versions.update(versions)
        return out

    def _log_rows(
        self, cur: psycopg.Cursor[Any], invoice_ids: Sequence[str]
    ) -> dict[str, list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]]:
        """The log rows covering these invoices, with their covers, by invoice (unparsed)."""
        if not invoice_ids:
            return {}
        s = self._s
        cur.execute(
            "SELECT key, invoice_id, action_id, step_id, amount_due, deadline_on"  # noqa: S608
            f" FROM {s}.action_covers"
            f" WHERE key IN (SELECT key FROM {s}.action_covers WHERE invoice_id = ANY(%s))"
            " ORDER BY key, position",
            (list(invoice_ids),),
        )
        covers: dict[str, list[tuple[Any, ...]]] = {}
        for row in cur.fetchall():
            covers.setdefault(row[0], []).append(tuple(row[1:]))
        if not covers:
            return {}
        cur.execute(
            f"SELECT {_LOG_COLUMNS} FROM {s}.action_log WHERE key = ANY(%s)"  # noqa: S608
            " ORDER BY reserved_at, key",
            (list(covers),),
        )
        wanted = set(invoice_ids)
        out: dict[str, list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]] = {}
        for row in cur.fetchall():
            for invoice_id in sorted({c[0] for c in covers[row[0]]} & wanted):
                out.setdefault(invoice_id, []).append((row, covers[row[0]]))
        return out

    # -- ActionLog --------------------------------------------------------------------------

    def get(self, key: str) -> LogEntry | None:
        """The entry for *key*, or None."""
        with self._read() as cur:
            return self._get(cur, key)

    def _get(self, cur: psycopg.Cursor[Any], key: str, *, lock: bool = False) -> LogEntry | None:
        found = self._entries(cur, "key = %s", (key,), lock=lock)
        return found[0] if found else None

    def _entries(
        self, cur: psycopg.Cursor[Any], where: str, params: Sequence[Any], *, lock: bool = False
    ) -> list[LogEntry]:
        """The entries matching *where* (oldest first), with their covers: two queries."""
        s = self._s
        cur.execute(
            f"SELECT {_LOG_COLUMNS} FROM {s}.action_log WHERE {where}"  # noqa: S608
            f" ORDER BY reserved_at, key{' FOR UPDATE' if lock else ''}",
            params,
        )
        rows = cur.fetchall()
        if not rows:
            return []
        cur.execute(
            "SELECT key, invoice_id, action_id, step_id, amount_due, deadline_on"  # noqa: S608
            f" FROM {s}.action_covers"
            " WHERE key = ANY(%s) ORDER BY key, position",
            ([row[0] for row in rows],),
        )
        covers: dict[str, list[tuple[Any, ...]]] = {}
        for row in cur.fetchall():
            covers.setdefault(row[0], []).append(tuple(row[1:]))
        return [_entry_from(row, covers.get(row[0], [])) for row in rows]

    def reserve(self, entry: LogEntry) -> bool:
        """Make *entry* the live entry for its key and actions (see `dunning.ports.ActionLog`).

        One transaction: an advisory lock per action (in a fixed order), then the entries
        covering them read ``FOR UPDATE``, then the write and the superseded entries closed.
        """
        s = self._s
        actions = sorted({c.action_id for c in entry.covers})
        with self._write() as cur:
            cur.execute(
                "SELECT count(pg_advisory_xact_lock(hashtext(%s), k)) FROM"
                " (SELECT DISTINCT hashtext(a) AS k FROM unnest(%s::text[]) AS a ORDER BY 1)"
                " AS locks",
                (self.schema, actions),
            )
            found = self._entries(
                cur,
                f"key = %s OR key IN (SELECT key FROM {s}.action_covers"  # noqa: S608
                " WHERE action_id = ANY(%s))",
                (entry.key, actions),
                lock=True,
            )
            existing = next((e for e in found if e.key == entry.key), None)
            stored, superseded = reservation(entry, existing, found)
            if stored is None:
                return False
            for old in superseded:
                self._update_entry(cur, old)
            if existing is None:
                marks = ", ".join(["%s"] * len(_LOG_NAMES))
                cur.execute(
                    f"INSERT INTO {s}.action_log ({', '.join(_LOG_NAMES)})"  # noqa: S608
                    f" VALUES ({marks})",
                    _row(stored),
                )
                self._insert_covers(cur, stored)
            else:
                self._update_entry(cur, stored)
            return True

    def begin_attempt(
        self,
        key: str,
        *,
        owner: str,
        expect: EntryStatus,
        expect_attempts: int,
        at: datetime,
        message: Message | None = None,
    ) -> LogEntry | None:
        """Claim *key* for a send attempt if it is still as the caller saw it (one UPDATE)."""
        check_aware(at)
        with self._write() as cur:
            cur.execute(
                f"UPDATE {self._s}.action_log SET status = %s, owner = %s,"  # noqa: S608
                " attempts = attempts + 1, updated_at = %s, attempted_at = %s,"
                " message = coalesce(%s::jsonb, message)"
                " WHERE key = %s AND status = %s AND attempts = %s",
                (
                    EntryStatus.RESERVED.value,
                    owner,
                    at,
                    at,
                    message.model_dump_json() if message is not None else None,
                    key,
                    expect.value,
                    expect_attempts,
                ),
            )
            if cur.rowcount != 1:
                return None
            return self._get(cur, key)

    def cancel(
        self, key: str, *, expect: EntryStatus, expect_attempts: int, at: datetime, reason: str
    ) -> bool:
        """Cancel *key* if it is still as the caller saw it (one UPDATE)."""
        check_aware(at)
        with self._write() as cur:
            cur.execute(
                f"UPDATE {self._s}.action_log SET status = %s, updated_at = %s, reason = %s"  # noqa: S608
                " WHERE key = %s AND status = %s AND attempts = %s",
                (EntryStatus.CANCELLED.value, at, reason, key, expect.value, expect_attempts),
            )
            return cur.rowcount == 1

    def revise(
        self,
        key: str,
        *,
        expect: EntryStatus,
        expect_attempts: int,
        status: EntryStatus,
        covers: tuple[Covered, ...],
        message: Message,
        at: datetime,
        reason: str,
    ) -> LogEntry | None:
        """Replace an undelivered entry's preview, amounts and status, compare-and-set."""
        with self._write() as cur:
            entry = self._get(cur, key, lock=True)
            if entry is None or entry.status is not expect or entry.attempts != expect_attempts:
                return None
            new = revised_entry(
                entry, status=status, covers=covers, message=message, at=at, reason=reason
            )
            self._update_entry(cur, new)
            return new

    def finish(
        self,
        key: str,
        status: EntryStatus,
        *,
        at: datetime,
        receipt: Receipt | None = None,
        reason: str = "",
    ) -> None:
        """Record the outcome of an attempt (one UPDATE).

        Raises:
            KeyError: if there is no entry under *key*.
        """
        check_aware(at)
        with self._write() as cur:
            cur.execute(
                f"UPDATE {self._s}.action_log SET status = %s, updated_at = %s,"  # noqa: S608
                " receipt_provider_id = %s, receipt_detail = %s, reason = %s WHERE key = %s",
                (
                    status.value,
                    at,
                    receipt.provider_id if receipt else None,
                    receipt.detail if receipt else None,
                    reason,
                    key,
                ),
            )
            if cur.rowcount == 0:
                msg = f"no message with id {key!r} in the action log"
                raise KeyError(msg)

    def decide_approval(self, key: str, *, approved: bool, by: str, at: datetime) -> LogEntry:
        """Approve or reject a pending entry (one UPDATE, then its invoices are re-reviewed).

        Raises:
            KeyError: if no message awaits approval under *key*.
        """
        check_aware(at)
        status = EntryStatus.APPROVED if approved else EntryStatus.REJECTED
        with self._write() as cur:
            cur.execute(
                f"UPDATE {self._s}.action_log SET status = %s, decided_by = %s,"  # noqa: S608
                " decided_at = %s, updated_at = %s WHERE key = %s AND status = %s",
                (status.value, by or "unknown", at, at, key, "pending_approval"),
            )
            decided = self._get(cur, key) if cur.rowcount == 1 else None
            if decided is None:
                msg = f"no message awaiting approval with id {key!r}"
                raise KeyError(msg)
            self._touch(cur, [c.invoice_id for c in decided.covers])
        return decided

    def resolve_uncertain(self, key: str, *, delivered: bool, by: str, at: datetime) -> LogEntry:
        """Record a human's answer for an uncertain entry (see `dunning.ports.ActionLog`).

        Raises:
            KeyError: if no uncertain message has this key.
        """
        with self._write() as cur:
            entry = resolved_entry(
                self._get(cur, key, lock=True), key, delivered=delivered, by=by, at=at
            )
            self._update_entry(cur, entry)
            self._touch(cur, [c.invoice_id for c in entry.covers])
        return entry

    def entries_with(self, *statuses: EntryStatus) -> Sequence[LogEntry]:
        """Entries in any of *statuses*, oldest reservation first."""
        if not statuses:
            return []
        with self._read() as cur:
            return self._entries(cur, "status = ANY(%s)", ([s.value for s in statuses],))

    def last_message_at(self, customer_id: str, *, at: datetime) -> datetime | None:
        """The latest attempt not after *at* among the customer's sent or uncertain entries."""
        check_aware(at)
        with self._read() as cur:
            cur.execute(
                f"SELECT max(attempted_at) FROM {self._s}.action_log"  # noqa: S608
                " WHERE customer_id = %s AND status IN ('sent', 'uncertain')"
                " AND attempted_at <= %s",
                (customer_id, at),
            )
            row = cur.fetchone()
        return None if row is None or row[0] is None else _utc(row[0])

    def latest_run(self) -> datetime | None:
        """The latest run instant recorded."""
        with self._read() as cur:
            cur.execute(f"SELECT value FROM {self._s}.settings WHERE name = 'latest_run'")  # noqa: S608
            row = cur.fetchone()
        return None if row is None else datetime.fromisoformat(row[0])

    def record_run(self, at: datetime) -> None:
        """Remember *at* if it is later than the latest run instant (one statement)."""
        check_aware(at)
        with self._write() as cur:
            cur.execute(
                f"INSERT INTO {self._s}.settings AS t (name, value)"  # noqa: S608
                " VALUES ('latest_run', %s) ON CONFLICT (name)"
                " DO UPDATE SET value = greatest(t.value, excluded.value)",
                (at.astimezone(UTC).isoformat(timespec="microseconds"),),
            )

    # -- writing entries --------------------------------------------------------------------

    def _touch(self, cur: psycopg.Cursor[Any], invoice_ids: Sequence[str]) -> None:
        """Something changed for these invoices: review them at the next run."""
        cur.execute(
            f"UPDATE {self._s}.invoices SET review_after = NULL, version = version + 1"  # noqa: S608
            " WHERE id = ANY(%s)",
            (list(invoice_ids),),
        )

    def _update_entry(self, cur: psycopg.Cursor[Any], entry: LogEntry) -> None:
        """Write every column of *entry* (and its covers) over the row with its key."""
        assignments = ", ".join(f"{c} = %s" for c in _LOG_NAMES[1:])
        row = _row(entry)
        cur.execute(
            f"UPDATE {self._s}.action_log SET {assignments} WHERE key = %s",  # noqa: S608
            (*row[1:], entry.key),
        )
        cur.execute(f"DELETE FROM {self._s}.action_covers WHERE key = %s", (entry.key,))  # noqa: S608
        self._insert_covers(cur, entry)

    def _insert_covers(self, cur: psycopg.Cursor[Any], entry: LogEntry) -> None:
        cur.executemany(
            f"INSERT INTO {self._s}.action_covers"  # noqa: S608
            " (key, position, invoice_id, action_id, step_id, amount_due, deadline_on)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (entry.key, n, c.invoice_id, c.action_id, c.step_id, c.amount_due, c.deadline_on)
                for n, c in enumerate(entry.covers)
            ],
        )


# -- rows <-> models -----------------------------------------------------------------------


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def _invoice_with(customer: Customer) -> Any:
    def parse(text: str) -> Invoice:
        return Invoice.model_validate({**json.loads(text), "customer": customer})

    return parse


def _parse(parse: Any, data: Any, where: str) -> Any:
    """*parse*(*data*), or a `StoredDataError` saying which row is bad."""
    try:
        return parse(data)
    except (ValueError, TypeError) as error:
        first = str(error).splitlines()[0]
        raise StoredDataError(first, where=where) from error


def _entry_from(row: Sequence[Any], covers: Sequence[Sequence[Any]]) -> LogEntry:
    """The `LogEntry` of an ``action_log`` row and its ``action_covers`` rows."""
    (
        key,
        customer_id,
        channel,
        status,
        owner,
        reserved_at,
        updated_at,
        attempts,
        requires_approval,
        message,
        provider_id,
        detail,
        reason,
        decided_by,
        attempted_at,
        decided_at,
        resolved_by,
    ) = row
    try:
        return LogEntry(
            key=key,
            customer_id=customer_id,
            channel=Channel(channel),
            covers=tuple(
                Covered(invoice_id, action_id, step_id, amount, deadline)
                for invoice_id, action_id, step_id, amount, deadline in covers
            ),
            message=Message.model_validate_json(message),
            status=EntryStatus(status),
            owner=owner,
            reserved_at=_utc(reserved_at),
            updated_at=_utc(updated_at),
            attempts=attempts,
            receipt=None if provider_id is None else Receipt(provider_id, detail or ""),
            reason=reason,
            decided_by=decided_by,
            requires_approval=requires_approval,
            attempted_at=None if attempted_at is None else _utc(attempted_at),
            decided_at=None if decided_at is None else _utc(decided_at),
            resolved_by=resolved_by,
        )
    except (ValueError, TypeError, ArithmeticError) as error:
        first = str(error).splitlines()[0]
        raise StoredDataError(first, where=f"action_log[{key!r}]") from error


def _row(entry: LogEntry) -> tuple[object, ...]:
    """The ``action_log`` row of *entry*, in `_LOG_NAMES` order."""
    for at in (entry.reserved_at, entry.updated_at, entry.attempted_at, entry.decided_at):
        if at is not None:
            check_aware(at)
    return (
        entry.key,
        entry.customer_id,
        entry.channel.value,
        entry.status.value,
        entry.owner,
        entry.reserved_at,
        entry.updated_at,
        entry.attempts,
        entry.requires_approval,
        entry.message.model_dump_json(),
        entry.receipt.provider_id if entry.receipt else None,
        entry.receipt.detail if entry.receipt else None,
        entry.reason,
        entry.decided_by,
        entry.attempted_at,
        entry.decided_at,
        entry.resolved_by,
    )
