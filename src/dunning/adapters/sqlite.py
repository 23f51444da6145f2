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

Schema (version 3), created and upgraded by numbered migrations recorded in
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
attempted_at, decided_at, resolved_by)``
    one row per message (`dunning.ports.LogEntry`); instants in UTC, ISO 8601.
``action_covers(key, invoice_id, action_id, step_id, amount_due, deadline_on)``
    the per-invoice actions each message carries out (with the amount and deadline date its
    preview showed), indexed by invoice and by action (the
    events derived from the log, and the one-live-entry-per-action rule, read through it).
``settings(name, value)``
    the creditor the command line runs with (``dunning init`` writes the demo's) and the
    latest run instant.

The events the engine needs from the log are derived when invoices are read, by
`dunning.ports.log_events`, exactly as `MemoryStore` does.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

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

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

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
)

SCHEMA_VERSION: Final = _MIGRATIONS[-1][0]
"""The schema version this release writes (the highest migration)."""

_EVENTS: TypeAdapter[Event] = TypeAdapter(Event)
_CREDIT: TypeAdapter[PaymentOnAccount | UnappliedCreditNote] = TypeAdapter(
    PaymentOnAccount | UnappliedCreditNote
)
_BATCH: Final = 200
_LOG_COLUMNS: Final = (
    "key, customer_id, channel, status, owner, reserved_at, updated_at, attempts,"
    " requires_approval, message, receipt_provider_id, receipt_detail, reason, decided_by,"
    " attempted_at, decided_at, resolved_by"
)
_NEVER: Final = "never"
"""``review_after`` of an invoice that only a new event can change (NULL: review now)."""


