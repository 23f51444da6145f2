"""The action-log half of the SQL stores: `SqlActionLog`, shared by SQLite and PostgreSQL.

One row per message in ``action_log``, the per-invoice actions it carries out in
``action_covers``. Every call that reads then writes runs in one transaction; the claims
(`SqlActionLog.begin_attempt`, `cancel`, `finish`, `decide_approval`) are single
compare-and-set UPDATEs, so of two runners claiming one key exactly one matches. What each log
entry means for the invoices it covers is `dunning.ports.log_events`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import NamedTuple

from dunning.adapters._sqlrows import (
    COVER_COLUMNS,
    LOG_COLUMNS,
    Dialect,
    Result,
    Rows,
    Transaction,
    entry_from,
    instant_from,
)
from dunning.core.action_log import (
    Covered,
    EntryStatus,
    LatestRunReset,
    LogEntry,
    Receipt,
    customer_ids_of,
    latest_run_reset,
    reservation,
    resolved_entry,
    revised_entry,
)
from dunning.core.model import check_aware
from dunning.core.render import Message
from dunning.core.shards import LATEST_RUN, Shard, latest_run_names
from dunning.exceptions import NotFoundError

__all__ = ["Finish", "SqlActionLog"]


class Finish(NamedTuple):
    """An outcome to record (`SqlActionLog.finish`) with the next reservation."""

    key: str
    status: EntryStatus
    at: datetime
    receipt: Receipt | None
    reason: str


def _fresh(entry: LogEntry) -> LogEntry:
    """What `reservation` stores for *entry* under a key no entry has, no action held."""
    stored, _ = reservation(entry, None, ())
    if stored is None:  # pragma: no cover  (a free key and free actions are never refused)
        msg = f"reservation refused {entry.key!r} with nothing in its way"
        raise AssertionError(msg)
    return stored


class SqlActionLog(ABC):
    """The `ActionLog` half of the SQL stores: one entry per message, claimed compare-and-set.

    A subclass gives the `Dialect` and opens transactions (`_write`, `_read`); it may lock the
    actions a reservation covers (`_lock_actions`) where its write lock does not already.
    """

    _dialect: Dialect
    tenant: str
    """The tenant whose entries this log reads and writes (set by the store)."""
    _for_update: str = ""
    """What follows a query whose rows a reservation must hold (`` FOR UPDATE``, or nothing)."""

    # -- what a store supplies --------------------------------------------------------------

    @abstractmethod
    def _write(self) -> AbstractContextManager[Transaction]:
        """A transaction that will write (taking the write lock first where it must)."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Transaction]:
        """A transaction that only reads."""

    def _lock_actions(self, tx: Transaction, actions: Sequence[str]) -> None:  # noqa: B027
        """Serialise reservations of these per-invoice actions (default: the write lock does)."""

    def _reserve_new(
        self,
        entry: LogEntry,  # noqa: ARG002  (a hook: the default has no such statement)
        finish: Finish | None,  # noqa: ARG002
    ) -> tuple[bool, bool] | None:
        """Store *entry* in one transaction of one statement if its key and actions are free.

        The common reservation (a key no entry has, whose actions no live entry covers) needs
        no decision in Python: where the database can say so in one statement, it is written
        there, with *finish* (the outcome of the message before) when given, and committed.
        Returns whether the finished key was found (True when there is none to finish) and
        whether *entry* was stored; a key found taken, or an action held, stores nothing
        (the caller then takes the general path, which reads the entries and decides). An
        outcome whose key is not found writes nothing at all.

        None (the default): the database has no such statement, take the general path.
        """
        return None

    def _sql(self, statement: str) -> str:
        return self._dialect.sql(statement)

    # -- ActionLog --------------------------------------------------------------------------

    def get(self, key: str) -> LogEntry | None:
        """The entry for *key*, or None."""
        with self._read() as tx:
            return self._get(tx, key)

    def reserve(self, entry: LogEntry) -> bool:
        """Make *entry* the live entry for its key and actions (see `dunning.ports.ActionLog`).

        One transaction: the actions it covers locked (`_lock_actions`), the entries covering
        them read (``FOR UPDATE`` where rows can be locked), then the write and the superseded
        entries closed, all in one commit. Where the database can, a key no entry has, whose
        actions no live entry covers, is first stored by one statement (`_reserve_new`).
        """
        quick = self._reserve_new(_fresh(entry), None)
        if quick is not None and quick[1]:
            return True
        return self._reserve_deciding(entry)

    def _reserve_deciding(self, entry: LogEntry) -> bool:
        """`reserve` in general: the entries read and locked, `reservation` decides."""
        with self._write() as tx:
            return self._reserve(tx, entry)

    def finish_and_reserve(
        self,
        key: str,
        status: EntryStatus,
        *,
        at: datetime,
        receipt: Receipt | None = None,
        reason: str = "",
        entry: LogEntry,
    ) -> bool:
        """`finish` one message and `reserve` the next in one transaction: one commit, not two.

        The runner records a sent message's outcome this way with the next message it
        reserves (see `dunning.runner.Dunner`): the outcome is durable before the next send,
        as with two calls, and the log writes once. Either both happen or neither does, with
        one exception: where the database stores a free reservation in one statement
        (`_reserve_new`, PostgreSQL), a reservation that needs deciding (its key taken, an
        action held) is decided in a second transaction, after the outcome's commit. An error
        there leaves the outcome recorded and *entry* not reserved: recording the same outcome
        again (the runner's fallback) changes nothing.

        Returns:
            Whether *entry* was reserved (the outcome is recorded either way).

        Raises:
            NotFoundError: (a `KeyError`) if there is no entry under *key* (nothing written).
        """
        finish = Finish(key, status, at, receipt, reason)
        quick = self._reserve_new(_fresh(entry), finish)
        if quick is not None:
            found, stored = quick
            if not found:
                msg = f"no message with id {key!r} in the action log"
                raise NotFoundError(msg)
            # The outcome is committed; a reservation the statement could not make (its key
            # taken, an action held) is decided apart, as `reserve` would.
            return stored or self._reserve_deciding(entry)
        with self._write() as tx:
            done = self._finish(tx, key, status, at=at, receipt=receipt, reason=reason)
            reserved = self._reserve(tx, entry)
            # Checked before the commit (nothing is written if it fails), once the
            # reservation's read has brought the answers back: no round trip of its own.
            if done.rowcount == 0:
                msg = f"no message with id {key!r} in the action log"
                raise NotFoundError(msg)
            return reserved

    def _reserve(self, tx: Transaction, entry: LogEntry) -> bool:
        """`reserve` in the transaction *tx*."""
        actions = sorted({c.action_id for c in entry.covers})
        self._lock_actions(tx, actions)
        some, params = self._dialect.any_of("action_id", actions)
        # One set of keys, not ``key = ? OR key IN (...)``: PostgreSQL plans an OR with
        # a subquery as a scan of the whole log (a reservation slower as the log grows);
        # this is two index lookups.
        found = self._entries(
            tx,
            f"key IN (SELECT ? UNION SELECT key FROM {{t}}action_covers"
            f" WHERE tenant = ? AND {some})",
            [entry.key, self.tenant, *params],
            lock=True,
        )
        existing = next((e for e in found if e.key == entry.key), None)
        stored, superseded = reservation(entry, existing, found)
        if stored is None:
            return False
        for old in superseded:
            self._update_entry(tx, old)
        if existing is None:
            marks = ", ".join("?" * (1 + len(LOG_COLUMNS)))
            tx.execute(
                self._sql(
                    f"INSERT INTO {{t}}action_log (tenant, {', '.join(LOG_COLUMNS)})"
                    f" VALUES ({marks})"
                ),
                (self.tenant, *self._row(stored)),
            )
            self._insert_covers(tx, stored)
        else:
            self._update_entry(tx, stored)
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
        """Claim *key* for a send attempt if it is still as the caller saw it (one UPDATE).

        Of two runners claiming one key, exactly one matches ``status`` and ``attempts``.
        """
        instant = self._dialect.instant(at)
        with self._write() as tx:
            claimed = tx.execute(
                self._sql(
                    "UPDATE {t}action_log SET status = ?, owner = ?, attempts = attempts + 1,"
                    " updated_at = ?, attempted_at = ?, message = coalesce(?{json}, message)"
                    " WHERE tenant = ? AND key = ? AND status = ? AND attempts = ?"
                ),
                (
                    EntryStatus.RESERVED.value,
                    owner,
                    instant,
                    instant,
                    message.model_dump_json() if message is not None else None,
                    self.tenant,
                    key,
                    expect.value,
                    expect_attempts,
                ),
            )
            if claimed.rowcount != 1:
                return None
            return self._get(tx, key)

    def cancel(
        self, key: str, *, expect: EntryStatus, expect_attempts: int, at: datetime, reason: str
    ) -> bool:
        """Cancel *key* if it is still as the caller saw it (one UPDATE)."""
        instant = self._dialect.instant(at)
        with self._write() as tx:
            done = tx.execute(
                self._sql(
                    "UPDATE {t}action_log SET status = ?, updated_at = ?, reason = ?"
                    " WHERE tenant = ? AND key = ? AND status = ? AND attempts = ?"
                ),
                (
                    EntryStatus.CANCELLED.value,
                    instant,
                    reason,
                    self.tenant,
                    key,
                    expect.value,
                    expect_attempts,
                ),
            )
        return done.rowcount == 1  # read once committed, as in `finish`

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
        with self._write() as tx:
            entry = self._get(tx, key, lock=True)
            if entry is None or entry.status is not expect or entry.attempts != expect_attempts:
                return None
            new = revised_entry(
                entry, status=status, covers=covers, message=message, at=at, reason=reason
            )
            self._update_entry(tx, new)
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
            NotFoundError: (a `KeyError`) if there is no entry under *key*.
        """
        with self._write() as tx:
            done = self._finish(tx, key, status, at=at, receipt=receipt, reason=reason)
        # Read once committed: an UPDATE of no row changed nothing, and the commit goes out
        # with the statement (one round trip where the store pipelines).
        if done.rowcount == 0:
            msg = f"no message with id {key!r} in the action log"
            raise NotFoundError(msg)

    def _finish(
        self,
        tx: Transaction,
        key: str,
        status: EntryStatus,
        *,
        at: datetime,
        receipt: Receipt | None,
        reason: str,
    ) -> Result:
        """`finish` in the transaction *tx*; the caller reads ``rowcount`` (0: no such key)."""
        return tx.execute(
            self._sql(
                "UPDATE {t}action_log SET status = ?, updated_at = ?,"
                " receipt_provider_id = ?, receipt_detail = ?, reason = ?"
                " WHERE tenant = ? AND key = ?"
            ),
            (
                status.value,
                self._dialect.instant(at),
                receipt.provider_id if receipt else None,
                receipt.detail if receipt else None,
                reason,
                self.tenant,
                key,
            ),
        )

    def decide_approval(self, key: str, *, approved: bool, by: str, at: datetime) -> LogEntry:
        """Approve or reject a pending entry (one UPDATE, then its invoices are re-reviewed).

        Raises:
            NotFoundError: (a `KeyError`) if no message awaits approval under *key*.
        """
        instant = self._dialect.instant(at)
        status = EntryStatus.APPROVED if approved else EntryStatus.REJECTED
        with self._write() as tx:
            done = tx.execute(
                self._sql(
                    "UPDATE {t}action_log SET status = ?, decided_by = ?, decided_at = ?,"
                    " updated_at = ? WHERE tenant = ? AND key = ? AND status = ?"
                ),
                (
                    status.value,
                    by or "unknown",
                    instant,
                    instant,
                    self.tenant,
                    key,
                    EntryStatus.PENDING_APPROVAL.value,
                ),
            )
            decided = self._get(tx, key) if done.rowcount == 1 else None
            if decided is None:
                msg = f"no message awaiting approval with id {key!r}"
                raise NotFoundError(msg)
            self._touch(tx, [c.invoice_id for c in decided.covers])
        return decided

    def resolve_uncertain(self, key: str, *, delivered: bool, by: str, at: datetime) -> LogEntry:
        """Record a human's answer for an uncertain entry (see `dunning.ports.ActionLog`).

        Raises:
            NotFoundError: (a `KeyError`) if no uncertain message has this key.
        """
        with self._write() as tx:
            entry = resolved_entry(
                self._get(tx, key, lock=True), key, delivered=delivered, by=by, at=at
            )
            self._update_entry(tx, entry)
            self._touch(tx, [c.invoice_id for c in entry.covers])
        return entry

    def entries_with(self, *statuses: EntryStatus) -> Sequence[LogEntry]:
        """Entries in any of *statuses*, oldest reservation first."""
        if not statuses:
            return []
        some, params = self._dialect.any_of("status", [s.value for s in statuses])
        with self._read() as tx:
            return self._entries(tx, some, params)

    def entries_updated_at(self, at: datetime) -> Sequence[LogEntry]:
        """The entries whose last change was at *at* (a run's instant), oldest reservation first.

        What a run last did, read without loading the rest of the log (see
        `dunning.web`'s latest run page).
        """
        check_aware(at)
        with self._read() as tx:
            return self._entries(tx, "updated_at = ?", [self._dialect.instant(at)])

    def last_message_at(self, customer_id: str, *, at: datetime) -> datetime | None:
        """The latest message not after *at* among the customer's sent or uncertain entries.

        A message reaches the customer at its attempt, or at its ``not_before`` if later
        (`dunning.core.action_log.reached_at`): instants compare alike as stored (ISO 8601
        text in UTC, or ``timestamptz``).
        """
        return self.last_messages_at([customer_id], at=at).get(customer_id)

    def last_messages_at(self, customer_ids: Sequence[str], *, at: datetime) -> dict[str, datetime]:
        """`last_message_at` of each of *customer_ids*, in one query (the runner's batches).

        Those who never received a message are left out.

        Examples:
            >>> from dunning.adapters.sqlite import SqliteStore
            >>> with SqliteStore(":memory:") as store:
            ...     store.last_messages_at(["C-001", "C-002"], at=datetime(2026, 5, 5, tzinfo=UTC))
            {}
        """
        instant = self._dialect.instant(at)  # refuses a naive instant
        if not customer_ids_of(customer_ids):
            return {}
        some, params = self._dialect.any_of("customer_id", list(customer_ids))
        with self._read() as tx:
            rows = tx.execute(
                self._sql(
                    "SELECT customer_id, max(reached) FROM (SELECT customer_id, CASE WHEN"
                    " not_before > attempted_at THEN not_before ELSE attempted_at END AS reached"
                    f" FROM {{t}}action_log WHERE tenant = ? AND {some}"
                    " AND status IN ('sent', 'uncertain') AND attempted_at IS NOT NULL)"
                    " AS messages WHERE reached <= ? GROUP BY customer_id"
                ),
                (self.tenant, *params, instant),
            ).fetchall()
        return {row[0]: instant_from(row[1]) for row in rows}

    def latest_run(self, *, shard: Shard | None = None) -> datetime | None:
        """The latest run instant recorded (see `latest_run_names` for *shard*)."""
        which, names = self._run_names(shard)
        with self._read() as tx:
            row = tx.execute(
                self._sql(f"SELECT max(value) FROM {{t}}settings WHERE tenant = ? AND {which}"),
                (self.tenant, *names),
            ).fetchone()
        return None if row is None or row[0] is None else datetime.fromisoformat(row[0])

    def record_run(self, at: datetime, *, shard: Shard | None = None) -> None:
        """Remember *at* if it is later than the latest run instant (one statement).

        With *shard*, as that shard's latest run (`latest_run_names`).
        """
        check_aware(at)
        with self._write() as tx:
            tx.execute(
                self._sql(
                    "INSERT INTO {t}settings (tenant, name, value) VALUES (?, ?, ?)"
                    " ON CONFLICT (tenant, name)"
                    " DO UPDATE SET value = {greatest}(settings.value, excluded.value)"
                ),
                (
                    self.tenant,
                    latest_run_names(shard)[-1],
                    at.astimezone(UTC).isoformat(timespec="microseconds"),
                ),
            )

    def _run_names(self, shard: Shard | None) -> tuple[str, tuple[str, ...]]:
        """The condition on ``settings.name`` for the latest runs *shard* sees, and its values."""
        if shard is None:
            return "(name = ? OR name LIKE ?)", (LATEST_RUN, f"{LATEST_RUN}:%")
        return "name IN (?, ?)", latest_run_names(shard)

    def reset_latest_run(
        self, to: datetime, *, by: str, at: datetime, reason: str
    ) -> LatestRunReset:
        """Move the latest run instant back to *to* (a mistaken far-future run), with an audit line.

        The line is kept (`latest_run_resets`); runs after *to* are accepted again. What that
        wrong run sent stays in the log.

        Raises:
            ValueError: as `dunning.core.action_log.latest_run_reset` (nothing recorded, *to*
                not earlier, no name or reason).
        """
        which, names = self._run_names(None)
        with self._write() as tx:
            rows = tx.execute(
                self._sql(
                    f"SELECT value FROM {{t}}settings WHERE tenant = ? AND {which}"
                    + self._for_update
                ),
                (self.tenant, *names),
            ).fetchall()
            latest = max((datetime.fromisoformat(v) for (v,) in rows), default=None)
            line = latest_run_reset(latest, to, by=by, at=at, reason=reason)
            moved = to.astimezone(UTC).isoformat(timespec="microseconds")
            tx.execute(  # the whole book's and every shard's, where later than *to*
                self._sql(
                    f"UPDATE {{t}}settings SET value = ? WHERE tenant = ? AND {which} AND value > ?"
                ),
                (moved, self.tenant, *names, moved),
            )
            found = tx.execute(
                self._sql(
                    "SELECT value FROM {t}settings WHERE tenant = ? AND name = 'latest_run_resets'"
                    + self._for_update
                ),
                (self.tenant,),
            ).fetchone()
            lines = [] if found is None else json.loads(found[0])
            lines.append(
                {
                    "replaced": line.replaced.isoformat(),
                    "to": line.to.isoformat(),
                    "by": line.by,
                    "at": line.at.isoformat(),
                    "reason": line.reason,
                }
            )
            tx.execute(
                self._sql(
                    "INSERT INTO {t}settings (tenant, name, value)"
                    " VALUES (?, 'latest_run_resets', ?)"
                    " ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value"
                ),
                (self.tenant, json.dumps(lines)),
            )
        return line

    def latest_run_resets(self) -> list[LatestRunReset]:
        """Every move back of the latest run instant, oldest first (who, when, why)."""
        with self._read() as tx:
            row = tx.execute(
                self._sql(
                    "SELECT value FROM {t}settings WHERE tenant = ? AND name = 'latest_run_resets'"
                ),
                (self.tenant,),
            ).fetchone()
        return [
            LatestRunReset(
                replaced=datetime.fromisoformat(d["replaced"]),
                to=datetime.fromisoformat(d["to"]),
                by=d["by"],
                at=datetime.fromisoformat(d["at"]),
                reason=d["reason"],
            )
            for d in ([] if row is None else json.loads(row[0]))
        ]

    # -- reading and writing entries --------------------------------------------------------

    def _log_columns(self) -> str:
        return ", ".join(f"{n}{{text}}" if n == "message" else n for n in LOG_COLUMNS)

    def _get(self, tx: Transaction, key: str, *, lock: bool = False) -> LogEntry | None:
        found = self._entries(tx, "key = ?", [key], lock=lock)
        return found[0] if found else None

    def _entries(
        self, tx: Transaction, where: str, params: Sequence[object], *, lock: bool = False
    ) -> list[LogEntry]:
        """The entries matching *where* (oldest first), with their covers: two queries.

        With *lock*, the rows are read ``FOR UPDATE`` where the database locks rows.
        """
        rows = tx.execute(
            self._sql(
                f"SELECT {self._log_columns()} FROM {{t}}action_log WHERE tenant = ? AND ({where})"
                f" ORDER BY reserved_at, key{self._for_update if lock else ''}"
            ),
            [self.tenant, *params],
        ).fetchall()
        if not rows:
            return []
        some, key_params = self._dialect.any_of("key", [row[0] for row in rows])
        covers: dict[str, Rows] = {}
        for row in tx.execute(
            self._sql(
                f"SELECT key, {COVER_COLUMNS} FROM {{t}}action_covers WHERE tenant = ? AND {some}"
                " ORDER BY key, position"
            ),
            [self.tenant, *key_params],
        ).fetchall():
            covers.setdefault(row[0], []).append(tuple(row[1:]))
        return [entry_from(tuple(row), covers.get(row[0], [])) for row in rows]

    def _touch(self, tx: Transaction, invoice_ids: Sequence[str]) -> None:
        """Something changed for these invoices: review them at the next run."""
        if not invoice_ids:
            return
        some, params = self._dialect.any_of("id", invoice_ids)
        tx.execute(
            self._sql(
                "UPDATE {t}invoices SET review_after = NULL, version = version + 1"
                " WHERE tenant = ? AND " + some
            ),
            [self.tenant, *params],
        )

    def _row(self, entry: LogEntry) -> tuple[object, ...]:
        """The ``action_log`` row of *entry*, in `LOG_COLUMNS` order."""
        instant = self._dialect.instant
        return (
            entry.key,
            entry.customer_id,
            entry.channel.value,
            entry.status.value,
            entry.owner,
            instant(entry.reserved_at),
            instant(entry.updated_at),
            entry.attempts,
            entry.requires_approval,
            entry.message.model_dump_json(),
            entry.receipt.provider_id if entry.receipt else None,
            entry.receipt.detail if entry.receipt else None,
            entry.reason,
            entry.decided_by,
            None if entry.attempted_at is None else instant(entry.attempted_at),
            None if entry.decided_at is None else instant(entry.decided_at),
            entry.resolved_by,
            None if entry.not_before is None else instant(entry.not_before),
            None if entry.not_after is None else instant(entry.not_after),
        )

    def _update_entry(self, tx: Transaction, entry: LogEntry) -> None:
        """Write every column of *entry* (and its covers) over the row with its key."""
        assignments = ", ".join(f"{c} = ?" for c in LOG_COLUMNS[1:])
        row = self._row(entry)
        tx.execute(
            self._sql(f"UPDATE {{t}}action_log SET {assignments} WHERE tenant = ? AND key = ?"),
            (*row[1:], self.tenant, entry.key),
        )
        tx.execute(
            self._sql("DELETE FROM {t}action_covers WHERE tenant = ? AND key = ?"),
            (self.tenant, entry.key),
        )
        self._insert_covers(tx, entry)

    def _insert_covers(self, tx: Transaction, entry: LogEntry) -> None:
        native = self._dialect.native
        tx.executemany(
            self._sql(
                "INSERT INTO {t}action_covers (tenant, key, position, invoice_id, action_id,"
                " step_id, amount_due, deadline_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            [
                (
                    self.tenant,
                    entry.key,
                    position,
                    c.invoice_id,
                    c.action_id,
                    c.step_id,
                    c.amount_due if native or c.amount_due is None else str(c.amount_due),
                    c.deadline_on if native or c.deadline_on is None else c.deadline_on.isoformat(),
                )
                for position, c in enumerate(entry.covers)
            ],
        )
