"""A transactional outbox on PostgreSQL: a sender that writes each message into a host's table.

`OutboxSender` inserts the message into a table on the host's own connection, inside the
transaction the host has open, the same one a `dunning.adapters.postgres.PostgresStore.joined`
store works in. So the run's reservations, attempts and outcomes, the outbox rows and the
host's own work commit or roll back as one; a relay of the host's reads the committed rows and
hands them to the provider. Nothing is sent by a run whose transaction rolls back, and a run
that commits leaves exactly one row per message (keyed by tenant and message key, so a second
send of one key finds its row: the sender deduplicates).

The table (create it once with `OutboxSender.create_table`, or in the host's own migrations)::

    id bigint generated always as identity primary key,
    tenant text not null, key text not null, attempt integer not null,
    channel text not null, recipient text, subject text not null,
    message jsonb not null, created_at timestamptz not null default now(),
    unique (tenant, key)

Needs psycopg 3 (``pip install 'dunning[postgres]'``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from dunning.core.model import Channel
from dunning.core.render import Message
from dunning.core.shards import DEFAULT_TENANT, check_tenant
from dunning.exceptions import ConfigurationError
from dunning.ports import Receipt, SendContext

if TYPE_CHECKING:
    import psycopg

__all__ = ["OutboxSender"]

_TABLE: Final = re.compile(r"(?:[a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}")
"""A plain table name, optionally with its schema (quoted as given: no injection)."""


class OutboxSender:
    """A `dunning.ports.Sender` that writes into the host's outbox table, in its transaction.

    Args:
        connection: the host's ``psycopg.Connection``, the one the joined store uses.
        channel: the channel it serves (one sender per channel; they may share the table).
        table: the outbox table, ``name`` or ``schema.name`` (plain lower-case names).
        tenant: whose messages these are (message keys are unique per tenant).

    Raises:
        ConfigurationError: if *table* or *tenant* is not a plain name.

    Examples:
        >>> OutboxSender(None, Channel.EMAIL, table="outbox; drop")  # type: ignore[arg-type]
        Traceback (most recent call last):
        ...
        dunning.exceptions.ConfigurationError: table: 'outbox; drop' is not a plain ...

        In a host's transaction (needs a server, so not run here):

        >>> with psycopg.connect(url) as host, host.transaction():  # doctest: +SKIP
        ...     joined = store.joined(host)
        ...     outbox = OutboxSender(host, Channel.EMAIL)
        ...     Dunner(joined, joined, {Channel.EMAIL: outbox}, STANDARD, creditor).run(at=now)
    """

    deduplicates = True
    """A second send of one key finds its row and writes nothing."""

    def __init__(
        self,
        connection: psycopg.Connection[Any],
        channel: Channel,
        *,
        table: str = "dunning_outbox",
        tenant: str = DEFAULT_TENANT,
    ) -> None:
        """Write *channel*'s messages into *table* through *connection*."""
        if not _TABLE.fullmatch(table):
            msg = (
                f"table: {table!r} is not a plain table name (lower-case letters, digits and "
                "_, optionally schema.table)"
            )
            raise ConfigurationError(msg)
        self.connection = connection
        self.channel = channel
        self.table = table
        self.tenant = check_tenant(tenant)
        self._table = ".".join(f'"{part}"' for part in table.split("."))

    def create_table(self) -> None:
        """Create the outbox table if it does not exist (on the connection, in its transaction)."""
        self.connection.execute(
            f"CREATE TABLE IF NOT EXISTS {self._table} ("
            " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " tenant text NOT NULL, key text NOT NULL, attempt integer NOT NULL,"
            " channel text NOT NULL, recipient text, subject text NOT NULL,"
            " message jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),"
            " UNIQUE (tenant, key))"
        )

    def send(
        self, message: Message, *, idempotency_key: str, context: SendContext | None = None
    ) -> Receipt:
        """Insert the message (or find the row already there); the row's id is the receipt."""
        row = self.connection.execute(
            f"INSERT INTO {self._table}"  # noqa: S608  (a checked, quoted table name)
            " (tenant, key, attempt, channel, recipient, subject, message)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb)"
            " ON CONFLICT (tenant, key) DO UPDATE SET key = excluded.key"
            " RETURNING id, xmax <> 0",
            (
                self.tenant,
                idempotency_key,
                context.attempt if context is not None else 1,
                self.channel.value,
                message.to,
                message.subject,
                message.model_dump_json(),
            ),
        ).fetchone()
        if row is None:  # pragma: no cover  (RETURNING always gives the row)
            msg = f"the outbox {self.table} returned no row for {idempotency_key!r}"
            raise RuntimeError(msg)
        row_id, existed = row
        detail = "already in the outbox" if existed else ""
        return Receipt(provider_id=f"outbox:{row_id}", detail=detail)