class SqliteStore:
    """Invoices, events and the action log in a SQLite file (`InvoiceSource` and `ActionLog`).

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

    def __init__(self, path: str | Path, *, create: bool = True, timeout: float = 30.0) -> None:
        """Open (and create or upgrade) the database at *path*."""
        self.path = Path(path)
        if not create and not self.path.exists():
            msg = f"database {str(self.path)!r} does not exist (create it with 'dunning init')"
            raise ConfigurationError(msg)
        if not create and self.path.is_file() and self.path.stat().st_size == 0:
            # SQLite would silently turn an empty file into a database.
            msg = f"{str(self.path)!r} is an empty file, not a database (check the path)"
            raise ConfigurationError(msg)
        self._timeout = timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._versions: dict[str, int] = {}  # invoice id -> version read by entries()
        self._migrate()

    # -- connections and transactions -------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # Each thread uses its own connection; check_same_thread=False only lets `close`
            # (in whichever thread) close them all.
            db = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
            with self._connections_lock:
                self._connections.append(db)
        return db

    def _write(self) -> _Transaction:
        return _Transaction(self._db(), "BEGIN IMMEDIATE")

    def _read(self) -> _Transaction:
        return _Transaction(self._db(), "BEGIN")

    def close(self) -> None:
        """Close every connection this store opened (in any thread)."""
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

    def _migrate(self) -> None:
        with self._write() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, description TEXT NOT NULL)"
            )
            row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
            current = row[0] or 0
            if current > SCHEMA_VERSION:
                msg = (
                    f"database {str(self.path)!r} has schema version {current}, newer than "
                    f"this release's {SCHEMA_VERSION}: upgrade dunning to open it"
                )
                raise ConfigurationError(msg)
            for version, description, statements in _MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements:
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations (version, description) VALUES (?, ?)",
                    (version, description),
                )

    def schema_version(self) -> int:
        """The schema version of the file (the highest migration applied)."""
        with self._read() as db:
            row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0])

    # -- the host's side: customers, invoices, events, credits ------------------------------

    def add_customer(self, customer: Customer) -> None:
        """Add or update a customer (its invoices see the change)."""
        with self._write() as db:
            _upsert_customer(db, customer)

    def add_invoice(self, invoice: Invoice, events: Iterable[Event] = ()) -> None:
        """Add (or replace) *invoice*, its customer and its events (the host's, not the log's)."""
        with self._write() as db:
            _upsert_customer(db, invoice.customer)
            db.execute(
                "INSERT INTO invoices (id, customer_id, data) VALUES (?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,"
                " data = excluded.data, archived = 0, review_after = NULL,"
                " version = version + 1",
                (invoice.id, invoice.customer.id, _invoice_json(invoice)),
            )
            db.execute("DELETE FROM events WHERE invoice_id = ?", (invoice.id,))
            for event in events:
                _insert_event(db, invoice.id, event)

    def import_invoices(self, invoices: Iterable[Invoice]) -> tuple[int, int]:
        """Add or update *invoices* and their customers in one transaction: all or nothing.

        An invoice already stored keeps its events and its log; its data (amount, dates,
        customer) is replaced and it is reviewed again.

        Returns:
            How many invoices were new, and how many were updated.

        Examples:
            >>> import tempfile
            >>> from dunning.testing import make_invoice
            >>> folder = tempfile.TemporaryDirectory()
            >>> with SqliteStore(Path(folder.name) / "dunning.db") as store:
            ...     store.import_invoices([make_invoice(id="F-1"), make_invoice(id="F-2")])
            ...     store.import_invoices([make_invoice(id="F-2", total="99.00")])
            (2, 0)
            (0, 1)
            >>> folder.cleanup()
        """
        new = updated = 0
        with self._write() as db:
            for invoice in invoices:
                _upsert_customer(db, invoice.customer)
                known = db.execute("SELECT 1 FROM invoices WHERE id = ?", (invoice.id,))
                if known.fetchone() is None:
                    new += 1
                else:
                    updated += 1
                db.execute(
                    "INSERT INTO invoices (id, customer_id, data) VALUES (?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,"
                    " data = excluded.data, review_after = NULL, version = version + 1",
                    (invoice.id, invoice.customer.id, _invoice_json(invoice)),
                )
        return new, updated

    def invoice(self, ref: str) -> Invoice:
        """The invoice whose id, else whose number, is *ref* (with its customer).

        Raises:
            KeyError: if no invoice has this id or number, or several have this number.

        Examples:
            >>> import tempfile
            >>> from dunning.testing import make_invoice
            >>> folder = tempfile.TemporaryDirectory()
            >>> with SqliteStore(Path(folder.name) / "dunning.db") as store:
            ...     store.add_invoice(make_invoice(id="F-1", number="2026-0001"))
            ...     store.invoice("2026-0001").id, store.invoice("F-1").number
            ('F-1', '2026-0001')
            >>> folder.cleanup()
        """
        with self._read() as db:
            rows = (
                db.execute(
                    "SELECT i.id, i.data, c.data AS customer FROM invoices i"
                    " JOIN customers c ON c.id = i.customer_id WHERE i.id = ?",
                    (ref,),
                ).fetchall()
                or db.execute(
                    "SELECT i.id, i.data, c.data AS customer FROM invoices i"
                    " JOIN customers c ON c.id = i.customer_id"
                    " WHERE json_extract(i.data, '$.number') = ?",
                    (ref,),
                ).fetchall()
            )
        if not rows:
            msg = f"no invoice with id or number {ref!r}"
            raise KeyError(msg)
        if len(rows) > 1:
            ids = ", ".join(sorted(r["id"] for r in rows))
            msg = f"several invoices have the number {ref!r} (ids {ids}): give the id"
            raise KeyError(msg)
        [row] = rows
        where = f"invoices[{row['id']!r}]"
        customer = _parse(Customer.model_validate_json, row["customer"], where)
        fields: dict[str, Any] = _parse(json.loads, row["data"], where)
        invoice: Invoice = _parse(Invoice.model_validate, {**fields, "customer": customer}, where)
        return invoice

    def add_event(self, invoice_id: str, event: Event) -> None:
        """Record *event* on an invoice (a payment, a dispute...).

        Raises:
            KeyError: if there is no such invoice.
        """
        with self._write() as db:
            _require_invoice(db, invoice_id)
            _insert_event(db, invoice_id, event)
            _touch(db, [invoice_id])

    def record_delivery_failure(self, key: str, *, at: datetime, reason: str) -> None:
        """Record that the sent message *key* never reached the customer (a bounce...).

        The entry becomes ``failed``, so the engine tries the step's fallback channel next,
        with a new message. For bounce reports and returned letters.

        Raises:
            KeyError: if there is no message under *key*.
            ValueError: if it was never sent.
        """
        with self._write() as db:
            entry = bounced_entry(_get(db, key), key, at=at, reason=reason)
            _update_entry(db, entry)
            _touch(db, [c.invoice_id for c in entry.covers])

    def add_credit(self, credit: PaymentOnAccount | UnappliedCreditNote) -> None:
        """Record money or a credit note not yet allocated to an invoice.

        Raises:
            KeyError: if there is no such customer.
        """
        with self._write() as db:
            known = db.execute("SELECT 1 FROM customers WHERE id = ?", (credit.customer_id,))
            if known.fetchone() is None:
                msg = f"no customer with id {credit.customer_id!r}"
                raise KeyError(msg)
            db.execute(
                "INSERT INTO credits (customer_id, kind, data) VALUES (?, ?, ?)",
                (credit.customer_id, credit.kind, credit.model_dump_json()),
            )
            db.execute(
                "UPDATE invoices SET review_after = NULL, version = version + 1"
                " WHERE customer_id = ?",
                (credit.customer_id,),
            )

    def archive_invoice(self, invoice_id: str) -> None:
        """Stop reviewing an invoice (settled and filed); its history and log stay.

        Raises:
            KeyError: if there is no such invoice.
        """
        with self._write() as db:
            done = db.execute("UPDATE invoices SET archived = 1 WHERE id = ?", (invoice_id,))
            if done.rowcount == 0:
                msg = f"no invoice with id {invoice_id!r}"
                raise KeyError(msg)

    def events(self, invoice_id: str) -> tuple[Event, ...]:
        """The invoice's events: the host's, then those derived from the log.

        Raises:
            KeyError: if there is no such invoice.
        """
        with self._read() as db:
            _require_invoice(db, invoice_id)
            own = _host_events(db, [invoice_id]).get(invoice_id, [])
            derived = _log_events(db, [invoice_id]).get(invoice_id, [])
        return (*own, *derived)

    def log_for_invoice(self, invoice_id: str) -> list[LogEntry]:
        """Every message that covered the invoice, oldest reservation first."""
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_LOG_COLUMNS} FROM action_log WHERE key IN"  # noqa: S608  (constant)
                " (SELECT key FROM action_covers WHERE invoice_id = ?)"
                " ORDER BY reserved_at, key",
                (invoice_id,),
            ).fetchall()
            return [_entry(db, row) for row in rows]

    def set_creditor(self, creditor: Creditor) -> None:
        """Store the creditor the command line runs with."""
        with self._write() as db:
            db.execute(
                "INSERT INTO settings (name, value) VALUES ('creditor', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (creditor.model_dump_json(),),
            )

    def creditor(self) -> Creditor | None:
        """The stored creditor, or None."""
        with self._read() as db:
            row = db.execute("SELECT value FROM settings WHERE name = 'creditor'").fetchone()
        return None if row is None else Creditor.model_validate_json(row[0])

    # -- InvoiceSource ----------------------------------------------------------------------

    def entries(self, at: datetime) -> Iterator[PortfolioEntry | UnreadableEntry]:
        """The customers with an invoice due for review, with their open invoices and credits.

        An invoice is due for review when it is new or changed (an event, a credit, a human's
        decision on a message covering it) or its ``review_after`` (set by `reviewed`) has
        come. Customers are read in sorted batches through the ``(customer_id, id)`` index,
        each batch in one short read transaction, so a large book streams in time linear in
        its size without holding a lock while the runner writes to the log. Events dated after
        *at* are left in: the engine ignores them and the runner stops on them. Rows that
        cannot be read give an `UnreadableEntry` for their customer.
        """
        check_aware(at)
        after = ""
        now = _instant(at)
        while True:
            with self._read() as db:
                ids = [
                    row[0]
                    for row in db.execute(
                        "SELECT DISTINCT customer_id FROM invoices"
                        " WHERE customer_id > ? AND archived = 0"
                        " AND (review_after IS NULL OR review_after <= ?)"
                        " ORDER BY customer_id LIMIT ?",
                        (after, now, _BATCH),
                    )
                ]
                batch = _batch(db, ids, self._versions)
            yield from batch
            if len(ids) < _BATCH:
                return
            after = ids[-1]

    def reviewed(self, reviews: Sequence[InvoiceReview]) -> None:
        """Index the invoices by when they must be reviewed again (``review_after``).

        An invoice changed since `entries` read it keeps "review now".
        """
        rows = []
        for review in reviews:
            version = self._versions.pop(review.invoice_id, None)
            if version is None:
                continue
            after = _NEVER if review.review_after is None else _instant(review.review_after)
            rows.append((after, review.invoice_id, version))
        if rows:
            with self._write() as db:
                db.executemany(
                    "UPDATE invoices SET review_after = ? WHERE id = ? AND version = ?", rows
                )

    # -- ActionLog --------------------------------------------------------------------------

    def get(self, key: str) -> LogEntry | None:
        """The entry for *key*, or None."""
        with self._read() as db:
            return _get(db, key)

    def reserve(self, entry: LogEntry) -> bool:
        """Make *entry* the live entry for its key and actions (see `dunning.ports.ActionLog`).

        One ``BEGIN IMMEDIATE`` transaction: the entries covering its actions are read under
        the write lock, and the superseded ones closed in the same commit.
        """
        actions = [c.action_id for c in entry.covers]
        with self._write() as db:
            holders = [
                held
                for (key,) in db.execute(
                    f"SELECT DISTINCT key FROM action_covers WHERE action_id IN ({_in(actions)})",  # noqa: S608
                    actions,
                ).fetchall()
                if (held := _get(db, key)) is not None
            ]
            existing = _get(db, entry.key)
            stored, superseded = reservation(entry, existing, holders)
            if stored is None:
                return False
            for old in superseded:
                _update_entry(db, old)
            if existing is None:
                db.execute(
                    f"INSERT INTO action_log ({_LOG_COLUMNS})"  # noqa: S608  (constant)
                    f" VALUES ({_in(_LOG_COLUMNS.split(','))})",
                    _row(stored),
                )
                _insert_covers(db, stored)
            else:
                _update_entry(db, stored)
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
        """Claim *key* for a send attempt if it is still as the caller saw it (durably)."""
        with self._write() as db:
            claimed = db.execute(
                "UPDATE action_log SET status = ?, owner = ?, attempts = attempts + 1,"
                " updated_at = ?, attempted_at = ?, message = coalesce(?, message)"
                " WHERE key = ? AND status = ? AND attempts = ?",
                (
                    EntryStatus.RESERVED.value,
                    owner,
                    _instant(at),
                    _instant(at),
                    message.model_dump_json() if message is not None else None,
                    key,
                    expect.value,
                    expect_attempts,
                ),
            ).rowcount
            return _get(db, key) if claimed else None

    def cancel(
        self, key: str, *, expect: EntryStatus, expect_attempts: int, at: datetime, reason: str
    ) -> bool:
        """Cancel *key* if it is still as the caller saw it (one transaction)."""
        with self._write() as db:
            done = db.execute(
                "UPDATE action_log SET status = ?, updated_at = ?, reason = ?"
                " WHERE key = ? AND status = ? AND attempts = ?",
                (
                    EntryStatus.CANCELLED.value,
                    _instant(at),
                    reason,
                    key,
                    expect.value,
                    expect_attempts,
                ),
            ).rowcount
            return done == 1

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
        with self._write() as db:
            entry = _get(db, key)
            if entry is None or entry.status is not expect or entry.attempts != expect_attempts:
                return None
            new = revised_entry(
                entry, status=status, covers=covers, message=message, at=at, reason=reason
            )
            _update_entry(db, new)
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
        """Record the outcome of an attempt.

        Raises:
            KeyError: if there is no entry under *key*.
        """
        with self._write() as db:
            done = db.execute(
                "UPDATE action_log SET status = ?, updated_at = ?, receipt_provider_id = ?,"
                " receipt_detail = ?, reason = ? WHERE key = ?",
                (
                    status.value,
                    _instant(at),
                    receipt.provider_id if receipt else None,
                    receipt.detail if receipt else None,
                    reason,
                    key,
                ),
            ).rowcount
            if done == 0:
                msg = f"no message with id {key!r} in the action log"
                raise KeyError(msg)

    def decide_approval(self, key: str, *, approved: bool, by: str, at: datetime) -> LogEntry:
        """Approve or reject a pending entry.

        Raises:
            KeyError: if no message awaits approval under *key*.
        """
        status = EntryStatus.APPROVED if approved else EntryStatus.REJECTED
        with self._write() as db:
            done = db.execute(
                "UPDATE action_log SET status = ?, decided_by = ?, decided_at = ?,"
                " updated_at = ? WHERE key = ? AND status = ?",
                (
                    status.value,
                    by or "unknown",
                    _instant(at),
                    _instant(at),
                    key,
                    "pending_approval",
                ),
            ).rowcount
            if done == 0:
                msg = f"no message awaiting approval with id {key!r}"
                raise KeyError(msg)
            decided = _get(db, key)
            assert decided is not None  # noqa: S101  (updated in this very transaction)
            _touch(db, [c.invoice_id for c in decided.covers])
        return decided

    def resolve_uncertain(self, key: str, *, delivered: bool, by: str, at: datetime) -> LogEntry:
        """Record a human's answer for an uncertain entry (see `dunning.ports.ActionLog`).

        Raises:
            KeyError: if no uncertain message has this key.
        """
        with self._write() as db:
            entry = resolved_entry(_get(db, key), key, delivered=delivered, by=by, at=at)
            _update_entry(db, entry)
            _touch(db, [c.invoice_id for c in entry.covers])
        return entry

    def entries_with(self, *statuses: EntryStatus) -> Sequence[LogEntry]:
        """Entries in any of *statuses*, oldest reservation first."""
        if not statuses:
            return []
        marks = ", ".join("?" * len(statuses))
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_LOG_COLUMNS} FROM action_log WHERE status IN ({marks})"  # noqa: S608
                " ORDER BY reserved_at, key",
                [s.value for s in statuses],
            ).fetchall()
            return [_entry(db, row) for row in rows]

    def last_message_at(self, customer_id: str, *, at: datetime) -> datetime | None:
        """The latest attempt not after *at* among the customer's sent or uncertain entries."""
        with self._read() as db:
            row = db.execute(
                "SELECT max(attempted_at) FROM action_log WHERE customer_id = ?"
                " AND status IN ('sent', 'uncertain') AND attempted_at <= ?",
                (customer_id, _instant(at)),
            ).fetchone()
        return None if row[0] is None else datetime.fromisoformat(row[0])

    def latest_run(self) -> datetime | None:
        """The latest run instant recorded."""
        with self._read() as db:
            row = db.execute("SELECT value FROM settings WHERE name = 'latest_run'").fetchone()
        return None if row is None else datetime.fromisoformat(row[0])

    def record_run(self, at: datetime) -> None:
        """Remember *at* if it is later than the latest run instant (one statement)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO settings (name, value) VALUES ('latest_run', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (_instant(at),),
            )


class _Transaction:
    """``with`` block around one transaction: commit on success, roll back on any exception."""

    def __init__(self, db: sqlite3.Connection, begin: str) -> None:
        self._db = db
        self._begin = begin

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute(self._begin)
        return self._db

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


# -- rows <-> models -----------------------------------------------------------------------


def _instant(at: datetime) -> str:
    check_aware(at)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _invoice_json(invoice: Invoice) -> str:
    return invoice.model_dump_json(exclude={"customer"})


def _upsert_customer(db: sqlite3.Connection, customer: Customer) -> None:
    db.execute(
        "INSERT INTO customers (id, data) VALUES (?, ?)"
        " ON CONFLICT (id) DO UPDATE SET data = excluded.data",
        (customer.id, customer.model_dump_json()),
    )


def _require_invoice(db: sqlite3.Connection, invoice_id: str) -> None:
    if db.execute("SELECT 1 FROM invoices WHERE id = ?", (invoice_id,)).fetchone() is None:
        msg = f"no invoice with id {invoice_id!r}"
        raise KeyError(msg)


def _insert_event(db: sqlite3.Connection, invoice_id: str, event: Event) -> None:
    db.execute(
        "INSERT INTO events (invoice_id, kind, data) VALUES (?, ?, ?)",
        (invoice_id, event.kind, event.model_dump_json()),
    )


def _in(ids: Sequence[str]) -> str:
    return ", ".join("?" * len(ids))


def _host_events(db: sqlite3.Connection, invoice_ids: Sequence[str]) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = {}
    rows = db.execute(
        f"SELECT invoice_id, data FROM events WHERE invoice_id IN ({_in(invoice_ids)})"  # noqa: S608
        " ORDER BY seq",
        list(invoice_ids),
    )
    for invoice_id, data in rows:
        out.setdefault(invoice_id, []).append(_EVENTS.validate_json(data))
    return out


def _log_events(db: sqlite3.Connection, invoice_ids: Sequence[str]) -> dict[str, list[Event]]:
    rows = db.execute(
        f"SELECT {_LOG_COLUMNS} FROM action_log WHERE key IN"  # noqa: S608  (constant columns)
        f" (SELECT key FROM action_covers WHERE invoice_id IN ({_in(invoice_ids)}))"
        " ORDER BY reserved_at, key",
        list(invoice_ids),
    ).fetchall()
    wanted = set(invoice_ids)
    out: dict[str, list[Event]] = {}
    for row in rows:
        for invoice_id, event in log_events(_entry(db, row)):
            if invoice_id in wanted:
                out.setdefault(invoice_id, []).append(event)
    return out


def _touch(db: sqlite3.Connection, invoice_ids: Sequence[str]) -> None:
    """Something changed for these invoices: review them at the next run."""
    db.executemany(
        "UPDATE invoices SET review_after = NULL, version = version + 1 WHERE id = ?",
        [(i,) for i in invoice_ids],
    )


def _batch(
    db: sqlite3.Connection, customer_ids: Sequence[str], versions: dict[str, int]
) -> list[PortfolioEntry | UnreadableEntry]:
    """The customers' entries, in order; unreadable rows give one `UnreadableEntry`.

    A few queries for the whole batch; the rows are turned into models customer by customer,
    so a bad row stops its own customer only.
    """
    if not customer_ids:
        return []
    marks = _in(customer_ids)
    customers = dict(
        db.execute(
            f"SELECT id, data FROM customers WHERE id IN ({marks})",  # noqa: S608
            list(customer_ids),
        ).fetchall()
    )
    invoices: dict[str, list[sqlite3.Row]] = {}
    for row in db.execute(
        f"SELECT id, customer_id, data, version FROM invoices"  # noqa: S608  (placeholders)
        f" WHERE archived = 0 AND customer_id IN ({marks}) ORDER BY customer_id, id",
        list(customer_ids),
    ):
        invoices.setdefault(row["customer_id"], []).append(row)
    invoice_ids = [row["id"] for rows in invoices.values() for row in rows]
    events = _raw_events(db, invoice_ids)
    logged = _raw_log(db, invoice_ids)
    unallocated: dict[str, list[str]] = {}
    for cid, data in db.execute(
        f"SELECT customer_id, data FROM credits WHERE customer_id IN ({marks})"  # noqa: S608
        " ORDER BY seq",
        list(customer_ids),
    ):
        unallocated.setdefault(cid, []).append(data)
    out: list[PortfolioEntry | UnreadableEntry] = []
    for cid in customer_ids:
        try:
            entries = _customer_entries(
                cid,
                customers.get(cid),
                invoices.get(cid, []),
                events=events,
                logged=logged,
                unallocated=unallocated,
                versions=versions,
            )
        except (StoredDataError, ValueError, KeyError, TypeError) as error:
            out.append(UnreadableEntry(cid, f"{type(error).__name__}: {error}"))
        else:
            out.extend(entries)
    return out


def _raw_events(db: sqlite3.Connection, invoice_ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for invoice_id, data in db.execute(
        f"SELECT invoice_id, data FROM events WHERE invoice_id IN ({_in(invoice_ids)})"  # noqa: S608
        " ORDER BY seq",
        list(invoice_ids),
    ):
        out.setdefault(invoice_id, []).append(data)
    return out


def _raw_log(
    db: sqlite3.Connection, invoice_ids: Sequence[str]
) -> dict[str, list[tuple[sqlite3.Row, list[tuple[Any, ...]]]]]:
    """The log rows covering these invoices, with their covers, by invoice (unparsed)."""
    covers: dict[str, list[tuple[Any, ...]]] = {}
    query = (
        "SELECT key, invoice_id, action_id, step_id, amount_due, deadline_on FROM action_covers"  # noqa: S608
        f" WHERE key IN (SELECT key FROM action_covers WHERE invoice_id IN ({_in(invoice_ids)}))"
        " ORDER BY rowid"
    )
    for row in db.execute(query, list(invoice_ids)):
        covers.setdefault(row[0], []).append(tuple(row[1:]))
    rows = db.execute(
        f"SELECT {_LOG_COLUMNS} FROM action_log WHERE key IN ({_in(list(covers))})"  # noqa: S608
        " ORDER BY reserved_at, key",
        list(covers),
    ).fetchall()
    wanted = set(invoice_ids)
    out: dict[str, list[tuple[sqlite3.Row, list[tuple[Any, ...]]]]] = {}
    for row in rows:
        for invoice_id in {c[0] for c in covers[row["key"]]} & wanted:
            out.setdefault(invoice_id, []).append((row, covers[row["key"]]))
    return out


def _customer_entries(
    customer_id: str,
    customer_data: str | None,
    invoice_rows: Sequence[sqlite3.Row],
    *,
    events: dict[str, list[str]],
    logged: dict[str, list[tuple[sqlite3.Row, list[tuple[Any, ...]]]]],
    unallocated: dict[str, list[str]],
    versions: dict[str, int],
) -> list[PortfolioEntry]:
    where = f"customers[{customer_id!r}]"
    if customer_data is None:
        msg = "no such customer"
        raise StoredDataError(msg, where=where)
    customer = _parse(Customer.model_validate_json, customer_data, where)
    out: list[PortfolioEntry] = []
    for r in invoice_rows:
        invoice_id = r["id"]
        where = f"invoices[{invoice_id!r}]"
        fields: dict[str, Any] = _parse(json.loads, r["data"], where)
        invoice = _parse(Invoice.model_validate, {**fields, "customer": customer}, where)
        own = [
            _parse(_EVENTS.validate_json, data, f"events of {invoice_id!r}")
            for data in events.get(invoice_id, ())
        ]
        derived = [
            event
            for row, covered in logged.get(invoice_id, ())
            for on, event in log_events(_entry_from(row, covered))
            if on == invoice_id
        ]
        out.append(InvoiceHistory(invoice=invoice, events=(*own, *derived)))
        versions[invoice_id] = r["version"]
    out.extend(
        _parse(_CREDIT.validate_json, data, f"credits of {customer_id!r}")
        for data in unallocated.get(customer_id, ())
    )
    return out


def _parse(parse: Any, data: Any, where: str) -> Any:
    """*parse*(*data*), or a `StoredDataError` saying which row is bad."""
    try:
        return parse(data)
    except (ValueError, TypeError) as error:
        first = str(error).splitlines()[0]
        raise StoredDataError(first, where=where) from error


def _get(db: sqlite3.Connection, key: str) -> LogEntry | None:
    row = db.execute(
        f"SELECT {_LOG_COLUMNS} FROM action_log WHERE key = ?",  # noqa: S608  (constant)
        (key,),
    ).fetchone()
    return None if row is None else _entry(db, row)


def _optional_instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _entry(db: sqlite3.Connection, row: sqlite3.Row) -> LogEntry:
    covers = db.execute(
        "SELECT invoice_id, action_id, step_id, amount_due, deadline_on FROM action_covers"
        " WHERE key = ? ORDER BY rowid",
        (row["key"],),
    ).fetchall()
    return _entry_from(row, [tuple(c) for c in covers])


def _entry_from(row: sqlite3.Row, covers: Sequence[tuple[Any, ...]]) -> LogEntry:
    """The `LogEntry` of an ``action_log`` row and its ``action_covers`` rows."""
    where = f"action_log[{row['key']!r}]"
    try:
        provider_id = row["receipt_provider_id"]
        return LogEntry(
            key=row["key"],
            customer_id=row["customer_id"],
            channel=Channel(row["channel"]),
            covers=tuple(
                Covered(
                    invoice_id,
                    action_id,
                    step_id,
                    None if amount is None else Decimal(amount),
                    None if deadline is None else date.fromisoformat(deadline),
                )
                for invoice_id, action_id, step_id, amount, deadline in covers
            ),
            message=Message.model_validate_json(row["message"]),
            status=EntryStatus(row["status"]),
            owner=row["owner"],
            reserved_at=datetime.fromisoformat(row["reserved_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
            attempts=row["attempts"],
            receipt=None
            if provider_id is None
            else Receipt(provider_id=provider_id, detail=row["receipt_detail"] or ""),
            reason=row["reason"],
            decided_by=row["decided_by"],
            requires_approval=bool(row["requires_approval"]),
            attempted_at=_optional_instant(row["attempted_at"]),
            decided_at=_optional_instant(row["decided_at"]),
            resolved_by=row["resolved_by"],
        )
    except (ValueError, TypeError, ArithmeticError) as error:
        first = str(error).splitlines()[0]
        raise StoredDataError(first, where=where) from error


def _row(entry: LogEntry) -> tuple[object, ...]:
    """The `action_log` row of *entry*, in `_LOG_COLUMNS` order."""
    return (
        entry.key,
        entry.customer_id,
        entry.channel.value,
        entry.status.value,
        entry.owner,
        _instant(entry.reserved_at),
        _instant(entry.updated_at),
        entry.attempts,
        int(entry.requires_approval),
        entry.message.model_dump_json(),
        entry.receipt.provider_id if entry.receipt else None,
        entry.receipt.detail if entry.receipt else None,
        entry.reason,
        entry.decided_by,
        None if entry.attempted_at is None else _instant(entry.attempted_at),
        None if entry.decided_at is None else _instant(entry.decided_at),
        entry.resolved_by,
    )


def _update_entry(db: sqlite3.Connection, entry: LogEntry) -> None:
    """Write every column of *entry* (and its covers) over the row with its key."""
    columns = [c.strip() for c in _LOG_COLUMNS.split(",")]
    assignments = ", ".join(f"{c} = ?" for c in columns[1:])
    row = _row(entry)
    db.execute(
        f"UPDATE action_log SET {assignments} WHERE key = ?",  # noqa: S608  (constant columns)
        (*row[1:], entry.key),
    )
    db.execute("DELETE FROM action_covers WHERE key = ?", (entry.key,))
    _insert_covers(db, entry)


def _insert_covers(db: sqlite3.Connection, entry: LogEntry) -> None:
    db.executemany(
        "INSERT INTO action_covers"
        " (key, invoice_id, action_id, step_id, amount_due, deadline_on)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                entry.key,
                c.invoice_id,
                c.action_id,
                c.step_id,
                None if c.amount_due is None else str(c.amount_due),
                None if c.deadline_on is None else c.deadline_on.isoformat(),
            )
            for c in entry.covers
        ],
    )
