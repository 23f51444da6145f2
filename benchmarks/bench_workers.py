"""Workers that split the book, and what a store per tenant costs, on PostgreSQL and SQLite.

Workers: N customers (default 10,000), each with one 1,200.00 EUR invoice due Monday 4 May
2026, so each owes its J+1 email at the run of Tuesday 5 May, 10:00 Paris; the sender takes
every message at once (the figures are the store's and the runner's). One worker process
runs the whole book; then, on a fresh copy of the book, two worker processes run shards
(0, 2) and (1, 2) side by side. Printed: wall time, messages/s per worker and in total, and
the check that each customer got exactly one message (read back from the log).

Tenants: the time to open a store per tenant for 200 tenants (``SqliteStore(path,
tenant=t)``, ``store.for_tenant(t)``, ``PostgresStore(url, tenant=t)``, ``pg.for_tenant(t)``),
beside the old workaround on PostgreSQL, one schema per tenant (creating 200 schemas of
dunning's tables); then a run over 200 tenants x 50 invoices through ``for_tenant``.

PostgreSQL runs on a throwaway local cluster (tests/postgres_cluster.py) with its durable
defaults (fsync on, synchronous_commit on); SQLite is a file in WAL mode with
``synchronous=FULL``. The machine's load average is printed with each figure: other work on
the machine slows the workers and the server alike.
Run with ``python benchmarks/bench_workers.py [CUSTOMERS]``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from bench_postgres import AT, CREDITOR, NullSender, cluster_module, invoices

from dunning import STANDARD, Channel
from dunning.adapters.sqlite import SqliteStore
from dunning.ports import EntryStatus
from dunning.runner import Dunner

TENANTS = 200
PER_TENANT = 50

Opener = Callable[[str], Any]
"""Opens the store a worker runs on (given the tenant), in the worker's process."""


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes (2 cores here)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


# -- workers --------------------------------------------------------------------------------


def open_postgres(url: str, schema: str) -> Any:
    from dunning.adapters.postgres import PostgresStore  # noqa: PLC0415

    return PostgresStore(url, schema=schema, create=False)


def worker(  # noqa: PLR0917  (a process target takes its arguments in order)
    kind: str, where: str, schema: str, shard: tuple[int, int] | None, start: Barrier, out: Any
) -> None:
    """One worker process: open its store, wait for the others, run once; report its figures."""
    store = SqliteStore(where) if kind == "sqlite" else open_postgres(where, schema)
    with store:
        dunner = Dunner(
            store,
            store,
            {Channel.EMAIL: NullSender()},
            STANDARD,
            CREDITOR,
            owner=f"w{shard}",
            outcome_with_next_reservation=True,  # one commit per message (docs/many-creditors.md)
        )
        start.wait()
        began = time.perf_counter()
        report = dunner.run(at=AT, shard=shard)
        elapsed = time.perf_counter() - began
    out.put((shard, report.counts().get("sent", 0), elapsed, dict(report.counts())))


def run_workers(kind: str, where: str, schema: str, shards: list[tuple[int, int] | None]) -> Any:
    """Run one worker process per shard at once; their figures and the wall time."""
    context = multiprocessing.get_context("spawn")  # no connection crosses a fork
    start = context.Barrier(len(shards) + 1)
    out = context.Queue()
    processes = [
        context.Process(target=worker, args=(kind, where, schema, shard, start, out))
        for shard in shards
    ]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    results = [out.get() for _ in processes]
    wall = time.perf_counter() - began
    for process in processes:
        process.join()
    return results, wall


def exactly_once(store: Any, n: int) -> str:
    """Whether each of the *n* customers got exactly one message (from the log)."""
    sent = store.entries_with(EntryStatus.SENT)
    per_customer = Counter(entry.customer_id for entry in sent)
    twice = sum(1 for count in per_customer.values() if count > 1)
    missing = n - len(per_customer)
    ok = twice == 0 and missing == 0 and len(sent) == n
    verdict = "OK" if ok else "FAILED"
    return f"{verdict}: {len(per_customer)} customers, {twice} with 2+, {missing} with none"


def compare(name: str, kind: str, n: int, book: Callable[[str], tuple[str, str, Any]]) -> None:
    """1 worker on the whole book, then 2 on shards, each on a fresh book from *book*."""
    plans: list[tuple[str, list[tuple[int, int] | None]]] = [
        ("1 worker ", [None]),
        ("2 workers", [(0, 2), (1, 2)]),
    ]
    for label, shards in plans:
        where, schema, store = book(label.strip().replace(" ", "-"))
        with store:
            before = load()
            results, wall = run_workers(kind, where, schema, shards)
            total = sum(sent for _, sent, _, _ in results)
            each = "  ".join(
                f"shard {shard or 'all'}: {sent} in {elapsed:.1f} s = {sent / elapsed:.0f}/s"
                for shard, sent, elapsed, _ in sorted(results, key=lambda r: str(r[0]))
            )
            print(
                f"{name:<10} {label} {n:>6} customers  wall {wall:6.1f} s"
                f"  total {total / wall:6.0f} messages/s  [{each}]"
            )
            print(f"{'':<10} {'':<9} {exactly_once(store, n)}; {before} before, {load()} after")


