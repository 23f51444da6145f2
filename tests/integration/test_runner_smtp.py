"""The fault-injection matrix through the real runner, a real store and a real SMTP server.

Every case is judged at the SMTP server: how many copies of each message it holds. Invoices are
due Monday 4 May 2026 (Paris); STANDARD sends its J+1 informative email on Tuesday 5 May, so a
run at 10:30 that day has one email per customer to send. SMTP cannot deduplicate, so whatever
may have reached the server is never sent again: it is left ``uncertain`` for a human.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from dunning import STANDARD, Channel
from dunning.adapters.smtp import SmtpSender
from dunning.core.action_log import EntryStatus, Receipt
from dunning.core.render import Message
from dunning.runner import Dunner, Outcome, resolve
from dunning.testing import SimulatedCrash, make_creditor, make_customer, make_invoice, paris
from tests.integration.conftest import HOST, SmtpServer, Store

CREDITOR = make_creditor()
DUE = date(2026, 5, 4)
TUESDAY = paris(2026, 5, 5)
LATER = TUESDAY + timedelta(hours=1)


def address(i: int) -> str:
    """The email address of customer *i*."""
    return f"compta@client-{i}.example"


def add_customers(store: Store, n: int, *, without_email: int | None = None) -> None:
    """N customers, one invoice each due Monday 4 May 2026; one may have no email address."""
    for i in range(1, n + 1):
        email = None if i == without_email else address(i)
        customer = make_customer(id=f"C-{i:03}", name=f"Client {i}", email=email)
        store.add_invoice(
            make_invoice(id=f"INV-{i:03}", number=f"2026-{i:04}", customer=customer, due_on=DUE)
        )


def smtp(port: int, **options: Any) -> SmtpSender:
    """The real sender, pointed at 127.0.0.1:*port*."""
    options.setdefault("timeout", 5.0)
    return SmtpSender(
        HOST, "compta@atelier-durand.example", port=port, local_hostname="dunning.test", **options
    )


@dataclass
class CrashingSender:
    """Wraps the real sender: the process dies just before or just after it is called."""

    inner: SmtpSender
    crash: str  # "before" or "after"; "" once it has crashed
    channel = Channel.EMAIL
    deduplicates = False

    def send(self, message: Message, *, idempotency_key: str, context: object = None) -> Receipt:
        """Crash where told to, once; otherwise send through the real sender."""
        if self.crash == "before":
            self.crash = ""
            msg = "crash before the sender talked to the server (injected)"
            raise SimulatedCrash(msg)
        receipt = self.inner.send(message, idempotency_key=idempotency_key)
        if self.crash == "after":
            self.crash = ""
            msg = "crash after send, before record (injected)"
            raise SimulatedCrash(msg)
        return receipt


def runner(store: Store, sender: SmtpSender | CrashingSender) -> Dunner:
    """A runner named "r1" over *store* (as source and log), sending email with *sender*."""
    return Dunner(store, store, {Channel.EMAIL: sender}, STANDARD, CREDITOR, owner="r1")


def copies(server: SmtpServer) -> Counter[str]:
    """How many copies of each message key the server holds."""
    return Counter(str(received.email["X-Dunning-Key"]) for received in server.received)


def recipients(server: SmtpServer) -> list[str]:
    """Every envelope recipient the server accepted, sorted."""
    return sorted(rcpt for received in server.received for rcpt in received.rcpt_tos)


def test_each_due_message_arrives_once_and_a_rerun_adds_nothing(
    store: Store, smtp_server: SmtpServer
) -> None:
    """Three customers, three emails, one copy each; the same run again sends nothing."""
    add_customers(store, 3)
    report = runner(store, smtp(smtp_server.port)).run(at=TUESDAY)
    assert report.counts() == {"sent": 3}
    assert recipients(smtp_server) == [address(1), address(2), address(3)]
    sent = store.entries_with(EntryStatus.SENT)
    assert copies(smtp_server) == {entry.key: 1 for entry in sent}
    for entry in sent:
        assert entry.receipt is not None
        assert entry.receipt.provider_id == f"<{entry.key}@atelier-durand.example>"
    assert runner(store, smtp(smtp_server.port)).run(at=TUESDAY).counts() == {}
    assert len(smtp_server.received) == 3


def test_server_down_then_up_delivers_once(
    store: Store, smtp_server: SmtpServer, closed_port: int
) -> None:
    """Connection refused: retry; the next run, with the server up, delivers each once."""
    add_customers(store, 2)
    report = runner(store, smtp(closed_port)).run(at=TUESDAY)
    assert report.counts() == {"retry": 2}
    assert len(store.entries_with(EntryStatus.RETRY)) == 2
    assert runner(store, smtp(smtp_server.port)).run(at=LATER).counts() == {"sent": 2}
    assert recipients(smtp_server) == [address(1), address(2)]
    assert set(copies(smtp_server).values()) == {1}


def test_timeout_after_data_is_uncertain_and_never_sent_again(
    store: Store, smtp_server: SmtpServer
) -> None:
    """The server took it but answered too late: uncertain, one copy, and no second one."""
    add_customers(store, 1)
    smtp_server.handler.delay_after_data = 1.5
    report = runner(store, smtp(smtp_server.port, timeout=0.5)).run(at=TUESDAY)
    assert report.counts() == {"uncertain": 1}
    assert len(smtp_server.received) == 1
    smtp_server.handler.delay_after_data = 0
    assert runner(store, smtp(smtp_server.port)).run(at=LATER).counts() == {"uncertain": 1}
    assert len(smtp_server.received) == 1


def test_crash_after_send_before_record_is_uncertain_with_one_copy(
    store: Store, smtp_server: SmtpServer
) -> None:
    """The server has it, the log does not know: the re-run reports it and never resends."""
    add_customers(store, 1)
    crashing = CrashingSender(smtp(smtp_server.port), crash="after")
    with pytest.raises(SimulatedCrash):
        runner(store, crashing).run(at=TUESDAY)
    assert len(smtp_server.received) == 1
    report = runner(store, smtp(smtp_server.port)).run(at=TUESDAY)
    assert report.counts() == {"uncertain": 1}
    assert "may or may not have gone out" in report.items[0].reason
    assert len(smtp_server.received) == 1


def test_crash_after_the_claimed_reservation_is_uncertain_then_sent_once_if_not_delivered(
    store: Store, smtp_server: SmtpServer
) -> None:
    """Reserved and claimed in one commit, then the crash: uncertain; resolved, sent once."""
    add_customers(store, 1)
    original = store.reserve

    def reserve_then_crash(entry: Any) -> bool:
        store.reserve = original  # type: ignore[method-assign]
        assert original(entry)
        msg = "crash after reserve (injected)"
        raise SimulatedCrash(msg)

    store.reserve = reserve_then_crash  # type: ignore[method-assign]
    with pytest.raises(SimulatedCrash):
        runner(store, smtp(smtp_server.port)).run(at=TUESDAY)
    assert smtp_server.received == []
    report = runner(store, smtp(smtp_server.port)).run(at=TUESDAY)
    assert report.counts() == {"uncertain": 1}
    assert smtp_server.received == []
    resolve(store, report.items[0].key, delivered=False, by="claire", at=TUESDAY)
    later = TUESDAY + timedelta(hours=1)
    assert runner(store, smtp(smtp_server.port)).run(at=later).counts() == {"sent": 1}
    assert len(smtp_server.received) == 1


def test_crash_inside_the_sender_before_it_connects_is_uncertain(
    store: Store, smtp_server: SmtpServer
) -> None:
    """Once a sender was called, the log cannot tell how far it got: uncertain, nothing sent.

    The attempt is recorded before the sender is called (attempts 1), so the re-run cannot
    know that this one died before reaching the server; SMTP cannot deduplicate, so it asks
    a human rather than risk a second copy.
    """
    add_customers(store, 1)
    crashing = CrashingSender(smtp(smtp_server.port), crash="before")
    with pytest.raises(SimulatedCrash):
        runner(store, crashing).run(at=TUESDAY)
    report = runner(store, smtp(smtp_server.port)).run(at=TUESDAY)
    assert report.counts() == {"uncertain": 1}
    assert smtp_server.received == []
    assert smtp_server.handler.greetings == []


def test_a_customer_without_email_fails_and_the_run_goes_on(
    store: Store, smtp_server: SmtpServer
) -> None:
    """No address for C-002: failed (permanent); C-001 and C-003 get theirs, once."""
    add_customers(store, 3, without_email=2)
    report = runner(store, smtp(smtp_server.port)).run(at=TUESDAY)
    assert report.counts() == {"sent": 2, "failed": 1}
    [failed] = report.with_outcome(Outcome.FAILED)
    assert failed.customer_id == "C-002"
    assert (
        failed.reason == f"message {failed.key} has no email address: the customer record has none"
    )
    assert recipients(smtp_server) == [address(1), address(3)]
    assert set(copies(smtp_server).values()) == {1}


def test_one_refused_address_fails_and_the_others_are_delivered(
    store: Store, smtp_server: SmtpServer
) -> None:
    """RCPT 550 for C-002 only: that message failed, the other two arrive once."""
    add_customers(store, 3)
    smtp_server.handler.refuse_rcpt[address(2)] = "550 5.1.1 no such user"
    report = runner(store, smtp(smtp_server.port)).run(at=TUESDAY)
    assert report.counts() == {"sent": 2, "failed": 1}
    [failed] = report.with_outcome(Outcome.FAILED)
    assert failed.customer_id == "C-002"
    assert failed.reason == "550 5.1.1 no such user (RCPT TO)"
    entry = store.get(failed.key)
    assert entry is not None
    assert entry.status is EntryStatus.FAILED
    assert recipients(smtp_server) == [address(1), address(3)]
    assert set(copies(smtp_server).values()) == {1}
