"""Helpers for the two-process test: run in a child process, so importable by module name."""

from __future__ import annotations

import os
from datetime import date
from multiprocessing.synchronize import Barrier
from pathlib import Path

from dunning import STANDARD, Channel
from dunning.adapters.sqlite import SqliteStore
from dunning.core.action_log import Receipt
from dunning.render import Message
from dunning.runner import Dunner
from dunning.testing import make_creditor, make_customer, make_invoice, paris

CREDITOR = make_creditor()


def prepare(path: Path, *, customers: int) -> None:
    """One invoice per customer, due Monday 4 May 2026: each owes its J+1 email on 5 May."""
    with SqliteStore(path) as store:
        for n in range(customers):
            customer = make_customer(id=f"C-{n:03}", name=f"Client {n}")
            store.add_invoice(
                make_invoice(id=f"INV-{n:03}", customer=customer, due_on=date(2026, 5, 4))
            )


class AppendSender:
    """Appends "owner key" to a shared file with O_APPEND: one line per message handed over."""

    channel = Channel.EMAIL
    deduplicates = False

    def __init__(self, path: str, owner: str) -> None:
        """Write to *path* as *owner*."""
        self.path = path
        self.owner = owner

    def send(self, message: Message, *, idempotency_key: str, context: object = None) -> Receipt:
        """Record the key; the line is written in one system call."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{self.owner} {idempotency_key}\n".encode())
        finally:
            os.close(fd)
        return Receipt(provider_id=f"{self.owner}-{idempotency_key}")


def run(path: str, sent_log: str, owner: str, start: Barrier) -> None:
    """A child process: its own store on the shared file, its own runner, started together."""
    with SqliteStore(path) as store:
        sender = AppendSender(sent_log, owner)
        dunner = Dunner(store, store, {Channel.EMAIL: sender}, STANDARD, CREDITOR, owner=owner)
        start.wait()
        dunner.run(at=paris(2026, 5, 5))
