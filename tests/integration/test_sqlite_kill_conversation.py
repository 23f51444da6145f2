"""A runner killed between its durable claim and the hand-over: what one customer then receives.

This is the mechanism behind the PostgreSQL shard test's extra steps (tests/integration/
test_postgres_shards.py), reproduced at a fixed point instead of a random moment. Customer C-00
has A-00 (due Monday 4 May 2026) and B-00 (due Thursday 7 May); STANDARD ladder, a run every
three days from Tuesday 5 May, the humans' tidying between runs (as the shard test does).

On 5 May the process dies after claiming A-00's J+1 e-mail and before handing it over
(``os._exit`` in the sender: a SIGKILL at that point). Restarted under its name, the runner
cannot know whether the provider got it: uncertain. On Friday 8 May a person resolves it "not
delivered"; 8 May is a public holiday (Victoire 1945), so the conversation holds it, and the log
says so. On Monday 11 May B-00 is overdue too: both J+1 go in one message, and from then on the
two invoices climb the ladder together. Without the kill, A-00 leads by one step and B-00 joins
its messages one step behind, so B-00 never gets a firm reminder or a call of its own.

Both conversations follow the rules; the kill's only effect is A-00's delay. No step goes twice,
none is lost.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from dunning import STANDARD
from dunning.adapters.sqlite import SqliteStore
from dunning.ports import EntryStatus
from dunning.runner import Dunner
from dunning.testing import make_creditor, make_customer, make_invoice, paris
from tests.integration import postgres_worker

ROOT = Path(__file__).parent.parent.parent
DAYS = [paris(2026, 5, 5) + timedelta(days=3 * n) for n in range(11)]  # to 4 June

# The killed process: one run at AT whose first hand-over never happens.
KILLED_RUN = """
import os, sys
from datetime import datetime
from dunning import STANDARD
from dunning.adapters.sqlite import SqliteStore
from dunning.runner import Dunner
from dunning.testing import make_creditor
from tests.integration.postgres_worker import AppendSender, senders

class DiesBeforeHandOver(AppendSender):
    def send(self, message, *, idempotency_key, context=None):
        os._exit(9)

db, log, at = sys.argv[1:4]
with SqliteStore(db, create=False) as store:
    dying = {channel: DiesBeforeHandOver(channel, log) for channel in senders(log)}
    Dunner(store, store, dying, STANDARD, make_creditor(), owner="w").run(
        at=datetime.fromisoformat(at)
    )
"""


def _fill(store: SqliteStore) -> None:
    customer = make_customer(id="C-00", name="Client C-00")
    for invoice_id, due in (("A-00", date(2026, 5, 4)), ("B-00", date(2026, 5, 7))):
        store.add_invoice(
            make_invoice(id=invoice_id, number=invoice_id, customer=customer, due_on=due)
        )


def _conversation(
    tmp_path: Path, *, kill_on: datetime | None
) -> tuple[list[tuple[str, list[str]]], SqliteStore]:
    """(day, sorted "invoice step") of every message the provider received, in order."""
    db, log = tmp_path / "book.db", tmp_path / "provider.txt"
    log.touch()
    store = SqliteStore(db)
    _fill(store)
    runner = Dunner(
        store, store, postgres_worker.senders(str(log)), STANDARD, make_creditor(), owner="w"
    )
    for at in DAYS:
        postgres_worker.tidy(store, set(log.read_text().split()), at)
        if at == kill_on:
            died = subprocess.run(  # noqa: S603  (our own code)
                [sys.executable, "-c", KILLED_RUN, str(db), str(log), at.isoformat()],
                cwd=ROOT,
                check=False,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            )
            assert died.returncode == 9
        runner.run(at=at)
    received = []
    for key in log.read_text().split():
        entry = store.get(key)
        assert entry is not None
        day = entry.attempted_at.astimezone(DAYS[0].tzinfo).strftime("%d %b")  # type: ignore[union-attr]
        received.append((day, sorted(f"{c.invoice_id} {c.step_id}" for c in entry.covers)))
    return received, store


def test_without_a_kill_b_joins_a_one_step_behind(tmp_path: Path) -> None:
    """The reference: A-00 leads; B-00 is listed in A-00's messages, one step behind."""
    received, store = _conversation(tmp_path, kill_on=None)
    store.close()
    assert received == [
        ("05 May", ["A-00 informative"]),
        ("20 May", ["A-00 reminder", "B-00 informative"]),
        ("29 May", ["A-00 firm", "B-00 reminder"]),
        ("04 Jun", ["A-00 phone_call"]),
    ]


def test_killed_before_the_hand_over_the_first_message_waits_then_both_climb_together(
    tmp_path: Path,
) -> None:
    """Killed on 5 May: uncertain, resolved not delivered, held on the 8 May holiday, then sent."""
    received, store = _conversation(tmp_path, kill_on=DAYS[0])
    try:
        assert received == [
            ("11 May", ["A-00 informative", "B-00 informative"]),
            ("20 May", ["A-00 reminder", "B-00 reminder"]),
            ("29 May", ["A-00 firm", "B-00 firm"]),
            ("04 Jun", ["A-00 phone_call", "B-00 phone_call"]),
        ]
        [first] = store.entries_with(EntryStatus.CANCELLED)
        assert first.covers[0].step_id == "informative"
        assert first.reason == (
            "held back today (EUR: 2026-05-08 is not a business day); due again when it may go"
        )
    finally:
        store.close()
