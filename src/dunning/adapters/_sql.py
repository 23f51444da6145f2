"""What the SQL stores share: the queries, the row <-> model mapping, the log protocol.

`SqlStore` holds every method `dunning.adapters.sqlite.SqliteStore` and
`dunning.adapters.postgres.PostgresStore` have in common, written once against a small
`Dialect` (placeholders, table prefix, how instants, amounts, dates and JSON travel). Each store
keeps only what truly differs: how it connects and opens transactions, its migrations, and how it
locks the actions a reservation covers. Both have the same tables, so one reading of a row serves
both:

``customers(tenant, id, data)``, ``invoices(tenant, id, customer_id, data, archived,
review_after, version, bucket)``, ``events(seq, tenant, invoice_id, kind, data)``,
``credits(seq, tenant, customer_id, kind, data)``, ``action_log(tenant, key, customer_id,
channel, status, owner, reserved_at, updated_at, attempts, requires_approval, message,
receipt_provider_id, receipt_detail, reason, decided_by, attempted_at, decided_at,
resolved_by, not_before, not_after)``,
``action_covers(tenant, key, position, invoice_id, action_id, step_id,
amount_due, deadline_on)`` and ``settings(tenant, name, value)``.

**Tenants.** Every row carries its tenant, every key is unique per tenant (``(tenant, id)``),
and every statement names the store's tenant (`SqlStore.tenant`): many creditors share one
database and one set of tables, and a store scoped to one of them never reads or writes
another's rows. ``invoices.bucket`` is the customer's stable bucket
(`dunning.core.shards.customer_bucket`), so a shard's customers are one indexed condition.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Final, Self

from dunning.adapters._sqllog import SqlActionLog
from dunning.adapters._sqlrows import (
    COVER_COLUMNS,
    EVENTS,
    Logged,
    Rows,
    Transaction,
    customer_entries,
    derived_events,
    invoice_from,
    invoice_json,
    parse,
)
from dunning.core.action_log import (
    LogEntry,
    bounced_entry,
)
from dunning.core.model import Customer, Event, Invoice, check_new_event
from dunning.core.portfolio import PaymentOnAccount, PortfolioEntry, UnappliedCreditNote
from dunning.core.render import Creditor
from dunning.core.shards import DEFAULT_TENANT, Shard, check_tenant, customer_bucket
from dunning.exceptions import NotFoundError, StoredDataError
from dunning.ports import InvoiceReview, UnreadableEntry

__all__ = ["SqlStore"]

_BATCH: Final = 200
"""Customers read per transaction by `SqlStore.entries`."""


class SqlStore(SqlActionLog):
    """The methods both SQL stores share (`InvoiceSource`, and `ActionLog` from `SqlActionLog`).

    A subclass gives the `Dialect`, opens transactions (`_write`, `_read`) and may lock the
    actions a reservation covers (`_lock_actions`) or index reviews in bulk (`_index_reviews`).
    """

    def __init__(self, tenant: str = DEFAULT_TENANT) -> None:
        """Set up the bookkeeping every store keeps (its tenant, connections, versions read)."""
        self.tenant: str = check_tenant(tenant)
        """The creditor this store reads and writes for (`dunning.core.shards`)."""
        self._local = threading.local()
        self._connections: list[Any] = []
        self._connections_lock = threading.Lock()
        self._versions: dict[str, int] = {}  # invoice id -> version read by entries()
        self._owns_connections = True

    def _index_reviews(self, tx: Transaction, rows: Sequence[tuple[object, str, int]]) -> None:
        """Set ``review_after`` for ``(after, invoice id, version read)`` rows (compare-and-set)."""
        tx.executemany(
            self._sql(
                "UPDATE {t}invoices SET review_after = ?"
                " WHERE id = ? AND version = ? AND tenant = ?"
            ),
            [(*row, self.tenant) for row in rows],
        )

    def _remember(self, connection: Any) -> None:
        """Keep *connection* so that `close` closes it."""
        with self._connections_lock:
            self._connections.append(connection)

    # -- lifetime ---------------------------------------------------------------------------

    def _scoped(self, tenant: str) -> Self:
        """This store for *tenant*, sharing its connections (the stores' ``for_tenant``)."""
        view = copy.copy(self)
        view.tenant = check_tenant(tenant)
        view._versions = {}  # noqa: SLF001  (a copy of this very class)
        view._owns_connections = False  # noqa: SLF001
        return view

    def close(self) -> None:
        """Close the connections this store opened (never a host's pool or connection).

        A store from ``for_tenant`` shares its parent's connections: closing it does nothing.
        """
        if not self._owns_connections:
            return
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
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

    def schema_version(self) -> int:
        """The schema version of the database (the highest migration applied)."""
        with self._read() as tx:
            row = tx.execute(self._sql("SELECT max(version) FROM {t}schema_migrations")).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # -- the host's side: customers, invoices, events, credits ------------------------------

    def add_customer(self, customer: Customer) -> None:
        """Add or update a customer (its invoices see the change)."""
        with self._write() as tx:
            self._upsert_customer(tx, customer)

    def add_invoice(self, invoice: Invoice, events: Iterable[Event] = ()) -> None:
        """Add (or replace) *invoice*, its customer and its events (the host's, not the log's)."""
        with self._write() as tx:
            self._upsert_customer(tx, invoice.customer)
            tx.execute(
                self._sql(
                    "INSERT INTO {t}invoices (tenant, id, customer_id, data, bucket)"
                    " VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (tenant, id) DO UPDATE SET customer_id = excluded.customer_id,"
                    " data = excluded.data, archived = false, review_after = NULL,"
                    " version = invoices.version + 1, bucket = excluded.bucket"
                ),
                self._invoice_row(invoice),
            )
            tx.execute(
                self._sql("DELETE FROM {t}events WHERE tenant = ? AND invoice_id = ?"),
                (self.tenant, invoice.id),
            )
            rows = [
                (self.tenant, invoice.id, event.kind, event.model_dump_json()) for event in events
            ]
            if rows:
                tx.executemany(
                    self._sql(
                        "INSERT INTO {t}events (tenant, invoice_id, kind, data) VALUES (?, ?, ?, ?)"
                    ),
                    rows,
                )

    def import_invoices(self, invoices: Iterable[Invoice]) -> tuple[int, int]:
        """Add or update *invoices* and their customers in one transaction: all or nothing.

        An invoice already stored keeps its events and its log; its data (amount, dates,
        customer) is replaced and it is reviewed again.

        Returns:
            How many invoices were new, and how many were updated.

        Examples:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from dunning.adapters.sqlite import SqliteStore
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
        upsert = self._sql(
            "INSERT INTO {t}invoices (tenant, id, customer_id, data, bucket) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (tenant, id) DO UPDATE SET customer_id = excluded.customer_id,"
            " data = excluded.data, review_after = NULL, version = invoices.version + 1,"
            " bucket = excluded.bucket"
        )
        known = self._sql("SELECT 1 FROM {t}invoices WHERE tenant = ? AND id = ?")
        with self._write() as tx:
            for invoice in invoices:
                self._upsert_customer(tx, invoice.customer)
                if tx.execute(known, (self.tenant, invoice.id)).fetchone() is None:
                    new += 1
                else:
                    updated += 1
                tx.execute(upsert, self._invoice_row(invoice))
        return new, updated

    def invoice(self, ref: str) -> Invoice:
        """The invoice whose id, else whose number, is *ref* (with its customer).

        Raises:
            NotFoundError: (a `KeyError`) if no invoice has this id or number, or several
                have this number.

        Examples:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from dunning.adapters.sqlite import SqliteStore
            >>> from dunning.testing import make_invoice
            >>> folder = tempfile.TemporaryDirectory()
            >>> with SqliteStore(Path(folder.name) / "dunning.db") as store:
            ...     store.add_invoice(make_invoice(id="F-1", number="2026-0001"))
            ...     store.invoice("2026-0001").id, store.invoice("F-1").number
            ('F-1', '2026-0001')
            >>> folder.cleanup()
        """
        select = (
            "SELECT i.id, i.data{text}, c.data{text} FROM {t}invoices i"
            " JOIN {t}customers c ON c.tenant = i.tenant AND c.id = i.customer_id"
            " WHERE i.tenant = ?"
        )
        with self._read() as tx:
            rows = tx.execute(self._sql(select + " AND i.id = ?"), (self.tenant, ref)).fetchall()
            if not rows:
                by_number = self._sql(select + " AND {number} = ?")
                rows = tx.execute(by_number, (self.tenant, ref)).fetchall()
        if not rows:
            msg = f"no invoice with id or number {ref!r}"
            raise NotFoundError(msg)
        if len(rows) > 1:
            ids = ", ".join(sorted(r[0] for r in rows))
            msg = f"several invoices have the number {ref!r} (ids {ids}): give the id"
            raise NotFoundError(msg)
        [(invoice_id, data, customer_data)] = rows
        where = f"invoices[{invoice_id!r}]"
        customer = parse(Customer.model_validate_json, customer_data, where)
        return invoice_from(data, customer, where)

    def add_event(self, invoice_id: str, event: Event) -> None:
        """Record *event* on an invoice (a payment, a dispute...), once checked against it.

        Raises:
            NotFoundError: (a `KeyError`) if there is no such invoice.
            InvoiceHistoryError: if the invoice as stored or its history contradicts *event*
                (`check_new_event`); nothing is written.
        """
        with self._write() as tx:
            changed = tx.execute(
                self._sql(
                    "UPDATE {t}invoices SET review_after = NULL, version = version + 1"
                    " WHERE tenant = ? AND id = ?"
                ),
                (self.tenant, invoice_id),
            )
            if changed.rowcount == 0:
                msg = f"no invoice with id {invoice_id!r}"
                raise NotFoundError(msg)
            # Checked in the writing transaction: two reversals of one fact cannot both pass.
            check_new_event(*self._stored_history(tx, invoice_id), event)
            tx.execute(
                self._sql(
                    "INSERT INTO {t}events (tenant, invoice_id, kind, data) VALUES (?, ?, ?, ?)"
                ),
                (self.tenant, invoice_id, event.kind, event.model_dump_json()),
            )

    def _stored_history(self, tx: Transaction, invoice_id: str) -> tuple[Invoice, list[Event]]:
        """The invoice *invoice_id* as stored, and its events (the host's, then the log's)."""
        row = tx.execute(
            self._sql(
                "SELECT i.data{text}, c.data{text} FROM {t}invoices i"
                " JOIN {t}customers c ON c.tenant = i.tenant AND c.id = i.customer_id"
                " WHERE i.tenant = ? AND i.id = ?"
            ),
            (self.tenant, invoice_id),
        ).fetchone()
        where = f"invoices[{invoice_id!r}]"
        invoice = invoice_from(row[0], parse(Customer.model_validate_json, row[1], where), where)
        return invoice, self._history_events(tx, invoice_id)

    def _history_events(self, tx: Transaction, invoice_id: str) -> list[Event]:
        """An invoice's events: the host's in the order recorded, then those of the log."""
        rows = tx.execute(
            self._sql(
                "SELECT data{text} FROM {t}events WHERE tenant = ? AND invoice_id = ? ORDER BY seq"
            ),
            (self.tenant, invoice_id),
        ).fetchall()
        logged = self._log_rows(tx, [invoice_id]).get(invoice_id, [])
        own = [EVENTS.validate_json(data) for (data,) in rows]
        return [*own, *derived_events(invoice_id, logged)]

    def record_delivery_failure(self, key: str, *, at: datetime, reason: str) -> None:
        """Record that the sent message *key* never reached the customer (a bounce...).

        The entry becomes ``failed``, so the engine tries the step's fallback channel next,
        with a new message. For bounce reports and returned letters.

        Raises:
            NotFoundError: (a `KeyError`) if there is no message under *key*.
            ValueError: if it was never sent.
        """
        with self._write() as tx:
            entry = bounced_entry(self._get(tx, key, lock=True), key, at=at, reason=reason)
            self._update_entry(tx, entry)
            self._touch(tx, [c.invoice_id for c in entry.covers])

    def add_credit(self, credit: PaymentOnAccount | UnappliedCreditNote) -> None:
        """Record money or a credit note not yet allocated to an invoice.

        Raises:
            NotFoundError: (a `KeyError`) if there is no such customer.
        """
        with self._write() as tx:
            known = tx.execute(
                self._sql("SELECT 1 FROM {t}customers WHERE tenant = ? AND id = ?"),
                (self.tenant, credit.customer_id),
            )
            if known.fetchone() is None:
                msg = f"no customer with id {credit.customer_id!r}"
                raise NotFoundError(msg)
            tx.execute(
                self._sql(
                    "INSERT INTO {t}credits (tenant, customer_id, kind, data) VALUES (?, ?, ?, ?)"
                ),
                (self.tenant, credit.customer_id, credit.kind, credit.model_dump_json()),
            )
            tx.execute(
                self._sql(
                    "UPDATE {t}invoices SET review_after = NULL, version = version + 1"
                    " WHERE tenant = ? AND customer_id = ?"
                ),
                (self.tenant, credit.customer_id),
            )

    def archive_invoice(self, invoice_id: str) -> None:
        """Stop reviewing an invoice (settled and filed); its history and log stay.

        Raises:
            NotFoundError: (a `KeyError`) if there is no such invoice.
        """
        with self._write() as tx:
            done = tx.execute(
                self._sql("UPDATE {t}invoices SET archived = true WHERE tenant = ? AND id = ?"),
                (self.tenant, invoice_id),
            )
            if done.rowcount == 0:
                msg = f"no invoice with id {invoice_id!r}"
                raise NotFoundError(msg)

    def events(self, invoice_id: str) -> tuple[Event, ...]:
        """The invoice's events: the host's, then those derived from the log.

        Raises:
            NotFoundError: (a `KeyError`) if there is no such invoice.
        """
        with self._read() as tx:
            known = tx.execute(
                self._sql("SELECT 1 FROM {t}invoices WHERE tenant = ? AND id = ?"),
                (self.tenant, invoice_id),
            )
            if known.fetchone() is None:
                msg = f"no invoice with id {invoice_id!r}"
                raise NotFoundError(msg)
            return tuple(self._history_events(tx, invoice_id))

    def log_for_invoice(self, invoice_id: str) -> list[LogEntry]:
        """Every message that covered the invoice, oldest reservation first."""
        with self._read() as tx:
            return self._entries(
                tx,
                "key IN (SELECT key FROM {t}action_covers WHERE tenant = ? AND invoice_id = ?)",
                [self.tenant, invoice_id],
            )

    def set_creditor(self, creditor: Creditor) -> None:
        """Store the creditor the command line runs with."""
        with self._write() as tx:
            tx.execute(
                self._sql(
                    "INSERT INTO {t}settings (tenant, name, value) VALUES (?, 'creditor', ?)"
                    " ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value"
                ),
                (self.tenant, creditor.model_dump_json()),
            )

    def creditor(self) -> Creditor | None:
        """The stored creditor, or None."""
        with self._read() as tx:
            row = tx.execute(
                self._sql("SELECT value FROM {t}settings WHERE tenant = ? AND name = 'creditor'"),
                (self.tenant,),
            ).fetchone()
        return None if row is None else Creditor.model_validate_json(row[0])

    # -- InvoiceSource ----------------------------------------------------------------------

    def entries(
        self, at: datetime, *, shard: Shard | None = None
    ) -> Iterator[PortfolioEntry | UnreadableEntry]:
        """The customers with an invoice due for review, with their open invoices and credits.

        An invoice is due for review when it is new or changed (an event, a credit, a human's
        decision on a message covering it) or its ``review_after`` (set by `reviewed`) has
        come. Customers are read in sorted batches of 200 through the ``(customer_id, id)``
        index, each batch in one short read transaction, so a large book streams in time
        linear in its size without holding a lock while the runner writes to the log. Events
        dated after *at* are left in: the engine ignores them and the runner stops on them.
        Rows that cannot be read give an `UnreadableEntry` for their customer. With *shard*,
        only the customers of that shard (`dunning.core.shards.Shard`) are read.
        """
        now = self._dialect.instant(at)
        split = shard is not None and shard.count > 1
        due = self._sql(
            "SELECT DISTINCT customer_id FROM {t}invoices"
            " WHERE tenant = ? AND customer_id > ? AND archived = false"
            " AND (review_after IS NULL OR review_after <= ?)"
            + (" AND bucket % ? = ?" if split else "")
            + " ORDER BY customer_id LIMIT ?"
        )
        which: tuple[int, ...] = (shard.count, shard.index) if split and shard else ()
        after = ""
        while True:
            with self._read() as tx:
                params = (self.tenant, after, now, *which, _BATCH)
                ids = [row[0] for row in tx.execute(due, params).fetchall()]
                batch = self._batch(tx, ids)
            yield from batch
            if len(ids) < _BATCH:
                return
            after = ids[-1]

    def reviewed(self, reviews: Sequence[InvoiceReview]) -> None:
        """Index the invoices by when they must be reviewed again (``review_after``).

        An invoice changed since `entries` read it keeps "review now" (its ``version`` moved
        on).
        """
        rows: list[tuple[object, str, int]] = []
        for review in reviews:
            version = self._versions.pop(review.invoice_id, None)
            if version is None:
                continue
            after = review.review_after
            encoded = self._dialect.never if after is None else self._dialect.instant(after)
            rows.append((encoded, review.invoice_id, version))
        if rows:
            with self._write() as tx:
                self._index_reviews(tx, rows)

    def _batch(
        self, tx: Transaction, customer_ids: Sequence[str]
    ) -> list[PortfolioEntry | UnreadableEntry]:
        """The customers' entries, in order; a customer with a bad row: one `UnreadableEntry`.

        A few queries for the whole batch; the rows are turned into models customer by
        customer, so a bad row stops its own customer only.
        """
        if not customer_ids:
            return []
        some, params = self._dialect.any_of("id", customer_ids)
        rows = tx.execute(
            self._sql("SELECT id, data{text} FROM {t}customers WHERE tenant = ? AND " + some),
            [self.tenant, *params],
        ).fetchall()
        customers: dict[str, str] = dict(rows)
        some, params = self._dialect.any_of("customer_id", customer_ids)
        params = [self.tenant, *params]
        invoices: dict[str, list[tuple[str, str, int]]] = {}
        for invoice_id, cid, data, version in tx.execute(
            self._sql(
                "SELECT id, customer_id, data{text}, version FROM {t}invoices"
                f" WHERE tenant = ? AND archived = false AND {some} ORDER BY customer_id, id"
            ),
            params,
        ).fetchall():
            invoices.setdefault(cid, []).append((invoice_id, data, version))
        invoice_ids = [row[0] for rows in invoices.values() for row in rows]
        events: dict[str, list[str]] = {}
        if invoice_ids:
            some_invoice, invoice_params = self._dialect.any_of("invoice_id", invoice_ids)
            for invoice_id, data in tx.execute(
                self._sql(
                    "SELECT invoice_id, data{text} FROM {t}events"
                    f" WHERE tenant = ? AND {some_invoice} ORDER BY seq"
                ),
                [self.tenant, *invoice_params],
            ).fetchall():
                events.setdefault(invoice_id, []).append(data)
        logged = self._log_rows(tx, invoice_ids)
        unallocated: dict[str, list[str]] = {}
        for cid, data in tx.execute(
            self._sql(
                "SELECT customer_id, data{text} FROM {t}credits"
                f" WHERE tenant = ? AND {some} ORDER BY seq"
            ),
            params,
        ).fetchall():
            unallocated.setdefault(cid, []).append(data)
        out: list[PortfolioEntry | UnreadableEntry] = []
        for cid in customer_ids:
            try:
                entries = customer_entries(
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
                self._versions.update(
                    (invoice_id, version) for invoice_id, _, version in invoices.get(cid, [])
                )
        return out

    def _log_rows(self, tx: Transaction, invoice_ids: Sequence[str]) -> Logged:
        """The log rows covering these invoices, with their covers, by invoice (unparsed)."""
        if not invoice_ids:
            return {}
        some, params = self._dialect.any_of("invoice_id", invoice_ids)
        covers: dict[str, Rows] = {}
        for row in tx.execute(
            self._sql(
                f"SELECT key, {COVER_COLUMNS} FROM {{t}}action_covers WHERE tenant = ?"
                f" AND key IN (SELECT key FROM {{t}}action_covers WHERE tenant = ? AND {some})"
                " ORDER BY key, position"
            ),
            [self.tenant, self.tenant, *params],
        ).fetchall():
            covers.setdefault(row[0], []).append(tuple(row[1:]))
        if not covers:
            return {}
        some_key, key_params = self._dialect.any_of("key", list(covers))
        wanted = set(invoice_ids)
        out: Logged = {}
        for row in tx.execute(
            self._sql(
                f"SELECT {self._log_columns()} FROM {{t}}action_log"
                f" WHERE tenant = ? AND {some_key} ORDER BY reserved_at, key"
            ),
            [self.tenant, *key_params],
        ).fetchall():
            for invoice_id in sorted({c[0] for c in covers[row[0]]} & wanted):
                out.setdefault(invoice_id, []).append((tuple(row), covers[row[0]]))
        return out

    def _upsert_customer(self, tx: Transaction, customer: Customer) -> None:
        tx.execute(
            self._sql(
                "INSERT INTO {t}customers (tenant, id, data) VALUES (?, ?, ?)"
                " ON CONFLICT (tenant, id) DO UPDATE SET data = excluded.data"
            ),
            (self.tenant, customer.id, customer.model_dump_json()),
        )

    def _invoice_row(self, invoice: Invoice) -> tuple[object, ...]:
        """``(tenant, id, customer_id, data, bucket)`` of an ``invoices`` row."""
        customer_id = invoice.customer.id
        bucket = customer_bucket(self.tenant, customer_id)
        return (self.tenant, invoice.id, customer_id, invoice_json(invoice), bucket)