# -- tenants --------------------------------------------------------------------------------


def timed(label: str, action: Callable[[], object], count: int) -> None:
    began = time.perf_counter()
    action()
    elapsed = time.perf_counter() - began
    print(
        f"  {label:<46} {count} tenants {elapsed * 1000:9.1f} ms"
        f"  ({elapsed / count * 1000:7.3f} ms each)"
    )


def open_each(make: Callable[[str], Any], tenants: list[str], *, close: bool) -> Callable[[], None]:
    def action() -> None:
        for tenant in tenants:
            store = make(tenant)
            if close:
                store.close()

    return action


def tenant_run(name: str, book: Any, add: Callable[[Any, list[Any]], None]) -> None:
    """200 tenants x 50 invoices, each tenant's run through ``book.for_tenant``."""
    tenants = [f"creditor-{t:03}" for t in range(TENANTS)]
    for tenant in tenants:
        add(book.for_tenant(tenant), invoices(PER_TENANT))
    before = load()
    began = time.perf_counter()
    sent = 0
    for tenant in tenants:
        store = book.for_tenant(tenant)
        dunner = Dunner(store, store, {Channel.EMAIL: NullSender()}, STANDARD, CREDITOR, owner="b")
        sent += dunner.run(at=AT).counts().get("sent", 0)
    elapsed = time.perf_counter() - began
    print(
        f"  {name}: run over {TENANTS} tenants x {PER_TENANT} invoices through for_tenant:"
        f" {sent} sent in {elapsed:.1f} s = {sent / elapsed:.0f} messages/s"
        f" ({elapsed / TENANTS * 1000:.0f} ms per tenant); {before}"
    )


# -- the two stores -------------------------------------------------------------------------


def sqlite(n: int, folder: Path) -> None:
    def book(label: str) -> tuple[str, str, Any]:
        path = folder / f"{label}.db"
        store = SqliteStore(path)
        store.import_invoices(invoices(n))
        return str(path), "", store

    compare("SQLite", "sqlite", n, book)
    tenants = [f"creditor-{t:03}" for t in range(TENANTS)]
    path = folder / "tenants.db"
    print(f"SQLite tenants ({load()}):")
    with SqliteStore(path) as book_store:
        timed(
            "SqliteStore(path, tenant=t), then closed",
            open_each(lambda t: SqliteStore(path, tenant=t), tenants, close=True),
            TENANTS,
        )
        timed(
            "store.for_tenant(t)",
            open_each(book_store.for_tenant, tenants, close=False),
            TENANTS,
        )
        tenant_run("SQLite", book_store, lambda s, rows: s.import_invoices(rows))


def postgres(n: int) -> None:
    module = cluster_module()
    try:
        import psycopg  # noqa: PLC0415

        from dunning.adapters.postgres import PostgresStore  # noqa: PLC0415

        cluster = module.start_cluster(fast=False)
    except (ImportError, module.ClusterUnavailable) as error:
        print(f"PostgreSQL skipped: {error}")
        return
    url = cluster.url()

    def add(store: Any, rows: list[Any]) -> None:
        with psycopg.connect(url) as host, host.transaction():
            joined = store.joined(host)  # one transaction for the whole load
            for invoice in rows:
                joined.add_invoice(invoice)

    def book(label: str) -> tuple[str, str, Any]:
        schema = "book_" + label.replace("-", "_")
        store = PostgresStore(url, schema=schema)
        add(store, invoices(n))
        return url, schema, store

    try:
        compare("PostgreSQL", "postgres", n, book)
        tenants = [f"creditor-{t:03}" for t in range(TENANTS)]
        print(f"PostgreSQL tenants ({load()}):")
        with PostgresStore(url, schema="tenants") as book_store:
            timed(
                "PostgresStore(url, tenant=t), then closed",
                open_each(
                    lambda t: PostgresStore(url, schema="tenants", tenant=t), tenants, close=True
                ),
                TENANTS,
            )
            timed(
                "pg.for_tenant(t)",
                open_each(book_store.for_tenant, tenants, close=False),
                TENANTS,
            )
            timed(
                "old workaround: one schema per tenant, created",
                open_each(
                    lambda t: PostgresStore(url, schema="s_" + t.replace("-", "_")),
                    tenants,
                    close=True,
                ),
                TENANTS,
            )
            tenant_run("PostgreSQL", book_store, add)
    finally:
        cluster.destroy()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 10_000
    print(f"bench_workers: {n} customers; {load()}")
    postgres(n)
    with tempfile.TemporaryDirectory() as folder:
        sqlite(n, Path(folder))
    print(f"end: {load()}")


if __name__ == "__main__":
    main()
