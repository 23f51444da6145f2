"""The store contract suite: run it against your own `InvoiceSource` + `ActionLog`.

Every guarantee `dunning.ports` states, as a pytest test. Subclass `StoreContract` in your
test suite, give it a ``store`` fixture (a fresh, empty store that is both the source and the
log) and say how your store records an invoice and an event:

.. code-block:: python

    import pytest
    from dunning.testing.contract import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            with MyStore(tmp_path / "db") as store:
                yield store

        def add_invoice(self, store, invoice, events=()):
            store.add_invoice(invoice, events)

        def add_event(self, store, invoice_id, event):
            store.add_event(invoice_id, event)

pytest collects the inherited tests (``TestMyStore::test_reserve_...``). The reference stores
run this very suite in dunning's own tests. It needs pytest (``pip install dunning[tests]``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

try:
    import pytest
except ImportError as error:  # pragma: no cover  (pytest is a test dependency)
    msg = "dunning.testing.contract needs pytest: pip install 'dunning[tests]'"
    raise ImportError(msg) from error

from dunning.core.action_log import Covered, EntryStatus, LogEntry, Receipt
from dunning.core.builtin import STANDARD
from dunning.core.model import (
    ActionApproved,
    ActionRejected,
    ActionTaken,
    Channel,
    DeliveryFailed,
    Event,
    Invoice,
    Payment,
    Reversal,
    ReversalReason,
)
from dunning.core.portfolio import InvoiceHistory
from dunning.core.render import Message
from dunning.exceptions import InvoiceHistoryError
from dunning.ports import SendError
from dunning.runner import Dunner
from dunning.testing import MemorySender, make_creditor, make_customer, make_invoice, paris

__all__ = ["StoreContract"]

AT = paris(2026, 5, 5)
PARIS_TZ = ZoneInfo("Europe/Paris")
LATER = AT + timedelta(hours=2)


def _message(key: str) -> Message:
    return Message(
        action_id=key,
        channel=Channel.EMAIL,
        template="reminder",
        locale="fr_FR",
        subject=f"Facture {key}",
        text=f"Bonjour, {key}.",
        to="compta@boulangerie-martin.example",
    )


def entry(
    key: str = "msg_1",
    *,
    actions: Sequence[str] = ("act_1",),
    invoice_id: str = "INV-001",
    **changes: object,
) -> LogEntry:
    """A reserved message of customer C-001 covering *actions* on *invoice_id*."""
    fields: dict[str, Any] = {
        "key": key,
        "customer_id": "C-001",
        "channel": Channel.EMAIL,
        "covers": tuple(Covered(invoice_id, a, "reminder", Decimal("1200.00")) for a in actions),
        "message": _message(key),
        "status": EntryStatus.RESERVED,
        "owner": "r1",
        "reserved_at": AT,
        "updated_at": AT,
    }
    fields.update(changes)
    return LogEntry(**fields)


class StoreContract:
    """The tests every store must pass. Subclass it, give a ``store`` fixture (see module)."""

    # -- what the host's subclass provides -------------------------------------------------

    @pytest.fixture
    def store(self) -> Any:
        """A fresh, empty store (source and log). Override it."""
        msg = "override the 'store' fixture in your StoreContract subclass"
        raise NotImplementedError(msg)

    def add_invoice(self, store: Any, invoice: Invoice, events: Iterable[Event] = ()) -> None:
        """Record *invoice* (and its customer) with the host's *events*. Override if needed."""
        store.add_invoice(invoice, events)

    def add_event(self, store: Any, invoice_id: str, event: Event) -> None:
        """Record one host event on an invoice. Override if needed."""
        store.add_event(invoice_id, event)

    def other_tenant(self, store: Any) -> Any:
        """A store on *store*'s database scoped to another tenant, for the isolation tests.

        The default asks ``store.for_tenant("tenant-b")`` (what the reference stores offer);
        a store without tenants skips the isolation tests. Override if yours scopes otherwise.
        """
        scoped = getattr(store, "for_tenant", None)
        if scoped is None:
            pytest.skip("this store has no tenants (no for_tenant): nothing to isolate")
        return scoped("tenant-b")

    # -- reserve: one entry per key, one live entry per action ------------------------------

    def test_reserve_inserts_once_and_get_gives_it_back_whole(self, store: Any) -> None:
        """The first reservation of a key wins; the entry reads back equal."""
        first = entry()
        assert store.reserve(first) is True
        assert store.reserve(entry(owner="r2")) is False
        assert store.get("msg_1") == first
        assert store.get("nope") is None

    def test_a_new_grouping_supersedes_an_undelivered_entry_at_once(self, store: Any) -> None:
        """Pending, approved, retry and unattempted reserved entries give way, closed."""
        for n, status in enumerate(
            (
                EntryStatus.PENDING_APPROVAL,
                EntryStatus.APPROVED,
                EntryStatus.RETRY,
                EntryStatus.RESERVED,
            )
        ):
            old = entry(f"old_{n}", actions=(f"act_{n}",), status=status)
            assert store.reserve(old) is True
            new = entry(f"new_{n}", actions=(f"act_{n}", f"act_{n}b"), updated_at=LATER)
            assert store.reserve(new) is True, status
            closed = store.get(f"old_{n}")
            assert closed.status is EntryStatus.SUPERSEDED, status
            assert closed.reason == f"replaced by new_{n}"
            assert store.get(f"new_{n}").status is EntryStatus.RESERVED

    def test_a_possibly_delivered_entry_holds_its_actions(self, store: Any) -> None:
        """Sent, uncertain, or attempted: a new entry on one of its actions is refused."""
        cases = {
            "sent": EntryStatus.SENT,
            "uncertain": EntryStatus.UNCERTAIN,
            "attempted": EntryStatus.RESERVED,
        }
        for name, status in cases.items():
            held = entry(f"held_{name}", actions=(f"act_{name}",), status=status, attempts=1)
            assert store.reserve(held) is True
            other = entry(f"other_{name}", actions=(f"act_{name}", "act_free"))
            assert store.reserve(other) is False, name
            assert store.get(f"other_{name}") is None
            assert store.get(f"held_{name}") == held

    def test_a_cancelled_key_is_reserved_again_keeping_its_history(self, store: Any) -> None:
        """Due again after a cancellation: same key, attempts and first reservation kept."""
        store.reserve(entry(status=EntryStatus.RETRY, attempts=1, attempted_at=AT))
        assert store.cancel(
            "msg_1", expect=EntryStatus.RETRY, expect_attempts=1, at=AT, reason="paid"
        )
        again = entry(reserved_at=LATER, updated_at=LATER)
        assert store.reserve(again) is True
        got = store.get("msg_1")
        assert (got.status, got.attempts, got.reserved_at) == (EntryStatus.RESERVED, 1, AT)

    def test_a_new_message_may_be_reserved_already_claimed(self, store: Any) -> None:
        """A new key: attempts and attempted_at stored as given; it holds its actions at once."""
        claimed = entry(attempts=1, attempted_at=LATER)
        assert store.reserve(claimed) is True
        got = store.get("msg_1")
        assert (got.status, got.owner, got.attempts, got.attempted_at) == (
            EntryStatus.RESERVED,
            "r1",
            1,
            LATER,
        )
        assert got == claimed
        assert store.reserve(entry("other", actions=("act_1", "act_2"))) is False
        assert store.get("other") is None

    def test_a_claimed_reservation_is_refused_under_a_key_that_has_an_entry(
        self, store: Any
    ) -> None:
        """Over a cancelled entry, a claimed one would lose its attempts: refused, unchanged."""
        store.reserve(entry(status=EntryStatus.RETRY, attempts=2, attempted_at=AT))
        assert store.cancel(
            "msg_1", expect=EntryStatus.RETRY, expect_attempts=2, at=AT, reason="paid"
        )
        again = entry(reserved_at=LATER, updated_at=LATER, attempts=1, attempted_at=LATER)
        assert store.reserve(again) is False
        got = store.get("msg_1")
        assert (got.status, got.attempts, got.attempted_at) == (EntryStatus.CANCELLED, 2, AT)

    def test_two_threads_reserving_overlapping_groupings_one_wins(self, store: Any) -> None:
        """30 rounds: two runners group one action differently; it is held by one entry."""
        start = threading.Barrier(2)
        results: dict[str, list[bool]] = {"a": [], "b": []}

        def race(name: str) -> None:
            start.wait()
            for n in range(30):
                first = entry(f"{name}_{n}", actions=(f"act_{n}", f"act_{name}_{n}"), attempts=1)
                results[name].append(store.reserve(first))

        threads = [threading.Thread(target=race, args=(name,)) for name in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for n in range(30):
            assert [results["a"][n], results["b"][n]].count(True) == 1, n

    # -- compare-and-set --------------------------------------------------------------------

    def test_begin_attempt_is_a_compare_and_set_that_stores_what_goes_out(self, store: Any) -> None:
        """Wrong status or attempts: None, unchanged; else claimed, with the final text."""
        store.reserve(entry())
        assert (
            store.begin_attempt(
                "msg_1", owner="r2", expect=EntryStatus.RETRY, expect_attempts=0, at=LATER
            )
            is None
        )
        assert (
            store.begin_attempt(
                "msg_1", owner="r2", expect=EntryStatus.RESERVED, expect_attempts=1, at=LATER
            )
            is None
        )
        final = _message("msg_1").model_copy(update={"text": "Bonjour, au 5 mai."})
        claimed = store.begin_attempt(
            "msg_1",
            owner="r2",
            expect=EntryStatus.RESERVED,
            expect_attempts=0,
            at=LATER,
            message=final,
        )
        assert (claimed.owner, claimed.attempts, claimed.attempted_at) == ("r2", 1, LATER)
        assert store.get("msg_1").message == final
        # A runner that saw fewer attempts than there are now must lose: the count is exact.
        assert (
            store.begin_attempt(
                "msg_1", owner="r3", expect=EntryStatus.RESERVED, expect_attempts=0, at=LATER
            )
            is None
        )
        assert not store.cancel(
            "msg_1", expect=EntryStatus.RESERVED, expect_attempts=0, at=LATER, reason="x"
        )
        assert store.get("msg_1").owner == "r2"

    def test_cancel_is_a_compare_and_set(self, store: Any) -> None:
        """Cancelled only if still as the caller saw it."""
        store.reserve(entry(status=EntryStatus.APPROVED))
        assert not store.cancel(
            "msg_1", expect=EntryStatus.RETRY, expect_attempts=0, at=LATER, reason="x"
        )
        assert store.cancel(
            "msg_1", expect=EntryStatus.APPROVED, expect_attempts=0, at=LATER, reason="paid"
        )
        got = store.get("msg_1")
        assert (got.status, got.reason) == (EntryStatus.CANCELLED, "paid")

    def test_revise_to_pending_clears_the_approval(self, store: Any) -> None:
        """An approval lapses: back to pending, new amounts and preview, nobody's approval."""
        store.reserve(entry(status=EntryStatus.PENDING_APPROVAL))
        store.decide_approval("msg_1", approved=True, by="claire", at=AT)
        covers = (Covered("INV-001", "act_1", "reminder", Decimal("700.00")),)
        assert (
            store.revise(
                "msg_1",
                expect=EntryStatus.PENDING_APPROVAL,
                expect_attempts=0,
                status=EntryStatus.PENDING_APPROVAL,
                covers=covers,
                message=_message("msg_1"),
                at=LATER,
                reason="x",
            )
            is None
        )  # it is approved now, not pending: compare-and-set
        revised = store.revise(
            "msg_1",
            expect=EntryStatus.APPROVED,
            expect_attempts=0,
            status=EntryStatus.PENDING_APPROVAL,
            covers=covers,
            message=_message("msg_1").model_copy(update={"text": "700,00 €"}),
            at=LATER,
            reason="approval lapsed",
        )
        assert (revised.status, revised.decided_by, revised.decided_at) == (
            EntryStatus.PENDING_APPROVAL,
            "",
            None,
        )
        got = store.get("msg_1")
        assert got.covers == covers
        assert got.message.text == "700,00 €"

    # -- outcomes and humans ----------------------------------------------------------------

    def test_a_revived_notice_waits_for_a_new_approval(self, store: Any) -> None:
        """Approved at 1,200.00 by Claire, cancelled by a dispute, due again at 1,000.00.

        The message is reserved again under its key, pending: it carries nobody's approval,
        so it can never go out on Claire's decision about another amount.
        """
        self.add_invoice(store, make_invoice(id="INV-001"))
        store.reserve(entry("notice", status=EntryStatus.PENDING_APPROVAL))
        store.decide_approval("notice", approved=True, by="claire", at=AT)
        assert store.cancel(
            "notice",
            expect=EntryStatus.APPROVED,
            expect_attempts=0,
            at=LATER,
            reason="dispute opened",
        )
        again = entry(
            "notice",
            status=EntryStatus.PENDING_APPROVAL,
            covers=(Covered("INV-001", "act_1", "reminder", Decimal("1000.00")),),
            updated_at=LATER,
        )
        assert store.reserve(again)
        revived = store.get("notice")
        assert revived is not None
        assert revived.status is EntryStatus.PENDING_APPROVAL
        assert (revived.decided_by, revived.decided_at) == ("", None)
        [history] = list(store.entries(LATER))
        assert not [e for e in history.events if isinstance(e, ActionApproved)]

    def test_finish_of_an_unknown_key_raises(self, store: Any) -> None:
        """Recording the outcome of a message never reserved is refused."""
        with pytest.raises(KeyError):
            store.finish("nope", EntryStatus.SENT, at=LATER)

    def test_an_outcome_and_the_next_reservation_are_written_together(self, store: Any) -> None:
        """``finish_and_reserve`` (optional): both written, or neither if the key is unknown."""
        combined = getattr(store, "finish_and_reserve", None)
        if combined is None:
            pytest.skip("this store has no finish_and_reserve: the runner calls the two alone")
        store.reserve(entry(attempts=1, attempted_at=AT))
        second = entry("msg_2", actions=("act_2",), attempts=1, attempted_at=LATER)
        assert combined("msg_1", EntryStatus.SENT, at=LATER, receipt=Receipt("p1"), entry=second)
        sent = store.get("msg_1")
        assert (sent.status, sent.receipt, sent.updated_at) == (
            EntryStatus.SENT,
            Receipt("p1"),
            LATER,
        )
        assert store.get("msg_2") == second
        third = entry("msg_3", actions=("act_3",))
        with pytest.raises(KeyError):
            combined("nope", EntryStatus.SENT, at=LATER, entry=third)
        assert store.get("msg_3") is None  # the reservation went with the refused outcome
        # A reservation refused (its action went out with msg_1) still records the outcome.
        taken = entry("msg_4", actions=("act_1",))
        assert combined("msg_2", EntryStatus.SENT, at=LATER, entry=taken) is False
        assert (store.get("msg_2").status, store.get("msg_4")) == (EntryStatus.SENT, None)

    def test_what_a_run_last_did_is_read_alone(self, store: Any) -> None:
        """``entries_updated_at`` (optional): the entries last changed at that instant only."""
        read = getattr(store, "entries_updated_at", None)
        if read is None:
            pytest.skip("this store has no entries_updated_at: the console reads the whole log")
        store.reserve(entry("msg_1", attempts=1, attempted_at=AT))
        store.reserve(entry("msg_2", actions=("act_2",), reserved_at=LATER, updated_at=LATER))
        store.reserve(entry("msg_3", actions=("act_3",)))
        store.finish("msg_1", EntryStatus.SENT, at=LATER, receipt=Receipt("p1"))
        assert [e.key for e in read(LATER)] == ["msg_1", "msg_2"]  # oldest reservation first
        assert [e.key for e in read(LATER.astimezone(UTC))] == ["msg_1", "msg_2"]  # same instant
        assert [e.key for e in read(AT)] == ["msg_3"]
        assert read(LATER + timedelta(seconds=1)) == []
        with pytest.raises(ValueError, match="aware"):
            read(LATER.replace(tzinfo=None))  # a naive instant is refused, not matched to nothing

    def test_an_approval_is_stamped_when_given(self, store: Any) -> None:
        """decided_at is the approval's instant, and stays so once the message is sent."""
        store.reserve(entry(status=EntryStatus.PENDING_APPROVAL))
        decided = store.decide_approval("msg_1", approved=True, by="claire", at=AT)
        assert (decided.status, decided.decided_by, decided.decided_at) == (
            EntryStatus.APPROVED,
            "claire",
            AT,
        )
        with pytest.raises(KeyError):
            store.decide_approval("msg_1", approved=True, by="claire", at=AT)
        store.begin_attempt(
            "msg_1", owner="r1", expect=EntryStatus.APPROVED, expect_attempts=0, at=LATER
        )
        store.finish("msg_1", EntryStatus.SENT, at=LATER, receipt=Receipt("p1"))
        assert store.get("msg_1").decided_at == AT

    def test_resolve_uncertain(self, store: Any) -> None:
        """Delivered -> sent; not delivered -> retry; only an uncertain entry."""
        for key, delivered, status in (
            ("m_yes", True, EntryStatus.SENT),
            ("m_no", False, EntryStatus.RETRY),
        ):
            store.reserve(
                entry(key, actions=(f"act_{key}",), status=EntryStatus.UNCERTAIN, attempts=1)
            )
            got = store.resolve_uncertain(key, delivered=delivered, by="claire", at=LATER)
            assert (got.status, got.resolved_by) == (status, "claire")
            assert "claire" in got.reason
        with pytest.raises(KeyError):
            store.resolve_uncertain("m_yes", delivered=True, by="claire", at=LATER)

    def test_entries_with_lists_oldest_first(self, store: Any) -> None:
        """Ordered by reservation instant (whatever the zone), then key."""
        nine_utc = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)  # after 10:30 Paris = 08:30 UTC
        store.reserve(entry("b", actions=("b",), reserved_at=nine_utc, updated_at=nine_utc))
        store.reserve(entry("c", actions=("c",), status=EntryStatus.RETRY))
        store.reserve(entry("a", actions=("a",)))
        listed = store.entries_with(EntryStatus.RESERVED, EntryStatus.RETRY)
        assert [e.key for e in listed] == ["a", "c", "b"]
        assert list(store.entries_with()) == []

    def test_last_message_at_counts_sent_and_uncertain_not_after_the_instant(
        self, store: Any
    ) -> None:
        """The customer gap's start: the latest attempt of a sent or uncertain entry."""
        assert store.last_message_at("C-001", at=LATER) is None
        store.reserve(entry("m1", actions=("a1",), status=EntryStatus.SENT, attempted_at=AT))
        later = AT + timedelta(days=1)
        store.reserve(
            entry("m2", actions=("a2",), status=EntryStatus.UNCERTAIN, attempted_at=later)
        )
        store.reserve(entry("m3", actions=("a3",), status=EntryStatus.FAILED, attempted_at=later))
        assert store.last_message_at("C-001", at=LATER) == AT
        assert store.last_message_at("C-001", at=later) == later
        assert store.last_message_at("C-002", at=later) is None

    def test_last_messages_at_answers_as_last_message_at_for_each_customer(
        self, store: Any
    ) -> None:
        """``last_messages_at`` (optional): each customer's `last_message_at`, none left out."""
        read = getattr(store, "last_messages_at", None)
        if read is None:
            pytest.skip("this store has no last_messages_at: the runner reads each customer")
        later = AT + timedelta(days=1)
        for key, customer_id, status, attempted_at in (
            ("m1", "C-001", EntryStatus.SENT, AT),
            ("m2", "C-001", EntryStatus.UNCERTAIN, later),
            ("m3", "C-002", EntryStatus.SENT, later),
            ("m4", "C-003", EntryStatus.FAILED, later),  # never reached the customer
        ):
            store.reserve(
                entry(
                    key,
                    actions=(f"a{key}",),
                    customer_id=customer_id,
                    status=status,
                    attempted_at=attempted_at,
                )
            )
        customers = ["C-001", "C-002", "C-003", "C-004"]
        assert read(customers, at=later) == {"C-001": later, "C-002": later}
        assert read(customers, at=LATER) == {"C-001": AT}
        assert read([], at=later) == {}
        with pytest.raises(TypeError, match="customer_ids"):
            read("C-001", at=later)  # one id, which would be read letter by letter
        with pytest.raises(ValueError, match="timezone-aware"):
            read([], at=later.replace(tzinfo=None))

    def test_a_send_window_round_trips_and_survives_the_claim(self, store: Any) -> None:
        """not_before and not_after read back as stored, through begin_attempt and finish."""
        opens = datetime(2026, 5, 5, 10, tzinfo=PARIS_TZ)  # 08:00 UTC
        closes = datetime(2026, 5, 5, 13, tzinfo=PARIS_TZ)
        night = datetime(2026, 5, 5, 2, tzinfo=PARIS_TZ)
        parked = entry(reserved_at=night, updated_at=night, not_before=opens, not_after=closes)
        assert store.reserve(parked) is True
        assert store.get("msg_1") == parked
        got = store.get("msg_1")
        assert (got.not_before, got.not_after) == (opens, closes)
        assert store.get("msg_1").not_before.utcoffset() is not None  # aware, whatever the zone
        assert store.reserve(entry("plain", actions=("b",))) is True
        assert (store.get("plain").not_before, store.get("plain").not_after) == (None, None)
        claimed = store.begin_attempt(
            "msg_1", owner="r2", expect=EntryStatus.RESERVED, expect_attempts=0, at=opens
        )
        assert claimed is not None
        assert (claimed.not_before, claimed.not_after) == (opens, closes)
        store.finish("msg_1", EntryStatus.SENT, at=opens, receipt=Receipt("sms-1"))
        assert store.get("msg_1").not_before == opens

    def test_a_scheduled_message_reaches_the_customer_at_its_window(self, store: Any) -> None:
        """Handed over at 02:00 to go at 10:00: its ActionTaken and the customer gap say 10:00."""
        self.add_invoice(store, make_invoice(id="INV-001"))
        night = datetime(2026, 5, 5, 2, tzinfo=PARIS_TZ)
        opens = datetime(2026, 5, 5, 10, tzinfo=PARIS_TZ)
        scheduled = entry(
            status=EntryStatus.SENT,
            attempts=1,
            attempted_at=night,
            reserved_at=night,
            updated_at=night,
            not_before=opens,
            not_after=opens + timedelta(hours=3),
        )
        store.reserve(scheduled)
        assert store.last_message_at("C-001", at=opens) == opens
        assert store.last_message_at("C-001", at=opens - timedelta(minutes=1)) is None
        [history] = list(store.entries(opens))
        assert set(history.events) == {
            ActionTaken(at=opens, action_id="act_1", channel=Channel.EMAIL, step_id="reminder"),
        }

    def test_the_latest_run_only_moves_forward(self, store: Any) -> None:
        """record_run keeps the maximum."""
        assert store.latest_run() is None
        store.record_run(LATER)
        store.record_run(AT)
        assert store.latest_run() == LATER

    # -- the source: events derived from the log --------------------------------------------

    def test_entries_carry_the_events_of_the_log(self, store: Any) -> None:
        """Per status, the events of the table in dunning.core.action_log (LOG_EVENTS)."""
        self.add_invoice(store, make_invoice(id="INV-001"))
        for key, status in (
            ("sent", EntryStatus.SENT),
            ("unc", EntryStatus.UNCERTAIN),
            ("retry", EntryStatus.RETRY),
        ):
            attempted = entry(
                f"m_{key}", actions=(f"a_{key}",), status=status, attempts=1, attempted_at=AT
            )
            store.reserve(attempted)
        store.reserve(entry("m_pend", actions=("a_pend",), status=EntryStatus.PENDING_APPROVAL))
        store.decide_approval("m_pend", approved=True, by="claire", at=LATER)
        store.reserve(entry("m_rej", actions=("a_rej",), status=EntryStatus.PENDING_APPROVAL))
        store.decide_approval("m_rej", approved=False, by="paul", at=LATER)
        [history] = list(store.entries(LATER))
        assert isinstance(history, InvoiceHistory)
        events = set(history.events)
        email = Channel.EMAIL
        assert events == {
            ActionTaken(at=AT, action_id="a_sent", channel=email, step_id="reminder"),
            ActionTaken(
                at=AT, action_id="a_unc", channel=email, step_id="reminder", uncertain=True
            ),
            ActionApproved(
                at=LATER, action_id="a_pend", by="claire", amount_due=Decimal("1200.00")
            ),
            ActionRejected(at=LATER, action_id="a_rej", by="paul"),
        }

    def test_a_failed_entry_gives_taken_and_failed(self, store: Any) -> None:
        """Permanently refused: ActionTaken at the attempt, DeliveryFailed at the failure."""
        self.add_invoice(store, make_invoice(id="INV-001"))
        store.reserve(entry(status=EntryStatus.RESERVED))
        store.begin_attempt(
            "msg_1", owner="r1", expect=EntryStatus.RESERVED, expect_attempts=0, at=AT
        )
        store.finish("msg_1", EntryStatus.FAILED, at=LATER, reason="550 no such user")
        [history] = list(store.entries(LATER))
        assert set(history.events) == {
            ActionTaken(at=AT, action_id="act_1", channel=Channel.EMAIL, step_id="reminder"),
            DeliveryFailed(at=LATER, action_id="act_1", reason="550 no such user"),
        }

    def test_entries_are_grouped_by_customer_with_later_facts(self, store: Any) -> None:
        """Every invoice of a customer together; a fact dated after the instant is there."""
        zed, abc = make_customer(id="C-Z", name="Zed"), make_customer(id="C-A", name="Abc")
        self.add_invoice(store, make_invoice(id="INV-9", customer=zed))
        self.add_invoice(store, make_invoice(id="INV-2", customer=abc))
        self.add_invoice(store, make_invoice(id="INV-1", customer=abc))
        tomorrow = Payment(on=AT.date() + timedelta(days=1), amount=Decimal("100.00"))
        self.add_event(store, "INV-1", tomorrow)
        listed = [
            (e.customer_id, e.invoice.id, e.events)
            for e in store.entries(AT)
            if isinstance(e, InvoiceHistory)
        ]
        customers = [c for c, _, _ in listed]
        assert customers == sorted(customers, key=customers.index)  # contiguous groups
        assert {(c, i) for c, i, _ in listed} == {
            ("C-A", "INV-1"),
            ("C-A", "INV-2"),
            ("C-Z", "INV-9"),
        }
        assert next(ev for _, i, ev in listed if i == "INV-1") == (tomorrow,)

    # -- tenants: one database, many creditors, nothing shared ----------------------------

    def test_two_tenants_with_the_same_ids_keep_their_own_books(self, store: Any) -> None:
        """Same invoice, customer and message ids in two tenants: two books, never mixed."""
        other = self.other_tenant(store)
        self.add_invoice(store, make_invoice(id="INV-001", total="1200.00"))
        self.add_invoice(other, make_invoice(id="INV-001", total="80.00"))
        self.add_event(store, "INV-001", Payment(on=AT.date(), amount=Decimal("100.00")))
        ours = [e for e in store.entries(LATER) if isinstance(e, InvoiceHistory)]
        theirs = [e for e in other.entries(LATER) if isinstance(e, InvoiceHistory)]
        assert [(e.invoice.total, len(e.events)) for e in ours] == [(Decimal("1200.00"), 1)]
        assert [(e.invoice.total, e.events) for e in theirs] == [(Decimal("80.00"), ())]
        assert store.reserve(entry()) is True
        assert other.reserve(entry(owner="r2")) is True  # the same key, another tenant's
        assert store.begin_attempt(
            "msg_1", owner="r1", expect=EntryStatus.RESERVED, expect_attempts=0, at=AT
        )
        store.finish("msg_1", EntryStatus.SENT, at=AT)
        assert other.get("msg_1") == entry(owner="r2")
        assert [e.key for e in other.entries_with(EntryStatus.SENT)] == []
        assert other.last_message_at("C-001", at=LATER) is None
        [history] = [e for e in other.entries(LATER) if isinstance(e, InvoiceHistory)]
        assert history.events == ()  # our sent reminder is not theirs

    def test_a_fact_is_checked_against_its_own_tenants_invoice(self, store: Any) -> None:
        """INV-001 is A's of 1 March and B's of 1 May: a payment of 1 April fits A's only."""
        other = self.other_tenant(store)
        self.add_invoice(store, make_invoice(id="INV-001", issued_on=date(2026, 3, 1)))
        self.add_invoice(
            other,
            make_invoice(id="INV-001", issued_on=date(2026, 5, 1), due_on=date(2026, 5, 31)),
        )
        april = Payment(on=date(2026, 4, 1), amount=Decimal("100.00"))
        self.add_event(store, "INV-001", april)
        with pytest.raises(InvoiceHistoryError, match="before the invoice date 2026-05-01"):
            self.add_event(other, "INV-001", april)
        [ours] = [e for e in store.entries(LATER) if isinstance(e, InvoiceHistory)]
        [theirs] = [e for e in other.entries(LATER) if isinstance(e, InvoiceHistory)]
        assert (ours.events, theirs.events) == ((april,), ())

    def test_one_tenants_run_and_approvals_never_touch_another(self, store: Any) -> None:
        """B's notice awaits approval; A's run (B's invoice unknown to it) leaves it waiting.

        The bug this pins: one store for all tenants with a per-tenant source, where tenant A's
        run cancelled tenant B's pending formal notice as "no longer due".
        """
        other = self.other_tenant(store)
        theirs = make_customer(id="C-B", name="Client de B")
        self.add_invoice(other, make_invoice(id="INV-B", customer=theirs))
        notice = entry(
            "notice_b", invoice_id="INV-B", customer_id="C-B", status=EntryStatus.PENDING_APPROVAL
        )
        assert other.reserve(notice) is True
        self.add_invoice(store, make_invoice(id="INV-A", due_on=date(2026, 4, 1)))
        email = MemorySender(Channel.EMAIL)
        dunner = Dunner(store, store, {Channel.EMAIL: email}, STANDARD, make_creditor())
        report = dunner.run(at=LATER)
        assert [item.outcome.value for item in report.items] == ["sent"]
        assert other.get("notice_b") == notice
        with pytest.raises(KeyError):
            store.decide_approval("notice_b", approved=True, by="claire", at=LATER)
        assert other.get("notice_b") == notice
        store.record_run(LATER)
        assert other.latest_run() is None

    # -- the runner on this store: once per invoice and step -------------------------------

    def test_a_regrouping_after_an_uncertain_send_never_repeats_the_reminder(
        self, store: Any
    ) -> None:
        """A due Mon 2 March, B due Thu 5 March; the send of 3 March is uncertain.

        6 March: B's J+1 is due, but A's J+1 possibly reached the customer on the 3rd, so the
        7-day customer gap holds and nothing goes (the old runner re-sent A's J+1 inside a new
        message for A and B); nor on Mon 9 March. Tue 10 March: A's J+7 and B's J+1 go
        together; A's J+1 never again. The uncertain message is reported by every run until it
        is resolved.
        """
        customer = make_customer()
        self.add_invoice(store, make_invoice(id="A", number="A", customer=customer))
        b = make_invoice(id="B", number="B", customer=customer, due_on=date(2026, 3, 5))
        self.add_invoice(store, b)
        email = MemorySender(Channel.EMAIL)
        email.fail_next.append(SendError("no answer after DATA", delivered=None))
        dunner = Dunner(store, store, {Channel.EMAIL: email}, STANDARD, make_creditor())
        assert dunner.run(at=paris(2026, 3, 3)).counts() == {"uncertain": 1}
        assert dunner.run(at=paris(2026, 3, 6)).counts() == {"uncertain": 1}
        assert email.sent == []
        assert dunner.run(at=paris(2026, 3, 9)).counts() == {"uncertain": 1}
        assert dunner.run(at=paris(2026, 3, 10)).counts() == {"uncertain": 1, "sent": 1}
        [(key, _)] = email.sent
        covered = sorted((c.invoice_id, c.step_id) for c in store.get(key).covers)
        assert covered == [("A", "reminder"), ("B", "informative")]

    # -- facts: checked when recorded, and corrected by a reversal -------------------------

    def test_a_fact_the_stored_invoice_contradicts_is_refused_and_nothing_is_written(
        self, store: Any
    ) -> None:
        """Before the invoice date, in another currency, reversing nothing: refused, not stored.

        The invoice is dated 31 January 2026 (due 2 March), in euros.
        """
        self.add_invoice(store, make_invoice())
        refused: list[tuple[Event, str]] = [
            (Payment(on=date(2026, 1, 30), amount=Decimal("1200.00")), "event_before_issue"),
            (
                Payment(on=date(2026, 3, 2), amount=Decimal(10), currency="USD"),
                "currency_mismatch",
            ),
            (
                Reversal(on=date(2026, 3, 3), reverses="P-9", reason=ReversalReason.MISTAKE),
                "unknown_fact",
            ),
        ]
        for event, code in refused:
            with pytest.raises(InvoiceHistoryError) as info:
                self.add_event(store, "INV-001", event)
            assert (info.value.code, info.value.invoice_id) == (code, "INV-001")
            assert info.value.location.startswith("event.")
        [history] = [e for e in store.entries(AT) if isinstance(e, InvoiceHistory)]
        assert history.events == ()

    def test_a_returned_direct_debit_has_the_invoice_chased_again(self, store: Any) -> None:
        """Paid by direct debit on the due date, returned on 10 March: chased on the 11th.

        While the payment stands the invoice is closed and nothing goes out; once the debit is
        returned the money never arrived, and the next run sends the reminder due since J+1.
        A second reversal of the same payment is refused.
        """
        self.add_invoice(store, make_invoice())
        debit = Payment(on=date(2026, 3, 2), amount=Decimal("1200.00"), id="SEPA-1")
        self.add_event(store, "INV-001", debit)
        email = MemorySender(Channel.EMAIL)
        dunner = Dunner(store, store, {Channel.EMAIL: email}, STANDARD, make_creditor())
        dunner.run(at=paris(2026, 3, 10))
        assert email.sent == []
        returned = Reversal(
            on=date(2026, 3, 10), reverses="SEPA-1", reason=ReversalReason.RETURNED_DIRECT_DEBIT
        )
        self.add_event(store, "INV-001", returned)
        assert dunner.run(at=paris(2026, 3, 11)).counts() == {"sent": 1}
        [(key, _)] = email.sent
        assert [c.invoice_id for c in store.get(key).covers] == ["INV-001"]
        with pytest.raises(InvoiceHistoryError) as info:
            self.add_event(store, "INV-001", returned)
        assert info.value.code == "already_reversed"
