"""A fact and its reversal cancel out: decide() never sees either (hypothesis)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.properties.test_engine_properties import HORIZON, SETTINGS, Case, cases, histories

from dunning import Event, Payment, Reversal, ReversalReason, decide
from dunning.model import ActionTaken


@st.composite
def corrected_cases(draw: st.DrawFn) -> tuple[Case, list[Event]]:
    """A case, and its history with one more fact (id "X") and, later, that fact's reversal."""
    case = draw(cases())
    invoice, events, _, _ = case
    facts = [e for e in draw(histories(invoice)) if not isinstance(e, ActionTaken)]
    fact = (
        draw(st.sampled_from(facts)) if facts else Payment(on=invoice.issued_on, amount=Decimal(1))
    )
    fact = fact.model_copy(update={"id": "X"})
    reasons = list(ReversalReason) if isinstance(fact, Payment) else [ReversalReason.MISTAKE]
    reversal = Reversal(
        on=invoice.issued_on + timedelta(days=draw(st.integers(0, HORIZON))),
        reverses="X",
        reason=draw(st.sampled_from(reasons)),
    )
    where = draw(st.integers(0, len(events)))
    with_fact = [*events[:where], fact, *events[where:]]
    after = draw(st.integers(where + 1, len(with_fact)))
    return case, [*with_fact[:after], reversal, *with_fact[after:]]


# Instants run into 2026 H2, whose rates are provisional: the warning is not what is tested.
@pytest.mark.filterwarnings("ignore::dunning.exceptions.ProvisionalRateWarning")
@SETTINGS
@given(corrected_cases())
def test_a_fact_and_its_reversal_decide_as_neither(data: tuple[Case, list[Event]]) -> None:
    """Whatever the history, the instant and the dates: the same decision, penalties included."""
    (invoice, events, scenario, at), corrected_history = data
    assert decide(invoice, corrected_history, scenario, at=at, with_penalties=True) == decide(
        invoice, events, scenario, at=at, with_penalties=True
    )
