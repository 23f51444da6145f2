"""`dunning.dask.decisions` on a local cluster, next to `decide_many` in one process.

The book: N invoices (default 200,000) with the histories of bench_decide.py, over 500
customers (``--customers K`` for another number: each partition validates each of its
customers once, so fewer invoices per customer cost more). Its rows (`invoice_row`) are
written to Parquet in 8 files, and each run reads them back with ``dd.read_parquet`` and
computes the decisions into one pandas DataFrame on the client: reading, validating,
deciding, and shipping the results back are all in the figure.

Printed:
- the floor: `decide_many` over the same invoices as models built beforehand, in this
  process;
- the first row layout (one JSON text per invoice) on one worker, for comparison (one run);
- the same computation in this process with Dask's synchronous scheduler (one run): reading,
  validating, deciding and building the results with no worker process, so the part of a
  worker's figure that is the library's own work, apart from the cluster;
- one worker, then two (a ``distributed.LocalCluster`` of worker processes,
  ``threads_per_worker=1``, started for its run and warmed up by the same run untimed,
  then closed: no other cluster is alive during a run, nor during the floor's,
  as on a machine that runs one cluster; an idle cluster's processes wake about 150 times a
  second, and made this process's own time 17 % longer on the 2-core machine);
- the ratios against the targets of issue 23: one worker at most 2x the floor, two workers
  at least 1.6x one worker (on this 2-core machine; the client and the scheduler share it).

The floor, one worker and two workers run in turn, three times, and each figure is its best
run: a burst of load from elsewhere hits all three alike. The result of one run is checked
against the floor's decisions, row by row. The machine's load average is printed before and
after: other work on the machine slows the workers.
Run with ``python benchmarks/bench_dask.py [N] [--customers K]``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import dask.dataframe as dd
import pandas as pd
from bench_decide import AT, raw_portfolio
from distributed import Client, LocalCluster

from dunning import STANDARD, Event, Invoice
from dunning import dask as dunning_dask
from dunning.core.engine import decide_many
from dunning.model import parse_events

FILES = 8
ROUNDS = 3


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def book(n: int, customers: int) -> list[tuple[Invoice, list[Event]]]:
    """bench_decide's invoices, spread over *customers* customers, as models."""
    out = []
    for k, (raw, events) in enumerate(raw_portfolio(n)):
        c = k % customers
        subdivision = "57" if c % 10 == 0 else None
        customer = {"id": f"C{c}", "name": f"Customer {c}", "subdivision": subdivision}
        invoice = {**raw, "customer": customer}
        out.append((Invoice.model_validate(invoice), parse_events(events)))
    return out


def first_layout(invoice: Invoice, events: list[Event]) -> dict[str, Any]:
    """A row of the first layout: the invoice as one JSON text, its customer inside."""
    return {
        "customer_id": invoice.customer.id,
        "invoice_id": invoice.id,
        "invoice": invoice.model_dump_json(),
        "events": json.dumps([event.model_dump(mode="json") for event in events]),
    }


def timed(run: Callable[[], object]) -> Callable[[], float]:
    """*run*, returning how long it took."""

    def timing() -> float:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    return timing


def best(*runs: Callable[[], float], rounds: int = ROUNDS) -> list[float]:
    """The fastest of *rounds* runs of each, interleaved (so load hits them alike).

    Each run times itself (a cluster's start and close are not in its time).
    """
    times = [float("inf")] * len(runs)
    for _ in range(rounds):
        for k, run in enumerate(runs):
            times[k] = min(times[k], run())
    return times


def warm() -> None:
    """Import what a partition needs, on a worker (once per worker process, not timed)."""
    import pandas as pd  # noqa: F401, PLC0415
    import pyarrow as pa  # noqa: F401, PLC0415

    import dunning.dask  # noqa: F401, PLC0415


def cluster(workers: int) -> tuple[Any, Any]:
    """A local cluster of *workers* processes (one thread each) and its client, warmed up."""
    local = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None
    )
    client = Client(local, set_as_default=False)  # type: ignore[no-untyped-call]
    client.run(warm)
    return local, client


