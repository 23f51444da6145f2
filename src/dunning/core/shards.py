"""Tenants and shards: who owns a customer, and which worker reviews it.

How this works
--------------
A **tenant** is one creditor of a vendor's book. Stores scoped to a tenant read and write only
its rows; a tenant is named by a plain key (`check_tenant`). A store opened without one works in
`DEFAULT_TENANT`.

A **shard** splits one tenant's customers between workers: `Shard(index, count)`. A customer's
*bucket* is a stable 32-bit number, the first four bytes of the SHA-256 of ``tenant/customer``
(`customer_bucket`), the same on every machine, every Python and in SQL (a store may keep it in
a column); the customer belongs to shard ``bucket % count``. So workers ``0..count-1`` together
review every customer exactly once, and a customer never moves between shards while *count*
stays the same.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

from dunning.exceptions import ConfigurationError

__all__ = [
    "DEFAULT_TENANT",
    "LATEST_RUN",
    "Shard",
    "check_tenant",
    "customer_bucket",
    "latest_run_names",
]

DEFAULT_TENANT: Final = "default"
"""The tenant of a store opened without one."""

_TENANT: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}")
"""A tenant key: a slug, a SIREN, a UUID, an e-mail-like id; never ``/``, quotes or spaces."""


def check_tenant(tenant: object) -> str:
    """*tenant* if it is a plain tenant key, else a `ConfigurationError` naming it.

    A key is 1 to 64 characters: letters, digits, ``_ . : @ -``, starting with a letter or a
    digit (so it never needs quoting, and ``/`` can separate it from a customer id).

    Raises:
        ConfigurationError: naming the key.

    Examples:
        >>> check_tenant("boulangerie-martin")
        'boulangerie-martin'
        >>> check_tenant("a b")
        Traceback (most recent call last):
        ...
        dunning.exceptions.ConfigurationError: tenant: 'a b' is not a tenant key ...
    """
    if not isinstance(tenant, str) or not _TENANT.fullmatch(tenant):
        msg = (
            f"tenant: {tenant!r} is not a tenant key (1 to 64 letters, digits or _ . : @ -, "
            "starting with a letter or a digit)"
        )
        raise ConfigurationError(msg)
    return tenant


def customer_bucket(tenant: str, customer_id: str) -> int:
    """The customer's stable bucket, 0 to 2**32-1: the first 4 bytes of SHA-256(``tenant/id``).

    Examples:
        >>> customer_bucket("default", "C-1") == customer_bucket("default", "C-1")
        True
        >>> 0 <= customer_bucket("acme", "C-1") < 2**32
        True
    """
    digest = hashlib.sha256(f"{tenant}/{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


@dataclass(frozen=True, slots=True)
class Shard:
    """One worker's share of the customers: those whose bucket modulo *count* is *index*.

    ``Shard(0, 1)`` is the whole book.

    Raises:
        ConfigurationError: when built, unless *count* is a whole number of at least 1 and
            ``0 <= index < count``.

    Examples:
        >>> Shard(1, 2)
        Shard(index=1, count=2)
        >>> sum(Shard(i, 2).holds("acme", "C-7") for i in range(2))
        1
        >>> Shard(2, 2)
        Traceback (most recent call last):
        ...
        dunning.exceptions.ConfigurationError: shard: index 2 is not in 0..1 ...
    """

    index: int
    count: int

    def __post_init__(self) -> None:
        """Check the numbers."""
        count, index = self.count, self.index
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            msg = f"shard: count {count!r} is not a whole number of at least 1"
            raise ConfigurationError(msg)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            msg = f"shard: index {index!r} is not in 0..{count - 1} (shards are numbered from 0)"
            raise ConfigurationError(msg)

    def holds(self, tenant: str, customer_id: str) -> bool:
        """Whether this shard reviews the customer."""
        return self.count == 1 or customer_bucket(tenant, customer_id) % self.count == self.index


LATEST_RUN: Final = "latest_run"
"""The name a log keeps the whole book's latest run instant under."""


def latest_run_names(shard: Shard | None) -> tuple[str, ...]:
    """The latest-run names a run of *shard* reads: the book's, then the shard's (where it writes).

    A run of the whole book reads every name (the book's and each shard's) and writes the
    book's; a shard's run reads the book's and its own, and writes its own. So time only moves
    forward for each worker, and a run of the whole book never goes back behind any of them.

    Examples:
        >>> latest_run_names(None)
        ('latest_run',)
        >>> latest_run_names(Shard(1, 4))
        ('latest_run', 'latest_run:1/4')
    """
    if shard is None or shard.count == 1:
        return (LATEST_RUN,)
    return (LATEST_RUN, f"{LATEST_RUN}:{shard.index}/{shard.count}")
