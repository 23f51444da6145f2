"""The demo's story as a host lives it: each fact (payment, dispute...) is recorded on its day.

`dunning init` stores the book as it stands on the demo's first day; a run never sends what a
known later fact forbids, so the tests record each day's facts before that day's run, as the
host's bookkeeping would.
"""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

from dunning.adapters.sqlite import SqliteStore
from dunning.core.model import event_day
from dunning.demo import demo_portfolio


def record_demo_facts(db: Path, day: date) -> None:
    """Record in *db* the demo events dated *day* (once, however often it is called)."""
    with SqliteStore(db) as store:
        for case in demo_portfolio():
            for event in case.events:
                if event_day(event, case.invoice.customer.tz) != day:
                    continue
                with contextlib.suppress(KeyError):  # a database without the demo invoices
                    if event not in store.events(case.invoice.id):
                        store.add_event(case.invoice.id, event)
