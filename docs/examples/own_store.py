"""The ports on a host's own database: a worked example (docs/own-database.md).

The host already has its tables (``clients``, ``factures``, ``reglements``: customers,
invoices, payments); dunning adds two of its own for the action log. The store reads the
host's rows into dunning's models, adds the events the log implies (`log_events`), and keeps
the log with the rules `dunning.core.action_log` ships (`reservation`, `revised_entry`,
`resolved_entry`), each write in one ``BEGIN IMMEDIATE`` transaction.

The test suite runs `dunning.testing.contract.StoreContract` against this class
(tests/test_docs_own_store.py), so this page cannot drift from the contract.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from dunning import Customer, Event, Invoice, InvoiceHistory
from dunning.core.action_log import (
    Covered,
    EntryStatus,
    LogEntry,
    Receipt,
    log_events,
    reached_at,
    reservation,
    resolved_entry,
    revised_entry,
)
from dunning.core.render import Message
from dunning.model import check_new_event, parse_events

# --8<-- [start:host_schema]
HOST_SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (id TEXT PRIMARY KEY, nom TEXT, email TEXT);
CREATE TABLE IF NOT EXISTS factures (
    id TEXT PRIMARY KEY, numero TEXT, client_id TEXT, emise_le TEXT, echeance TEXT,
    montant_ttc TEXT, soldee INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS evenements (facture_id TEXT, json TEXT);
"""

DUNNING_SCHEMA = """
CREATE TABLE IF NOT EXISTS dunning_log (
    key TEXT PRIMARY KEY, customer_id TEXT NOT NULL, status TEXT NOT NULL,
    reserved_at TEXT NOT NULL, attempted_at TEXT, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dunning_covers (
    key TEXT NOT NULL, action_id TEXT NOT NULL, invoice_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dunning_covers_action ON dunning_covers(action_id);
CREATE INDEX IF NOT EXISTS dunning_covers_invoice ON dunning_covers(invoice_id);
CREATE TABLE IF NOT EXISTS dunning_runs (id INTEGER PRIMARY KEY CHECK (id = 1), latest TEXT);
"""
# --8<-- [end:host_schema]

ENTRY = TypeAdapter(LogEntry)  # a LogEntry to JSON and back, Decimal and instants included


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _invoice(row: tuple[Any, ...]) -> Invoice:
    """An `Invoice` from a row of ``factures`` joined to its ``clients`` row."""
    invoice_id, number, issued, due, total, client_id, name, email = row
    return Invoice(
        id=invoice_id,
        number=number,
        customer=Customer(id=client_id, name=name, email=email),
        issued_on=issued,
        due_on=due,
        total=Decimal(total),
    )


