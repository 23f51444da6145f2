"""`PostgresStore` on a real throwaway server: many processes, host transactions, faults.

The contract suite (tests/test_contract.py) and the runner guarantees
(tests/test_runner_guarantees.py, tests/properties/) run on PostgreSQL too; this file holds
what only a database server can show: runner processes killed at random, a run inside a host's
transaction, a host's pool, a lock held too long, a server restart in the middle of a run, the
schema's versions. Invoices are due Monday 4 May 2026 (Paris) unless said otherwise.
"""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dunning import STANDARD, Channel
from dunning.adapters.memory import MemorySender, MemoryStore
from dunning.adapters.outbox import OutboxSender
from dunning.adapters.postgres import SCHEMA_VERSION, PostgresStore
from dunning.cli import main
from dunning.exceptions import ConfigurationError
from dunning.ports import EntryStatus, Receipt, SendError
from dunning.render import Message
from dunning.runner import Dunner, Outcome, approve
from dunning.testing import make_creditor, make_customer, make_invoice, paris
from tests.helpers import require_extra
from tests.integration import postgres_worker
from tests.postgres_cluster import Cluster
from tests.test_runner import NOTICE

require_extra("postgres")

import psycopg  # noqa: E402  (after the extra is known to be there)
from psycopg_pool import ConnectionPool  # noqa: E402

CREDITOR = make_creditor()
TUESDAY = paris(2026, 5, 5)
ROOT = Path(__file__).parent.parent.parent


@pytest.fixture
def url(postgres_cluster: Cluster) -> str:
    """The test database's URL."""
    return postgres_cluster.url()


@pytest.fixture
def store(url: str, postgres_schema: str) -> Iterator[PostgresStore]:
    """An empty store in a fresh schema."""
    with PostgresStore(url, schema=postgres_schema) as postgres_store:
        yield postgres_store


def add(store: Any, invoice_id: str = "INV-001", n: int = 1, due: date = date(2026, 5, 4)) -> None:
    """Add a 1,200.00 EUR invoice of customer C-00n."""
    customer = make_customer(id=f"C-{n:03}", name=f"Client {n}")
    store.add_invoice(make_invoice(id=invoice_id, number=invoice_id, customer=customer, due_on=due))


def dunner(store: Any, *senders: Any, **options: Any) -> Dunner:
    """A runner r1 on *store* with the STANDARD scenario unless told otherwise."""
    fields: dict[str, Any] = {"scenario": STANDARD, "owner": "r1", **options}
    return Dunner(store, store, {s.channel: s for s in senders}, creditor=CREDITOR, **fields)


# ------------------------------------------------------ several processes, killed at random


