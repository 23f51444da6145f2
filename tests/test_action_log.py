"""The action log's rules (dunning.core.action_log): the status -> events table and its docs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dunning.core.action_log import (
    LOG_EVENTS,
    Covered,
    EntryStatus,
    LogEntry,
    LogEvent,
    log_events,
)
from dunning.core.model import (
    ActionApproved,
    ActionRejected,
    ActionTaken,
    Channel,
    DeliveryFailed,
)
from dunning.core.render import Message

RUNNING = Path(__file__).parent.parent / "docs" / "running.md"
ATTEMPT = datetime(2026, 3, 3, 9, tzinfo=UTC)
DECISION = datetime(2026, 3, 2, 15, tzinfo=UTC)
UPDATE = datetime(2026, 3, 4, 8, tzinfo=UTC)
TWO = (
    Covered("F-1", "act_1", "friendly", Decimal("1200.00")),
    Covered("F-2", "act_2", "friendly", Decimal("80.00")),
)
# Each LogEvent as the event class named in docs/running.md.
CLASS_NAMES = {
    LogEvent.TAKEN: "ActionTaken",
    LogEvent.POSSIBLY_TAKEN: "ActionTaken",
    LogEvent.DELIVERY_FAILED: "DeliveryFailed",
    LogEvent.APPROVED: "ActionApproved",
    LogEvent.REJECTED: "ActionRejected",
}


MESSAGE = Message(
    action_id="msg_1",
    channel=Channel.EMAIL,
    template="friendly",
    locale="fr_FR",
    subject="Factures",
    text="Bonjour",
)


def _entry(status: EntryStatus, *, decided_by: str = "") -> LogEntry:
    return LogEntry(
        key="msg_1",
        customer_id="C1",
        channel=Channel.EMAIL,
        covers=TWO,
        message=MESSAGE,
        status=status,
        owner="r1",
        reserved_at=ATTEMPT,
        updated_at=UPDATE,
        attempts=1,
        attempted_at=ATTEMPT,
        decided_by=decided_by,
        decided_at=DECISION if decided_by else None,
        reason="550 no such user",
    )


def test_every_status_has_a_row() -> None:
    """The table has exactly one row per status: a new status cannot be forgotten."""
    assert set(LOG_EVENTS) == set(EntryStatus)


def test_the_table_is_read_only() -> None:
    """The rules cannot be changed at run time."""
    with pytest.raises(TypeError):
        LOG_EVENTS[EntryStatus.SENT] = ()  # type: ignore[index]


def test_a_failed_approved_entry_gives_three_events_per_action_in_order() -> None:
    """Failed and approved: taken at the attempt, failed at the update, approved at the decision."""
    email = Channel.EMAIL
    assert list(log_events(_entry(EntryStatus.FAILED, decided_by="claire"))) == [
        ("F-1", ActionTaken(at=ATTEMPT, action_id="act_1", channel=email, step_id="friendly")),
        ("F-1", DeliveryFailed(at=UPDATE, action_id="act_1", reason="550 no such user")),
        (
            "F-1",
            ActionApproved(
                at=DECISION, action_id="act_1", by="claire", amount_due=Decimal("1200.00")
            ),
        ),
        ("F-2", ActionTaken(at=ATTEMPT, action_id="act_2", channel=email, step_id="friendly")),
        ("F-2", DeliveryFailed(at=UPDATE, action_id="act_2", reason="550 no such user")),
        (
            "F-2",
            ActionApproved(
                at=DECISION, action_id="act_2", by="claire", amount_due=Decimal("80.00")
            ),
        ),
    ]


def test_a_rejected_entry_gives_its_rejection_only_if_someone_decided() -> None:
    """Rejected by paul: ActionRejected per action; with nobody named, nothing at all."""
    assert list(log_events(_entry(EntryStatus.REJECTED, decided_by="paul"))) == [
        ("F-1", ActionRejected(at=DECISION, action_id="act_1", by="paul")),
        ("F-2", ActionRejected(at=DECISION, action_id="act_2", by="paul")),
    ]
    assert list(log_events(_entry(EntryStatus.REJECTED))) == []


@pytest.mark.parametrize(
    "status",
    [
        EntryStatus.RESERVED,
        EntryStatus.PENDING_APPROVAL,
        EntryStatus.APPROVED,
        EntryStatus.RETRY,
        EntryStatus.CANCELLED,
        EntryStatus.SUPERSEDED,
    ],
)
def test_undelivered_entries_give_nothing_but_their_approval(status: EntryStatus) -> None:
    """Certainly not delivered: no ActionTaken; an approval (if any) is still an event."""
    assert list(log_events(_entry(status))) == []
    assert [
        (invoice, event.kind) for invoice, event in log_events(_entry(status, decided_by="claire"))
    ] == [("F-1", "action_approved"), ("F-2", "action_approved")]


def test_an_uncertain_entry_counts_as_possibly_taken() -> None:
    """Uncertain: one ActionTaken per action, marked uncertain, at the attempt."""
    assert list(log_events(_entry(EntryStatus.UNCERTAIN))) == [
        (
            invoice,
            ActionTaken(
                at=ATTEMPT,
                action_id=action,
                channel=Channel.EMAIL,
                step_id="friendly",
                uncertain=True,
            ),
        )
        for invoice, action in (("F-1", "act_1"), ("F-2", "act_2"))
    ]


def _documented_rows() -> dict[str, set[str]]:
    """Status -> the event classes its row of the table in docs/running.md names."""
    text = RUNNING.read_text(encoding="utf-8")
    section = text.split("### How log entries become events", 1)[1]
    rows: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        named = set(re.findall(r"`(Action\w+|Delivery\w+)`", cells[1]))
        for status in re.findall(r"`(\w+)`", cells[0]):
            rows[status] = named
    return rows


def test_the_documented_table_is_the_table() -> None:
    """docs/running.md lists every status, with the events LOG_EVENTS gives for it.

    A row may leave out the approval an entry keeps ("every entry that was approved also
    gives its ActionApproved"), but names no event the table does not give, and every event
    that does not depend on a decision.
    """
    rows = _documented_rows()
    assert set(rows) == {s.value for s in EntryStatus}
    for status, kinds in LOG_EVENTS.items():
        named = rows[status.value]
        given = {CLASS_NAMES[k] for k in kinds}
        always = {CLASS_NAMES[k] for k in kinds if k not in {LogEvent.APPROVED, LogEvent.REJECTED}}
        assert always <= named <= given, status