def timed_on_cluster(workers: int, folder: str, out: list[pd.DataFrame]) -> Callable[[], float]:
    """A run of `decisions` over the Parquet rows in *folder* on a cluster of *workers*.

    The cluster is started, and warmed up by the same run untimed (its workers in the state
    a long-lived cluster's are, as the floor's process is), before the clock starts; it is
    closed after the clock stops.
    """

    def compute(client: Any) -> pd.DataFrame:
        rows = dd.read_parquet(folder)
        return client.compute(dunning_dask.decisions(rows, STANDARD, at=AT)).result()

    def run() -> float:
        local, client = cluster(workers)
        try:
            compute(client)
            start = time.perf_counter()
            out[:] = [compute(client)]
            return time.perf_counter() - start
        finally:
            client.close()
            local.close()

    return run


def in_this_process(folder: str) -> Callable[[], None]:
    """A run of `decisions` over the Parquet rows in *folder*, in this process, no cluster."""

    def run() -> None:
        rows = dd.read_parquet(folder)
        dunning_dask.decisions(rows, STANDARD, at=AT).compute(scheduler="sync")

    return run


def main() -> None:
    args = sys.argv[1:]
    customers = 500
    if "--customers" in args:
        at = args.index("--customers")
        customers = int(args[at + 1])
        del args[at : at + 2]
    n = int(args[0]) if args else 200_000
    pairs = book(n, customers)
    with tempfile.TemporaryDirectory(prefix="bench_dask_") as folder:
        rows = pd.DataFrame([dunning_dask.invoice_row(i, e) for i, e in pairs])
        dd.from_pandas(rows, npartitions=FILES).to_parquet(f"{folder}/rows")  # type: ignore[no-untyped-call]
        old = pd.DataFrame([first_layout(i, e) for i, e in pairs])
        dd.from_pandas(old, npartitions=FILES).to_parquet(f"{folder}/first")  # type: ignore[no-untyped-call]
        del rows, old
        before = load()

        list(decide_many(pairs[:1], STANDARD, at=AT))  # warm the calendars, as a worker's are

        def floor() -> None:
            list(decide_many(pairs, STANDARD, at=AT))

        result: list[pd.DataFrame] = []
        (first,) = best(timed_on_cluster(1, f"{folder}/first", []), rounds=1)
        (synchronous,) = best(timed(in_this_process(f"{folder}/rows")), rounds=1)
        floor_s, one, two = best(
            timed(floor),
            timed_on_cluster(1, f"{folder}/rows", result),
            timed_on_cluster(2, f"{folder}/rows", []),
        )
        after = load()

    expected = pd.DataFrame(
        [
            dunning_dask.decision_record(decision, invoice.customer.id)
            for decision, (invoice, _) in zip(
                decide_many(pairs, STANDARD, at=AT), pairs, strict=True
            )
        ],
        dtype=object,
    )
    got = result[0].sort_values("invoice_id", ignore_index=True)
    want = expected.sort_values("invoice_id", ignore_index=True)
    same = got.astype(object).where(got.notna(), None).equals(want.where(want.notna(), None))

    print(f"bench_dask: {n:,} invoices of {customers:,} customers, {FILES} Parquet files")
    print(f"  (each figure the best of {ROUNDS} interleaved runs; {before} before, {after} after)")
    print(f"  floor, decide_many on models built beforehand: {floor_s:6.2f} s")
    print(f"  first layout (JSON per invoice), 1 worker:     {first:6.2f} s  "
          f"{first / floor_s:.2f}x the floor (one run)")  # fmt: skip
    print(f"  this process, Dask's synchronous scheduler:    {synchronous:6.2f} s  "
          f"{synchronous / floor_s:.2f}x the floor (one run)")  # fmt: skip
    print(f"  1 worker:                                      {one:6.2f} s  "
          f"{one / floor_s:.2f}x the floor (target <= 2)")  # fmt: skip
    print(f"  2 workers:                                     {two:6.2f} s  "
          f"{one / two:.2f}x one worker (target >= 1.6)")  # fmt: skip
    print(f"  result equal to decide_many's, row by row: {same}")


if __name__ == "__main__":
    warnings.simplefilter("ignore", UserWarning)  # dask's advice on large graphs
    logging.getLogger("distributed").setLevel(logging.ERROR)  # no log of clusters closing
    main()