def _day(
    url: str, schema: str, at: datetime, sent_log: Path, rng: random.Random, *, day: int
) -> int:
    """Four runner processes at *at*; one (at random) killed with SIGKILL mid-run. Kills made."""
    workers = [
        subprocess.Popen(  # noqa: S603  (our own module)
            [
                sys.executable,
                "-m",
                "tests.integration.postgres_worker",
                url,
                schema,
                at.isoformat(),
                f"w{n}-day{day}",
                str(sent_log),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    victim = rng.randrange(len(workers))
    time.sleep(rng.uniform(0.0, 0.25))
    workers[victim].kill()
    kills = 0
    for n, worker in enumerate(workers):
        out, _ = worker.communicate(timeout=120)
        if n == victim and worker.returncode != 0:
            kills += 1
            continue
        assert worker.returncode == 0, out
    return kills


def _sent_steps(store: Any, keys: list[str]) -> Counter[tuple[str, str]]:
    reached: Counter[tuple[str, str]] = Counter()
    for key in keys:
        entry = store.get(key)
        assert entry is not None, key
        for covered in entry.covers:
            reached[(covered.invoice_id, covered.step_id)] += 1
    return reached


def test_four_processes_killed_at_random_send_each_invoice_step_exactly_once(
    url: str, postgres_schema: str, tmp_path: Path
) -> None:
    """A month, 20 customers, 4 runner processes a day, one SIGKILLed mid-run each day.

    Every third day from 5 May to 3 June, four processes run at once and one of them is
    killed at a random moment; between days a human approves what waits and resolves
    uncertain messages truthfully (from the provider's record). Then a clean runner goes on
    every third day to mid-July. Per (invoice, step), the provider received exactly one
    message: the same set as one runner alone on a `MemoryStore` with the same days, none
    twice.
    """
    sent_log = tmp_path / "provider.txt"
    sent_log.touch()
    with PostgresStore(url, schema=postgres_schema) as store:
        postgres_worker.fill(store)
    reference = MemoryStore()
    postgres_worker.fill(reference)
    reference_log = tmp_path / "reference.txt"
    reference_log.touch()
    reference_runner = Dunner(
        reference,
        reference,
        postgres_worker.senders(str(reference_log)),
        STANDARD,
        CREDITOR,
        owner="ref",
    )
    rng = random.Random(13)  # noqa: S311  (a seeded test schedule)
    chaos_days = [TUESDAY + timedelta(days=3 * n) for n in range(10)]
    clean_days = [chaos_days[-1] + timedelta(days=3 * n) for n in range(1, 15)]
    kills = 0
    with PostgresStore(url, schema=postgres_schema) as store:
        for day, at in enumerate(chaos_days):
            accepted = set(sent_log.read_text().split())
            postgres_worker.tidy(store, accepted, at)
            kills += _day(url, postgres_schema, at, sent_log, rng, day=day)
        clean = Dunner(
            store, store, postgres_worker.senders(str(sent_log)), STANDARD, CREDITOR, owner="end"
        )
        for at in clean_days:
            postgres_worker.tidy(store, set(sent_log.read_text().split()), at)
            clean.run(at=at)
        for at in chaos_days + clean_days:
            postgres_worker.tidy(reference, set(reference_log.read_text().split()), at)
            reference_runner.run(at=at)
        reached = _sent_steps(store, sent_log.read_text().split())
        expected = _sent_steps(reference, reference_log.read_text().split())
        assert {k: n for k, n in reached.items() if n > 1} == {}
        assert set(reached) == set(expected)
        # Every invoice was put on notice, once: a customer's second invoice may be pulled
        # into the first one's notice and skip the steps in between (DOMAIN 9.2).
        noticed = [invoice for invoice, step in expected if step == "formal_notice"]
        assert len(noticed) == len(set(noticed)) == 30
        assert len(expected) <= 30 * 5
        assert store.entries_with(EntryStatus.RESERVED, EntryStatus.RETRY) == []
    assert kills >= 5  # the kills landed while the processes were running


# ------------------------------------------------------------------ the host's transaction


def test_a_run_inside_a_host_transaction_that_rolls_back_leaves_no_trace(
    url: str, store: PostgresStore, postgres_schema: str
) -> None:
    """The host's unit of work fails after the run: no log entry, no run instant, no outbox row.

    The same run, committed, leaves one sent entry and one outbox row; run again, nothing new.
    """
    add(store)
    with psycopg.connect(url, options=f"-c search_path={postgres_schema}") as host:
        outbox_sender = OutboxSender(host, Channel.EMAIL, table="host_outbox")
        outbox_sender.create_table()
        host.commit()
        joined = store.joined(host)
        with pytest.raises(ZeroDivisionError), host.transaction():  # noqa: PT012
            report = dunner(joined, outbox_sender).run(at=TUESDAY)
            assert report.counts() == {"sent": 1}
            assert host.execute("SELECT count(*) FROM host_outbox").fetchone() == (1,)
            _ = 1 / 0  # the host's own work fails: everything rolls back
        assert host.execute("SELECT count(*) FROM host_outbox").fetchone() == (0,)
        host.commit()
        assert store.entries_with(*EntryStatus) == []
        assert store.latest_run() is None
        with host.transaction():
            assert dunner(joined, outbox_sender).run(at=TUESDAY).counts() == {"sent": 1}
        with host.transaction():
            assert dunner(joined, outbox_sender).run(at=TUESDAY).counts() == {}
        outbox = host.execute("SELECT key FROM host_outbox").fetchall()
    [sent] = store.entries_with(EntryStatus.SENT)
    assert outbox == [(sent.key,)]


def test_the_outbox_keeps_one_row_per_message_key(url: str, postgres_schema: str) -> None:
    """A second send of one key (a retried attempt) finds its row: same receipt, no new row.

    Two tenants may use one key: each has its own row.
    """
    message = Message(
        action_id="msg_1",
        channel=Channel.EMAIL,
        template="reminder",
        locale="fr",
        subject="Facture 2026-0001",
        text="Bonjour.",
        to="compta@client.example",
    )
    with psycopg.connect(url, options=f"-c search_path={postgres_schema}") as host:
        host.execute(f'CREATE SCHEMA IF NOT EXISTS "{postgres_schema}"')
        ours = OutboxSender(host, Channel.EMAIL, table=f"{postgres_schema}.outbox")
        theirs = OutboxSender(host, Channel.EMAIL, table=f"{postgres_schema}.outbox", tenant="b")
        ours.create_table()
        first = ours.send(message, idempotency_key="msg_1")
        again = ours.send(message, idempotency_key="msg_1")
        other = theirs.send(message, idempotency_key="msg_1")
        rows = host.execute(
            f"SELECT tenant, key, recipient, message->>'subject' FROM {postgres_schema}.outbox"  # noqa: S608
            " ORDER BY id"
        ).fetchall()
    assert (first.provider_id, first.detail) == (again.provider_id, "")
    assert again.detail == "already in the outbox"
    assert other.provider_id != first.provider_id
    assert rows == [
        ("default", "msg_1", "compta@client.example", "Facture 2026-0001"),
        ("b", "msg_1", "compta@client.example", "Facture 2026-0001"),
    ]


def test_an_approval_in_a_host_transaction_rolls_back_with_it(
    url: str, store: PostgresStore
) -> None:
    """The host records who approved in its own audit table, in one transaction with dunning's."""
    customer = make_customer(id="C-001", postal_address="1 rue des Lilas, 75001 Paris")
    store.add_invoice(make_invoice(id="INV-001", customer=customer, due_on=date(2026, 5, 4)))
    letters = MemorySender(Channel.REGISTERED_LETTER)
    report = dunner(store, letters, scenario=NOTICE).run(at=TUESDAY)
    [pending] = report.with_outcome(Outcome.PENDING_APPROVAL)
    with psycopg.connect(url) as host:
        with pytest.raises(RuntimeError), host.transaction():  # noqa: PT012
            approve(store.joined(host), pending.key, by="claire", at=TUESDAY)
            msg = "the host's audit insert failed"
            raise RuntimeError(msg)
        entry = store.get(pending.key)
        assert entry is not None
        assert entry.status is EntryStatus.PENDING_APPROVAL
        with host.transaction():
            approve(store.joined(host), pending.key, by="claire", at=TUESDAY)
    entry = store.get(pending.key)
    assert entry is not None
    assert (entry.status, entry.decided_by) == (EntryStatus.APPROVED, "claire")


# ------------------------------------------------------------------------- a host's pool


def test_runners_in_threads_share_a_host_connection_pool(url: str, postgres_schema: str) -> None:
    """Four threads, one pool of 3 connections, 12 customers due: 12 messages, none twice."""
    with ConnectionPool(url, min_size=1, max_size=3, open=True) as pool:
        store = PostgresStore(pool=pool, schema=postgres_schema)
        for n in range(12):
            add(store, f"INV-{n:03}", n)
        email = MemorySender(Channel.EMAIL)
        lock = threading.Lock()

        class Locked:
            channel = Channel.EMAIL
            deduplicates = False

            def send(self, message: Message, **kwargs: Any) -> Receipt:
                with lock:
                    return email.send(message, **kwargs)

        start = threading.Barrier(4)
        errors: list[BaseException] = []

        def run(name: str) -> None:
            try:
                runner = Dunner(
                    store, store, {Channel.EMAIL: Locked()}, STANDARD, CREDITOR, owner=name
                )
                start.wait()
                runner.run(at=TUESDAY)
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        threads = [threading.Thread(target=run, args=(f"t{n}",)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        keys = [key for key, _ in email.sent]
        assert len(keys) == 12
        assert len(set(keys)) == 12
        assert len(store.entries_with(EntryStatus.SENT)) == 12
        store.close()  # leaves the host's pool alone
        assert not pool.closed


# --------------------------------------------------------------- locks, restarts, bad rows


def test_a_row_locked_too_long_is_one_customers_error(url: str, postgres_schema: str) -> None:
    """A host transaction holds C-002's retry entry: lock timeout, C-002 reported, C-001 sent.

    Released, the next run sends C-002's J+1.
    """
    with PostgresStore(url, schema=postgres_schema, lock_timeout=0.2) as store:
        add(store, "INV-001", 1)
        add(store, "INV-002", 2)
        dunner(store).run(at=TUESDAY)  # no sender: both J+1 wait as retry
        [held] = [e for e in store.entries_with(EntryStatus.RETRY) if e.customer_id == "C-002"]
        email = MemorySender(Channel.EMAIL)
        later = TUESDAY + timedelta(hours=1)
        with psycopg.connect(url) as host:
            host.execute(
                f"SELECT 1 FROM {postgres_schema}.action_log WHERE key = %s FOR UPDATE",  # noqa: S608
                (held.key,),
            )
            report = dunner(store, email).run(at=later)
            host.rollback()
        assert report.counts() == {"sent": 1, "error": 1}
        [error] = report.with_outcome(Outcome.ERROR)
        assert error.customer_id == "C-002"
        assert "lock timeout" in error.reason
        assert dunner(store, email).run(at=later + timedelta(hours=1)).counts() == {"sent": 1}
        assert sorted(ctx.customer_id for ctx in email.contexts) == ["C-001", "C-002"]


class DecidingFailsOnce(PostgresStore):
    """A store whose reservation that needs deciding fails once, as a lost connection would."""

    failures = 0

    def _reserve_deciding(self, entry: Any) -> bool:
        if not self.failures:
            self.failures += 1
            msg = "connection lost (injected)"
            raise psycopg.OperationalError(msg)
        return super()._reserve_deciding(entry)


def test_an_outcome_committed_before_a_failed_reservation_is_not_lost_or_resent(
    url: str, postgres_schema: str
) -> None:
    """C-001's J+1 goes out; C-002's waits as retry, so its reservation needs deciding.

    Its combined write commits C-001's outcome, then the deciding transaction fails: the
    runner records C-001's outcome again and reserves C-002's message alone. Each customer
    gets its one J+1, both recorded as sent.
    """
    with DecidingFailsOnce(url, schema=postgres_schema) as store:
        add(store, "INV-002", 2)
        assert dunner(store).run(at=TUESDAY).counts() == {"retry": 1}  # no sender yet
        add(store, "INV-001", 1)
        email = MemorySender(Channel.EMAIL)
        later = TUESDAY + timedelta(hours=1)
        runner = dunner(store, email, outcome_with_next_reservation=True)
        assert runner.run(at=later).counts() == {"sent": 2}
        assert store.failures == 1
        assert sorted(ctx.customer_id for ctx in email.contexts) == ["C-001", "C-002"]
        assert len({key for key, _ in email.sent}) == 2
        assert sorted(e.customer_id for e in store.entries_with(EntryStatus.SENT)) == [
            "C-001",
            "C-002",
        ]
        assert dunner(store, email).run(at=later + timedelta(hours=1)).counts() == {}


def test_a_server_restart_in_the_middle_of_a_run_is_contained(
    postgres_cluster: Cluster, url: str, postgres_schema: str
) -> None:
    """The server restarts while the provider takes C-002's message.

    Recording it fails on the cut connection, and is retried on a new one: the run reports
    3 sent, nothing is lost or sent twice, and the next run has nothing to do.
    """
    with PostgresStore(url, schema=postgres_schema) as store:
        for n in (1, 2, 3):
            add(store, f"INV-00{n}", n)
        email = MemorySender(Channel.EMAIL)

        class Restarting:
            channel = Channel.EMAIL
            deduplicates = False

            def send(self, message: Message, **kwargs: Any) -> Receipt:
                receipt = email.send(message, **kwargs)
                if kwargs["context"].customer_id == "C-002":
                    postgres_cluster.restart()
                return receipt

        runner = Dunner(store, store, {Channel.EMAIL: Restarting()}, STANDARD, CREDITOR, owner="r1")
        report = runner.run(at=TUESDAY)
        assert report.counts() == {"sent": 3}
        assert dunner(store, email).run(at=TUESDAY + timedelta(hours=1)).counts() == {}
        assert len(email.sent) == 3
        assert len(store.entries_with(EntryStatus.SENT)) == 3


def test_a_server_down_between_runs_is_reported_then_recovered(
    postgres_cluster: Cluster, url: str, postgres_schema: str
) -> None:
    """The connection is cut by a restart between runs: the next call reconnects, all is sent."""
    with PostgresStore(url, schema=postgres_schema) as store:
        add(store)
        email = MemorySender(Channel.EMAIL)
        store.latest_run()  # this thread's connection is open
        postgres_cluster.restart()
        assert dunner(store, email).run(at=TUESDAY).counts() == {"sent": 1}


def test_a_bad_stored_row_is_an_error_for_its_customer_only(
    url: str, store: PostgresStore, postgres_schema: str
) -> None:
    """An unknown event kind in C-002's rows: C-002 reported, C-001 and C-003 sent."""
    for n in (1, 2, 3):
        add(store, f"INV-00{n}", n)
    with psycopg.connect(url) as raw:
        raw.execute(
            f"INSERT INTO {postgres_schema}.events (tenant, invoice_id, kind, data)"  # noqa: S608
            " VALUES ('default', 'INV-002', 'gift', '{}')"
        )
    report = dunner(store, MemorySender(Channel.EMAIL)).run(at=TUESDAY)
    assert report.counts() == {"sent": 2, "error": 1}
    [error] = report.with_outcome(Outcome.ERROR)
    assert error.customer_id == "C-002"
    assert "unreadable" in error.reason
    assert "events of 'INV-002'" in error.reason


def test_a_bad_status_in_the_log_is_an_error_not_a_crash(
    url: str, store: PostgresStore, postgres_schema: str
) -> None:
    """A log row with an unknown status: the run reports it and sends the others."""
    add(store, "INV-001", 1)
    add(store, "INV-002", 2)
    email = MemorySender(Channel.EMAIL)
    dunner(store, email).run(at=TUESDAY)
    with psycopg.connect(url) as raw:
        raw.execute(
            f"UPDATE {postgres_schema}.action_log SET status = 'lost'"  # noqa: S608
            " WHERE customer_id = 'C-002'"
        )
    # Tue 12 May: the J+7 reminder, 7 days after the J+1 of 5 May (the customer gap).
    report = dunner(store, email).run(at=paris(2026, 5, 12))
    assert {i.outcome for i in report.items} == {Outcome.ERROR, Outcome.SENT}
    assert [i.customer_id for i in report.with_outcome(Outcome.SENT)] == ["C-001"]


def test_a_provider_refusal_is_recorded(store: PostgresStore) -> None:
    """A refused recipient: failed, with the provider's reason, and never retried by key."""
    add(store)
    email = MemorySender(Channel.EMAIL)
    email.fail_next.append(SendError("550 no such user", delivered=False, permanent=True))
    assert dunner(store, email).run(at=TUESDAY).counts() == {"failed": 1}
    [failed] = store.entries_with(EntryStatus.FAILED)
    assert failed.reason == "550 no such user"


# ------------------------------------------------------------------ schema and migrations


def test_the_schema_is_versioned_and_a_newer_one_refused(url: str, postgres_schema: str) -> None:
    """Version 4 recorded and kept on reopening; a newer version refused; an absent one too."""
    with PostgresStore(url, schema=postgres_schema) as store:
        assert store.schema_version() == SCHEMA_VERSION == 4
    with PostgresStore(url, schema=postgres_schema, create=False) as again:
        assert again.schema_version() == 4
    with psycopg.connect(url) as raw:
        raw.execute(
            f"INSERT INTO {postgres_schema}.schema_migrations (version, description)"  # noqa: S608
            " VALUES (99, 'from the future')"
        )
    with pytest.raises(ConfigurationError, match="has version 99, newer than this release's 4"):
        PostgresStore(url, schema=postgres_schema)
    with pytest.raises(ConfigurationError, match="holds no dunning tables"):
        PostgresStore(url, schema=f"{postgres_schema}_absent", create=False)


def test_a_version_2_schema_becomes_the_default_tenants(url: str, postgres_schema: str) -> None:
    """Upgrading to version 3 keeps every row as the default tenant's, with its bucket.

    The bucket SQL computes must be the one Python computes for new rows: the first 4 bytes of
    SHA-256("default/C-001"), written out here with hashlib.
    """
    from dunning.adapters.postgres import _MIGRATIONS  # noqa: PLC0415  (the v1-v2 statements)

    s = f'"{postgres_schema}"'
    with psycopg.connect(url) as raw:
        raw.execute(f"CREATE SCHEMA {s}")
        raw.execute(
            f"CREATE TABLE {s}.schema_migrations (version integer PRIMARY KEY,"
            " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, description, statements in _MIGRATIONS[:2]:
            for statement in statements:
                raw.execute(statement.format(s=s))
            raw.execute(
                f"INSERT INTO {s}.schema_migrations (version, description)"  # noqa: S608
                " VALUES (%s, %s)",
                (version, description),
            )
        invoice = make_invoice()
        raw.execute(
            f"INSERT INTO {s}.customers VALUES (%s, %s)",  # noqa: S608
            (invoice.customer.id, invoice.customer.model_dump_json()),
        )
        raw.execute(
            f"INSERT INTO {s}.invoices (id, customer_id, data) VALUES (%s, %s, %s)",  # noqa: S608
            (invoice.id, invoice.customer.id, invoice.model_dump_json(exclude={"customer"})),
        )
        raw.execute(
            f"INSERT INTO {s}.events (invoice_id, kind, data) VALUES (%s, 'payment', %s)",  # noqa: S608
            (invoice.id, '{"kind": "payment", "on": "2026-05-06", "amount": "1.00"}'),
        )
    with PostgresStore(url, schema=postgres_schema) as store:
        assert store.schema_version() == 4  # upgraded through 3 (tenants), then 4
        assert [e.kind for e in store.events(invoice.id)] == ["payment"]
        assert list(store.for_tenant("acme").entries(TUESDAY)) == []
        [history] = store.entries(TUESDAY)
        assert history.invoice.id == invoice.id  # type: ignore[union-attr]
    with psycopg.connect(url) as raw:
        rows = raw.execute(f"SELECT tenant, id, bucket FROM {s}.invoices").fetchall()  # noqa: S608
    expected = int(hashlib.sha256(b"default/C-001").hexdigest()[:8], 16)
    assert rows == [("default", "INV-001", expected)]


def test_two_schemas_side_by_side_are_two_stores(url: str, postgres_schema: str) -> None:
    """Two schemas in one database (two companies): what one holds, the other does not."""
    other = f"{postgres_schema}_b"
    try:
        with (
            PostgresStore(url, schema=postgres_schema) as first,
            PostgresStore(url, schema=other) as second,
        ):
            add(first)
            assert [e.customer_id for e in first.entries(TUESDAY)] == ["C-001"]
            assert list(second.entries(TUESDAY)) == []
    finally:
        with psycopg.connect(url, autocommit=True) as raw:
            raw.execute(f"DROP SCHEMA IF EXISTS {other} CASCADE")


def test_exactly_one_of_the_connection_options(url: str) -> None:
    """Both a URL and a connection: refused, naming the options."""
    with (
        psycopg.connect(url) as host,
        pytest.raises(ConfigurationError, match="give one of conninfo, pool or connection"),
    ):
        PostgresStore(url, connection=host)


# --------------------------------------------------------------------- the command line


def test_the_command_line_runs_on_a_database_url(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``dunning run --database-url``, then ``$DUNNING_DATABASE_URL``: sent once, then nothing."""
    try:
        with PostgresStore(url) as store:  # the default schema, "dunning"
            store.set_creditor(CREDITOR)
            add(store)
        outbox = str(tmp_path / "outbox")
        at = "2026-05-05T10:00+02:00"
        assert main(["run", "--database-url", url, "--at", at, "--outbox", outbox]) == 0
        assert "1 sent" in capsys.readouterr().out
        monkeypatch.setenv("DUNNING_DATABASE_URL", url)
        assert main(["run", "--at", at, "--outbox", outbox]) == 0
        assert "nothing to do" in capsys.readouterr().out
        assert main(["history", "INV-001"]) == 0
        assert "sent" in capsys.readouterr().out
    finally:
        with psycopg.connect(url, autocommit=True) as raw:
            raw.execute("DROP SCHEMA IF EXISTS dunning CASCADE")


def test_invoices_found_by_number_and_imported_all_or_nothing(store: PostgresStore) -> None:
    """`invoice(ref)` finds by id, then by number; `import_invoices` counts new and updated."""
    assert store.import_invoices([make_invoice(id="F-1", number="2026-0001")]) == (1, 0)
    assert store.import_invoices(
        [
            make_invoice(id="F-1", number="2026-0001", total="99.00"),
            make_invoice(id="F-2", number="2026-0002"),
        ]
    ) == (1, 1)
    assert store.invoice("2026-0001").id == "F-1"
    assert store.invoice("F-1").total == Decimal("99.00")
    with pytest.raises(KeyError, match="no invoice with id or number 'nope'"):
        store.invoice("nope")
    store.add_invoice(make_invoice(id="F-3", number="2026-0001"))
    with pytest.raises(KeyError, match="several invoices have the number '2026-0001'"):
        store.invoice("2026-0001")