class OwnStore:
    """An `InvoiceSource` and `ActionLog` on the host's SQLite tables.

    One connection, used by one thread at a time (a lock): enough for one runner per process;
    several processes on one file are serialised by ``BEGIN IMMEDIATE``.
    """

    def __init__(self, path: Path) -> None:
        """Open the database and create the tables that are missing."""
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(HOST_SCHEMA + DUNNING_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def _write(self) -> _Tx:
        return _Tx(self.db, self.lock)

    # -- the host's side (its own code would do this) ------------------------------------

    def add_invoice(self, invoice: Invoice, events: Iterable[Event] = ()) -> None:
        """Insert a customer and an invoice into the host's tables."""
        c = invoice.customer
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO clients VALUES (?, ?, ?)", (c.id, c.name, c.email))
            db.execute(
                "INSERT OR REPLACE INTO factures VALUES (?, ?, ?, ?, ?, ?, 0)",
                (
                    invoice.id,
                    invoice.number,
                    c.id,
                    invoice.issued_on.isoformat(),
                    invoice.first_due_on.isoformat(),
                    str(invoice.total),
                ),
            )
            for event in events:
                db.execute(
                    "INSERT INTO evenements VALUES (?, ?)", (invoice.id, event.model_dump_json())
                )

    def add_event(self, invoice_id: str, event: Event) -> None:
        """Record a payment, a dispute... on an invoice, once checked against it and its history.

        `check_new_event` raises `InvoiceHistoryError` (a payment before the invoice date, in
        another currency, a reversal of no earlier fact...): nothing is written.
        """
        with self._write() as db:
            check_new_event(self._invoice(invoice_id), self._events(invoice_id), event)
            db.execute(
                "INSERT INTO evenements VALUES (?, ?)", (invoice_id, event.model_dump_json())
            )

    # --8<-- [start:source]
    # -- InvoiceSource ---------------------------------------------------------------------

    def entries(self, at: datetime) -> Iterator[InvoiceHistory]:  # noqa: ARG002  (no index)
        """Every open invoice, with the host's events and the log's, grouped by customer."""
        with self.lock:
            yield from list(self._entries())

    def _entries(self) -> Iterator[InvoiceHistory]:
        rows = self.db.execute(
            "SELECT f.id, f.numero, f.emise_le, f.echeance, f.montant_ttc, c.id, c.nom, c.email"
            " FROM factures f JOIN clients c ON c.id = f.client_id WHERE f.soldee = 0"
            " ORDER BY c.id, f.id"
        ).fetchall()
        for row in rows:
            invoice = _invoice(row)
            yield InvoiceHistory(invoice=invoice, events=tuple(self._events(invoice.id)))

    def _invoice(self, invoice_id: str) -> Invoice:
        row = self.db.execute(
            "SELECT f.id, f.numero, f.emise_le, f.echeance, f.montant_ttc, c.id, c.nom, c.email"
            " FROM factures f JOIN clients c ON c.id = f.client_id WHERE f.id = ?",
            (invoice_id,),
        ).fetchone()
        if row is None:
            msg = f"no invoice with id {invoice_id!r}"
            raise KeyError(msg)
        return _invoice(row)

    def _events(self, invoice_id: str) -> list[Event]:
        host = parse_events(
            json.loads(data)
            for (data,) in self.db.execute(
                "SELECT json FROM evenements WHERE facture_id = ?", (invoice_id,)
            )
        )
        keys = [
            k
            for (k,) in self.db.execute(
                "SELECT DISTINCT key FROM dunning_covers WHERE invoice_id = ?", (invoice_id,)
            )
        ]
        derived = [
            event
            for key in keys
            if (entry := self.get(key)) is not None
            for on, event in log_events(entry)
            if on == invoice_id
        ]
        return [*host, *derived]

    # --8<-- [end:source]

    # -- ActionLog -------------------------------------------------------------------------

    def get(self, key: str) -> LogEntry | None:
        """The entry for *key*, or None."""
        with self.lock:
            row = self.db.execute("SELECT entry FROM dunning_log WHERE key = ?", (key,)).fetchone()
        return None if row is None else ENTRY.validate_json(row[0])

    def _put(self, db: sqlite3.Connection, entry: LogEntry) -> None:
        db.execute(
            "INSERT OR REPLACE INTO dunning_log VALUES (?, ?, ?, ?, ?, ?)",
            (
                entry.key,
                entry.customer_id,
                entry.status.value,
                _utc(entry.reserved_at),
                # When it reaches the customer: the attempt, or its send window if later
                # (a message handed to a scheduling sender at 02:00 goes at 10:00).
                None if entry.attempted_at is None else _utc(reached_at(entry)),
                ENTRY.dump_json(entry).decode(),
            ),
        )
        db.execute("DELETE FROM dunning_covers WHERE key = ?", (entry.key,))
        db.executemany(
            "INSERT INTO dunning_covers VALUES (?, ?, ?)",
            [(entry.key, c.action_id, c.invoice_id) for c in entry.covers],
        )

    # --8<-- [start:reserve]
    def reserve(self, entry: LogEntry) -> bool:
        """One live entry per key and per action (the rule: `action_log.reservation`)."""
        actions = [c.action_id for c in entry.covers]
        with self._write() as db:
            marks = ", ".join("?" * len(actions))
            keys = [
                k
                for (k,) in db.execute(
                    f"SELECT DISTINCT key FROM dunning_covers WHERE action_id IN ({marks})",  # noqa: S608
                    actions,
                )
            ]
            holders = [h for k in keys if (h := self.get(k)) is not None]
            stored, superseded = reservation(entry, self.get(entry.key), holders)
            if stored is None:
                return False
            for old in [*superseded, stored]:
                self._put(db, old)
            return True

    # --8<-- [end:reserve]

    # --8<-- [start:swap]
    def _swap(
        self, key: str, expect: EntryStatus, attempts: int, change: Callable[[LogEntry], LogEntry]
    ) -> LogEntry | None:
        """Compare-and-set: apply *change* if the entry is still as the caller saw it."""
        with self._write() as db:
            entry = self.get(key)
            if entry is None or entry.status is not expect or entry.attempts != attempts:
                return None
            new = change(entry)
            self._put(db, new)
            return new

    # --8<-- [end:swap]

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
        """Claim *key* for one send attempt (compare-and-set), durably."""
        return self._swap(
            key,
            expect,
            expect_attempts,
            lambda e: replace(
                e,
                status=EntryStatus.RESERVED,
                owner=owner,
                attempts=e.attempts + 1,
                updated_at=at,
                attempted_at=at,
                message=message or e.message,
            ),
        )

    def cancel(
        self, key: str, *, expect: EntryStatus, expect_attempts: int, at: datetime, reason: str
    ) -> bool:
        """Cancel *key* if it is still as the caller saw it."""

        def cancelled(e: LogEntry) -> LogEntry:
            return replace(e, status=EntryStatus.CANCELLED, updated_at=at, reason=reason)

        return self._swap(key, expect, expect_attempts, cancelled) is not None

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
        """A new preview (the rule is `dunning.core.action_log.revised_entry`), compare-and-set."""
        return self._swap(
            key,
            expect,
            expect_attempts,
            lambda e: revised_entry(
                e, status=status, covers=covers, message=message, at=at, reason=reason
            ),
        )

    def finish(
        self,
        key: str,
        status: EntryStatus,
        *,
        at: datetime,
        receipt: Receipt | None = None,
        reason: str = "",
    ) -> None:
        """Record an attempt's outcome."""
        with self._write() as db:
            entry = self.get(key)
            if entry is None:
                raise KeyError(key)
            new = replace(entry, status=status, updated_at=at, receipt=receipt, reason=reason)
            self._put(db, new)

    def decide_approval(self, key: str, *, approved: bool, by: str, at: datetime) -> LogEntry:
        """Approve or reject a pending entry, stamped *at*."""
        status = EntryStatus.APPROVED if approved else EntryStatus.REJECTED
        decided = self._swap(
            key,
            EntryStatus.PENDING_APPROVAL,
            self._attempts(key),
            lambda e: replace(
                e, status=status, decided_by=by or "unknown", decided_at=at, updated_at=at
            ),
        )
        if decided is None:
            msg = f"no message awaiting approval with id {key!r}"
            raise KeyError(msg)
        return decided

    def resolve_uncertain(self, key: str, *, delivered: bool, by: str, at: datetime) -> LogEntry:
        """A human's answer (the rule is `dunning.core.action_log.resolved_entry`)."""
        with self._write() as db:
            entry = resolved_entry(self.get(key), key, delivered=delivered, by=by, at=at)
            self._put(db, entry)
            return entry

    def _attempts(self, key: str) -> int:
        entry = self.get(key)
        return -1 if entry is None else entry.attempts

    def entries_with(self, *statuses: EntryStatus) -> Sequence[LogEntry]:
        """Entries in any of *statuses*, oldest reservation first."""
        if not statuses:
            return []
        marks = ", ".join("?" * len(statuses))
        with self.lock:
            rows = self.db.execute(
                f"SELECT entry FROM dunning_log WHERE status IN ({marks})"  # noqa: S608
                " ORDER BY reserved_at, key",
                [s.value for s in statuses],
            ).fetchall()
        return [ENTRY.validate_json(data) for (data,) in rows]

    def last_message_at(self, customer_id: str, *, at: datetime) -> datetime | None:
        """The latest message not after *at* of the customer's sent or uncertain entries.

        The ``attempted_at`` column holds when each reached the customer (`reached_at`).
        """
        with self.lock:
            (latest,) = self.db.execute(
                "SELECT max(attempted_at) FROM dunning_log WHERE customer_id = ?"
                " AND status IN ('sent', 'uncertain') AND attempted_at <= ?",
                (customer_id, _utc(at)),
            ).fetchone()
        return None if latest is None else datetime.fromisoformat(latest)

    def latest_run(self) -> datetime | None:
        """The latest run instant recorded."""
        with self.lock:
            row = self.db.execute("SELECT latest FROM dunning_runs WHERE id = 1").fetchone()
        return None if row is None else datetime.fromisoformat(row[0])

    def record_run(self, at: datetime) -> None:
        """Keep the latest run instant (an atomic max)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO dunning_runs VALUES (1, ?) ON CONFLICT (id)"
                " DO UPDATE SET latest = max(latest, excluded.latest)",
                (_utc(at),),
            )


class _Tx:
    """One ``BEGIN IMMEDIATE`` transaction under the lock: commit, or roll back on an error."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db = db
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            self.db.execute("ROLLBACK" if kind is not None else "COMMIT")
        finally:
            self.lock.release()
