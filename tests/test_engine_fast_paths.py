"""The engine's speed devices keep `Decision` and `Action` the plain frozen dataclasses they are.

Decisions and actions are built by a private constructor (`engine._maker`) that sets the slots
on a twin class and then gives the object its real class: what comes out must be
indistinguishable from an instance built by the dataclass itself.
"""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, dataclass, replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from dunning import (
    STANDARD,
    Action,
    Channel,
    Customer,
    Decision,
    DecisionStatus,
    Event,
    Invoice,
    decide,
)
from dunning.core import engine
from dunning.engine import action_id
from dunning.model import parse_events
from tests.helpers import PARIS

# F-1 of 1,200.00 EUR due Monday 27 April 2026; Tuesday 28 April at 9:00 is J+1: the
# informative email (STANDARD, offset 1 day, business day) is due from 00:00 that day.
INVOICE = Invoice(
    id="F-1",
    number="2026-0001",
    customer=Customer(id="C-1", name="ACME SARL"),
    issued_on=date(2026, 3, 28),
    due_on=date(2026, 4, 27),
    total=Decimal("1200.00"),
)
AT = datetime(2026, 4, 28, 9, tzinfo=PARIS)


def test_a_decision_is_a_frozen_decision_equal_to_one_built_by_the_dataclass() -> None:
    """The decision and its action are of their own class, frozen, equal field by field."""
    d = decide(INVOICE, [], STANDARD, at=AT)
    assert type(d) is Decision
    assert d.action is not None
    assert type(d.action) is Action
    built = Decision(
        invoice_id="F-1",
        at=AT,
        status=DecisionStatus.ACTION_DUE,
        level=0,
        level_name="",
        actions=(d.action,),
        next_review_at=None,
        reason="'informative' due (scheduled)",
        outstanding=Decimal("1200.00"),
        currency="EUR",
        days_late=1,
        next_step_id="informative",
    )
    assert d == built
    assert hash(d.action) == hash(replace(d.action))
    with pytest.raises(FrozenInstanceError):
        d.reason = "changed"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        d.action.channel = Channel.SMS  # type: ignore[misc]


def test_a_decision_survives_replace_and_pickling() -> None:
    """replace() and a pickle round trip give decisions of the same class and value."""
    d = decide(INVOICE, [], STANDARD, at=AT)
    assert replace(d, reason="x").reason == "x"
    assert type(replace(d, reason="x")) is Decision
    back = pickle.loads(pickle.dumps(d))  # noqa: S301  (our own object)
    assert back == d
    assert type(back) is Decision


def test_the_fast_constructor_refuses_a_class_it_cannot_mirror() -> None:
    """A dataclass without slots, or with a base class, is refused when the maker is built."""

    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(frozen=True, slots=True)
    class Base:
        a: int

    @dataclass(frozen=True, slots=True)
    class Derived(Base):
        b: int

    with pytest.raises(TypeError, match="NoSlots must be a slotted dataclass"):
        engine._maker(NoSlots)
    with pytest.raises(TypeError, match="Derived must be a slotted dataclass"):
        engine._maker(Derived)


# The events of a history are compared with *at* exactly only from two local days before it
# (`engine._collect`). Instants written in far time zones, worked out by hand for
# at = Tuesday 28 April 2026 09:00 Paris (UTC+2) = 07:00 UTC:
# - 2026-04-28T20:00+14:00 = 06:00 UTC: one hour before at, though written "20:00";
# - 2026-04-27T23:30-10:00 = 09:30 UTC (11:30 Paris): after at, though written the day before;
# - 2026-04-28T10:00+02:00: one hour after at, on the same local day.


def _informative_taken(when: str) -> list[Event]:
    return parse_events(
        [
            {
                "kind": "action_taken",
                "at": when,
                "action_id": action_id("F-1", "informative"),
                "channel": "email",
                "step_id": "informative",
            }
        ]
    )


@pytest.mark.parametrize("when", ["2026-04-28T10:00:00+02:00", "2026-04-27T23:30:00-10:00"])
def test_an_action_taken_after_at_is_not_known_yet(when: str) -> None:
    """An action recorded after *at* (same local day, or written in a far zone) is ignored."""
    d = decide(INVOICE, _informative_taken(when), STANDARD, at=AT)
    assert d.status is DecisionStatus.ACTION_DUE
    assert d.action is not None
    assert d.action.step_id == "informative"
    assert d.level == 0


@pytest.mark.parametrize("when", ["2026-04-28T20:00:00+14:00", "2026-04-25T09:00:00+02:00"])
def test_an_action_taken_before_at_counts(when: str) -> None:
    """An action recorded before *at* (an hour before in a far zone, or days before) counts."""
    d = decide(INVOICE, _informative_taken(when), STANDARD, at=AT)
    # Informative taken: level 1; the reminder (J+7, Monday 4 May) is next.
    assert d.level == 1
    assert d.next_step_id == "reminder"
