"""Results are built plainly, by keyword: nothing in the core skips validation.

`Decision` (on a named tuple) and `Action` (a frozen dataclass) are immutable records built by
keyword only, by their own constructor, checked at import against their fields
(`_types.check_keyword_init`).
"""

from __future__ import annotations

import importlib.util
import pickle
from dataclasses import FrozenInstanceError, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, Self

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
from dunning.core._types import check_keyword_init
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
    with pytest.raises(AttributeError):
        d.reason = "changed"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        d.action.channel = Channel.SMS  # type: ignore[misc]


def test_a_decision_survives_replace_and_pickling() -> None:
    """_replace() and a pickle round trip give decisions of the same class and value."""
    d = decide(INVOICE, [], STANDARD, at=AT)
    changed = d._replace(reason="x")
    assert (changed.reason, changed.invoice_id) == ("x", "F-1")
    assert type(changed) is Decision
    back = pickle.loads(pickle.dumps(d))  # noqa: S301  (our own object)
    assert back == d
    assert type(back) is Decision


def test_decisions_and_actions_are_built_by_keyword_only() -> None:
    """Positional construction of the wide result records is refused (two str fields swap)."""
    d = decide(INVOICE, [], STANDARD, at=AT)
    with pytest.raises(TypeError, match="positional"):
        Decision("F-1", AT, DecisionStatus.CLOSED, 0, "", (), None, "", Decimal(0), "EUR", 0)  # type: ignore[call-arg]
    assert d.action is not None
    assert replace(d.action, channel=Channel.SMS).channel is Channel.SMS


_RECORD = """
from dataclasses import dataclass
from dunning.core._types import check_keyword_init, frozen_setter

@check_keyword_init
@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class Pair:
    first: str
    second: str = ""

    def __init__(self, INIT) -> None:
        set_field = frozen_setter(self)
        set_field("first", first)
        set_field("second", SECOND)
"""


@pytest.mark.parametrize(
    ("init", "second", "message"),
    [
        (
            'first: str, second: str = ""',
            "first",
            "Pair.__init__ does not set second from its keyword",
        ),
        (
            'first: str, second: str = "x"',
            "second",
            (
                "Pair.__init__(first, second='x') does not match the fields (first, second=''): "
                "every field by keyword only, with its default"
            ),
        ),
        (
            'first: str, secnd: str = ""',
            "secnd",
            (
                "Pair.__init__(first, secnd='') does not match the fields (first, second=''): "
                "every field by keyword only, with its default"
            ),
        ),
        (
            'first: str = "", *, second: str = ""',
            "second",
            (
                "Pair.__init__(first='' (positional), second='') does not match the fields (first, "
                "second=''): every field by keyword only, with its default"
            ),
        ),
    ],
)
def test_a_hand_written_init_that_does_not_match_its_fields_fails_at_import(
    tmp_path: Path, init: str, second: str, message: str
) -> None:
    """A field set from the wrong keyword, another default or a renamed keyword stop the import."""
    path = tmp_path / "bad_pair.py"
    path.write_text(
        _RECORD.replace("INIT", init if init.startswith("first: str = ") else f"*, {init}").replace(
            "SECOND", second
        )
    )
    spec = importlib.util.spec_from_file_location("bad_pair", path)
    assert spec is not None
    assert spec.loader is not None
    with pytest.raises(TypeError) as raised:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert str(raised.value) == message


def test_a_hand_written_init_that_matches_imports_and_builds(tmp_path: Path) -> None:
    """Every field from its own keyword, defaults as declared: the record builds and is frozen."""
    path = tmp_path / "ok_pair.py"
    path.write_text(
        _RECORD.replace("INIT", '*, first: str, second: str = ""').replace("SECOND", "second")
    )
    spec = importlib.util.spec_from_file_location("ok_pair", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pair = module.Pair(first="a")
    assert (pair.first, pair.second) == ("a", "")
    with pytest.raises(FrozenInstanceError):
        pair.first = "b"


def test_a_named_tuple_record_is_checked_like_a_dataclass() -> None:
    """A named tuple's ``__new__`` that swaps two fields or takes one by position is refused."""

    class _Fields(NamedTuple):
        first: str
        second: str = ""

    class Swapped(_Fields):
        __slots__ = ()

        def __new__(cls, *, first: str, second: str = "") -> Self:
            return tuple.__new__(cls, (second, first))

    class Positional(_Fields):
        __slots__ = ()

        def __new__(cls, first: str, *, second: str = "") -> Self:
            return tuple.__new__(cls, (first, second))

    class Right(_Fields):
        __slots__ = ()

        def __new__(cls, *, first: str, second: str = "") -> Self:
            return tuple.__new__(cls, (first, second))

    with pytest.raises(TypeError, match=r"^Swapped.__new__ does not set first from its keyword$"):
        check_keyword_init(Swapped)
    with pytest.raises(TypeError, match=r"^Positional.__new__\(first \(positional\), second=''\)"):
        check_keyword_init(Positional)
    assert check_keyword_init(Right) is Right
    assert Right(first="a") == ("a", "")


# The events of a history are compared with *at* exactly only from two local days before it
# (`history_facts._collect`). Instants written in far time zones, worked out by hand for
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
