"""Two shard workers on one PostgreSQL database, SIGKILLed at random and restarted.

The book is tests/integration/postgres_worker.py's (20 customers, 30 invoices due between 4
and 16 May 2026). Each simulated day two worker processes run shards (0, 2) and (1, 2) at
once; one of them, at random, is killed with SIGKILL at a random moment and started again
under the same name (a worker restarted by its supervisor), which recovers what it left.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dunning import STANDARD
from dunning.adapters.memory import MemoryStore
from dunning.adapters.postgres import PostgresStore
from dunning.core.shards import DEFAULT_TENANT, Shard
from dunning.ports import EntryStatus
from dunning.runner import Dunner
from dunning.testing import make_creditor, paris
from tests.helpers import require_extra
from tests.integration import postgres_worker
from tests.integration.test_postgres import _sent_steps
from tests.postgres_cluster import Cluster

require_extra("postgres")

ROOT = Path(__file__).parent.parent.parent
SHARDS = (Shard(0, 2), Shard(1, 2))


def _start(  # noqa: PLR0917  (the worker's command line)
    url: str, schema: str, at: datetime, owner: str, sent_log: Path, shard: Shard
) -> Any:
    worker = subprocess.Popen(  # noqa: S603  (our own module)
        [
            sys.executable,
            "-m",
            "tests.integration.postgres_worker",
            url,
            schema,
            at.isoformat(),
            owner,
            str(sent_log),
            f"{shard.index}/{shard.count}",
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    return worker


def _go(worker: Any) -> None:
    worker.stdin.write("go\n")
    worker.stdin.flush()


def _reviewed(worker: Any) -> list[str]:
    """Wait for a worker that must finish; the customers it reviewed."""
    out, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, out
    [line] = [line for line in out.splitlines() if line.startswith("reviewed")]
    customers: list[str] = line.split()[1:]
    return customers


def _day(
    url: str, schema: str, at: datetime, sent_log: Path, rng: random.Random, *, day: int
) -> tuple[dict[Shard, list[str]], int]:
    """Both shards at *at*, one killed at random and restarted: who reviewed whom, kills."""
    owners = {shard: f"shard{shard.index}-day{day}" for shard in SHARDS}
    workers = {shard: _start(url, schema, at, owners[shard], sent_log, shard) for shard in SHARDS}
    for worker in workers.values():
        _go(worker)
    victim = rng.choice(SHARDS)
    time.sleep(rng.uniform(0.0, 0.2))
    workers[victim].kill()
    out, _ = workers[victim].communicate(timeout=60)
    kills = int(workers[victim].returncode != 0)
    reviewed: dict[Shard, list[str]] = {}
    if not kills:  # it had finished: its review stands
        [line] = [line for line in out.splitlines() if line.startswith("reviewed")]
        reviewed[victim] = line.split()[1:]
    else:  # restarted under the same name: it recovers what it left, then goes on
        again = _start(url, schema, at, owners[victim], sent_log, victim)
        _go(again)
        reviewed[victim] = _reviewed(again)
    other = SHARDS[1 - SHARDS.index(victim)]
    reviewed[other] = _reviewed(workers[other])
    return reviewed, kills


def test_two_shard_workers_killed_and_restarted_review_each_customer_once_and_send_each_step_once(
    postgres_cluster: Cluster, postgres_schema: str, tmp_path: Path
) -> None:
    """Eight days, every third from 5 May, a kill a day; then both shards go on, unharmed.

    Each day every customer reviewed was reviewed by its own shard only, and every log entry
    was last written by a worker of its customer's shard. Between days a human approves what
    waits and resolves uncertain messages truthfully (from the provider's record). In the
    end, per (invoice, step), the provider received at most one message, and exactly the
    steps one runner alone on a `MemoryStore` sent on the same days: none lost.
    """
    url = postgres_cluster.url()
    sent_log = tmp_path / "provider.txt"
    sent_log.touch()
    reference_log = tmp_path / "reference.txt"
    reference_log.touch()
    reference = MemoryStore()
    postgres_worker.fill(reference)
    creditor = make_creditor()
    reference_runner = Dunner(
        reference,
        reference,
        postgres_worker.senders(str(reference_log)),
        STANDARD,
        creditor,
        owner="ref",
    )
    rng = random.Random(19)  # noqa: S311  (a seeded test schedule)
    chaos_days = [paris(2026, 5, 5) + timedelta(days=3 * n) for n in range(8)]
    clean_days = [chaos_days[-1] + timedelta(days=3 * n) for n in range(1, 13)]
    kills = 0
    ever: set[str] = set()
    with PostgresStore(url, schema=postgres_schema) as store:
        postgres_worker.fill(store)
        for day, at in enumerate(chaos_days):
            postgres_worker.tidy(store, set(sent_log.read_text().split()), at)
            reviewed, killed = _day(url, postgres_schema, at, sent_log, rng, day=day)
            kills += killed
            for shard, customers in reviewed.items():
                assert all(shard.holds(DEFAULT_TENANT, c) for c in customers), (shard, customers)
            assert not set(reviewed[SHARDS[0]]) & set(reviewed[SHARDS[1]])
            ever.update(*reviewed.values())
        workers = {
            shard: Dunner(
                store,
                store,
                postgres_worker.senders(str(sent_log)),
                STANDARD,
                creditor,
                owner=f"end{shard.index}",
            )
            for shard in SHARDS
        }
        for at in clean_days:
            postgres_worker.tidy(store, set(sent_log.read_text().split()), at)
            for shard, worker in workers.items():
                worker.run(at=at, shard=shard)
        for at in chaos_days + clean_days:
            postgres_worker.tidy(reference, set(reference_log.read_text().split()), at)
            reference_runner.run(at=at)

        book = {c for c, _, _ in postgres_worker.book()}
        assert ever == book  # every customer was reviewed, each by its own shard
        for entry in store.entries_with(*EntryStatus):
            [shard] = [s for s in SHARDS if s.holds(DEFAULT_TENANT, entry.customer_id)]
            mine = entry.owner.startswith(f"shard{shard.index}-") or entry.owner == (
                f"end{shard.index}"
            )
            assert mine, (entry.key, entry.customer_id, entry.owner)
        reached = _sent_steps(store, sent_log.read_text().split())
        expected = _sent_steps(reference, reference_log.read_text().split())
        assert {k: n for k, n in reached.items() if n > 1} == {}  # 0 duplicates
        # Nothing lost: every step the runner without kills sent went out. A kill between a
        # claim and its hand-over delays that message (uncertain, resolved "not delivered" at
        # the next tidying), and a delayed message can change how the customer's invoices move
        # together afterwards, so the killed book may send steps the reference folded away
        # (seen in CI: B-00's firm and phone_call). The mechanism, at a fixed kill point:
        # tests/integration/test_sqlite_kill_conversation.py.
        assert set(expected) <= set(reached), set(expected) - set(reached)
        assert store.entries_with(EntryStatus.RESERVED, EntryStatus.RETRY) == []
    assert kills >= 4  # the kills landed while the workers were running
