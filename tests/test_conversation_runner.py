"""The runner over a store sends the conversation the pure planner plans, and nothing else.

The issue's three-invoice customer is run through `Dunner` with a `MemoryStore`, twice a day
for 120 days, every pending notice approved on the day by a person who passes the preview
version they saw. What the senders receive must be what `tests.conversation_walk.walk` (the
pure planner, no store) says, day for day: same days, same templates, same invoices covered.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest

from dunning.adapters.memory import MemorySender, MemoryStore
from dunning.core.action_log import EntryStatus
from dunning.core.builtin import BUILTIN_SCENARIOS
from dunning.core.conversation import STAFF_CHANNELS
from dunning.core.model import Channel, Payment
from dunning.runner import Dunner, approve
from dunning.testing import make_creditor
from tests.conversation_walk import three_invoices, walk
from tests.helpers import PARIS

START = date(2026, 2, 25)
DAYS = 120


@pytest.mark.parametrize("scenario_id", sorted(BUILTIN_SCENARIOS))
def test_the_runner_sends_what_the_planner_plans(scenario_id: str) -> None:
    """Same days, templates and covered steps from the runner as from the pure walk."""
    scenario = BUILTIN_SCENARIOS[scenario_id]
    store = MemoryStore()
    for h in three_invoices():
        store.add_invoice(h.invoice, [e for e in h.events if not isinstance(e, Payment)])
    payments = [
        (e.on, h.invoice.id, e)
        for h in three_invoices()
        for e in h.events
        if isinstance(e, Payment)
    ]
    senders = {c: MemorySender(c) for c in Channel}
    runner = Dunner(
        source=store, log=store, senders=senders, scenario=scenario, creditor=make_creditor()
    )
    for n in range(DAYS):
        day = START + timedelta(days=n)
        for on, invoice_id, payment in payments:
            if on == day:
                store.add_event(invoice_id, payment)
        for hour in (10, 15):
            at = datetime.combine(day, time(hour, 30), tzinfo=PARIS)
            runner.run(at=at)
            pending = store.entries_with(EntryStatus.PENDING_APPROVAL)
            for entry in pending:
                approve(store, entry.key, by="claire", at=at, seen=entry.version)
            if pending:
                runner.run(at=at + timedelta(minutes=1))
    got = sorted(
        (key_day(store, key), sender.channel.value, tuple(sorted(covered(store, key))))
        for sender in senders.values()
        for key, _ in sender.sent
    )
    expected = sorted(
        (
            s.on,
            s.action.channel.value,
            tuple(sorted((a.invoice_id, a.step_id) for a in s.action.covers)),
        )
        for s in walk(three_invoices(), scenario, start=START, days=DAYS)
    )
    assert got == expected
    # Each (invoice, step) went out once, and staff never carried a customer's step.
    steps = Counter(step for _, _, steps in got for step in steps)
    assert max(steps.values()) == 1
    for _, channel, steps_ in got:
        for _, step_id in steps_:
            step = scenario.step(step_id)
            assert step is not None
            assert (Channel(channel) in STAFF_CHANNELS) == (step.channel in STAFF_CHANNELS)


def key_day(store: MemoryStore, key: str) -> date:
    """The local day the message under *key* went out."""
    entry = store.get(key)
    assert entry is not None
    assert entry.attempted_at is not None
    return entry.attempted_at.astimezone(PARIS).date()


def covered(store: MemoryStore, key: str) -> list[tuple[str, str]]:
    """The (invoice, step) pairs the message under *key* carried out."""
    entry = store.get(key)
    assert entry is not None
    return [(c.invoice_id, c.step_id) for c in entry.covers]
