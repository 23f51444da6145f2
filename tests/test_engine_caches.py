"""The engine's caches are explicit: the scenario keeps its plan, a run keeps its places.

Dates worked out by hand: F-1 of 1,200.00 EUR is due Monday 27 April 2026; on Tuesday 28
April at 9:00 (Paris) the STANDARD informative email (J+1) is due since 00:00 that day.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from dunning import (
    STANDARD,
    Channel,
    Customer,
    DecisionStatus,
    Event,
    Invoice,
    decide,
)
from dunning.core import decider
from dunning.core.engine import decide_many
from dunning.core.runcache import RunCache
from dunning.core.scenario import Scenario
from dunning.model import ActionTaken

PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2026, 4, 28, 9, tzinfo=PARIS)
ACME = Customer(id="C-1", name="ACME SARL")
METZ = Customer(id="C-2", name="Metz SA", subdivision="57")


def _invoice(n: int, customer: Customer = ACME) -> Invoice:
    return Invoice(
        id=f"F-{n}",
        number=f"2026-{n:04}",
        customer=customer,
        issued_on=date(2026, 3, 28),
        due_on=date(2026, 4, 27),
        total=Decimal("1200.00"),
    )


def test_a_scenario_keeps_its_plan() -> None:
    """One scenario works its plan out once, and every decision on it reads that plan."""
    scenario = Scenario.model_validate(STANDARD.model_dump())
    plan = scenario.plan
    assert plan is scenario.plan
    assert plan.scenario is scenario
    decide(_invoice(1), [], scenario, at=AT)
    assert decider._plan(scenario) is plan


def test_equal_scenarios_stay_equal_with_their_plans() -> None:
    """Two equal scenarios, each with its own plan, compare equal and decide alike."""
    first = Scenario.model_validate(STANDARD.model_dump())
    second = Scenario.model_validate(STANDARD.model_dump())
    assert first.plan is not second.plan
    assert first == second
    assert first.model_dump() == STANDARD.model_dump()  # the plan is not a field
    assert decide(_invoice(1), [], first, at=AT) == decide(_invoice(1), [], second, at=AT)


def test_a_copy_with_other_fields_gets_its_own_plan() -> None:
    """``model_copy`` copies the cached plan too: the engine works the copy's out afresh."""
    scenario = Scenario.model_validate(STANDARD.model_dump())
    assert scenario.plan.gap.days == 5
    wider = scenario.model_copy(update={"minimum_gap_days": 9})
    assert wider.plan is scenario.plan  # what pydantic copies
    assert decider._plan(wider).gap.days == 9
    assert decider._plan(wider).scenario is wider


def test_a_run_cache_holds_one_place_per_zone_and_calendar() -> None:
    """Customers of one place share a place; another subdivision is another place."""
    cache = RunCache()
    paris = cache.place(ACME)
    assert cache.place(Customer(id="C-9", name="Other")) is paris
    metz = cache.place(METZ)
    assert metz is not paris
    assert (metz.calendar.subdivision, paris.calendar.subdivision) == ("57", None)
    # Friday 25 December 2026 and Saturday 26: Monday 28 December in Metz and in Paris.
    assert metz.roll_forward(date(2026, 12, 25)) == date(2026, 12, 28)
    # Easter 2027 is 28 March: Good Friday 26 March is a holiday in Metz only, and Easter
    # Monday 29 March everywhere, so Metz rolls to Tuesday 30 March.
    assert metz.roll_forward(date(2027, 3, 26)) == date(2027, 3, 30)
    assert paris.roll_forward(date(2027, 3, 26)) == date(2027, 3, 26)


def test_decisions_with_a_run_cache_are_the_decisions_without() -> None:
    """Passing a cache (as the runner and the portfolio do) changes no decision."""
    pairs: list[tuple[Invoice, list[Event]]] = [
        (_invoice(n, METZ if n % 2 else ACME), []) for n in range(6)
    ]
    cache = RunCache()
    shared = [decide(invoice, events, STANDARD, at=AT, cache=cache) for invoice, events in pairs]
    alone = [decide(invoice, events, STANDARD, at=AT) for invoice, events in pairs]
    many = list(decide_many(pairs, STANDARD, at=AT))
    given = list(decide_many(pairs, STANDARD, at=AT, cache=RunCache()))
    assert shared == alone == many == given
    assert {d.action.step_id for d in shared if d.action} == {"informative"}


def test_invoices_sharing_a_ladder_keep_their_own_floor() -> None:
    """The run's memo of ladders tells apart invoices whose last action was on another day.

    Both F-1 and F-2 (due Monday 27 April) took the informative email; on Wednesday 6 May at
    9:00 the reminder (J+7, Monday 4 May) waits for the 5-day gap after that email. F-1's
    was on 28 April: the gap ends on 3 May, so the reminder is due since 4 May 00:00. F-2's
    was on Monday 4 May: the gap ends on Saturday 9 May, rolled to Monday 11 May.
    """
    at = datetime(2026, 5, 6, 9, tzinfo=PARIS)

    def informative(n: int, day: int) -> list[Event]:
        sent = datetime(2026, 4 if day > 20 else 5, day, 9, tzinfo=PARIS)
        return [
            ActionTaken(at=sent, action_id=f"a-{n}", channel=Channel.EMAIL, step_id="informative")
        ]

    pairs = [(_invoice(1), informative(1, 28)), (_invoice(2), informative(2, 4))]
    cache = RunCache()
    first, second = decide_many(pairs, STANDARD, at=at, cache=cache)
    assert first.status is DecisionStatus.ACTION_DUE
    assert first.action is not None
    assert first.action.step_id == "reminder"
    assert first.action.due_at == datetime(2026, 5, 4, tzinfo=PARIS)
    assert second.status is DecisionStatus.WAITING
    assert second.next_step_id == "reminder"
    assert second.next_review_at == datetime(2026, 5, 11, tzinfo=PARIS)
    assert [first, second] == [decide(i, e, STANDARD, at=at) for i, e in pairs]
    # Decided again with the same cache (the memo now full), in the other order.
    assert list(decide_many(pairs[::-1], STANDARD, at=at, cache=cache)) == [second, first]


def test_an_opted_out_customer_does_not_share_the_ladder_of_others() -> None:
    """An invoice whose customer refuses email gets the fallback letter, even after another.

    F-1 (ACME) and F-3 (email refused) are both due Monday 27 April: on Tuesday 28 April at
    9:00 the informative step (J+1) is due for each, by email for F-1 and by its fallback
    channel, a letter, for F-3.
    """
    no_email = Customer(id="C-3", name="No Mail SARL", opted_out=frozenset({Channel.EMAIL}))
    pairs: list[tuple[Invoice, list[Event]]] = [(_invoice(1), []), (_invoice(3, no_email), [])]
    first, second = decide_many(pairs, STANDARD, at=AT)
    assert first.action is not None
    assert (first.action.step_id, first.action.channel) == ("informative", Channel.EMAIL)
    assert second.action is not None
    assert (second.action.step_id, second.action.channel) == ("informative", Channel.LETTER)


def test_decisions_without_a_cache_share_the_ladder_but_not_across_places() -> None:
    """`decide` alone reuses a ladder walked for the same place, never another place's.

    F-1 (Paris) and F-2 (Metz) are due Thursday 25 December 2025: the informative email
    (J+1, business days only) is planned on Friday 26 December, a business day in Paris but
    St Stephen's Day in Moselle, where it rolls to Monday 29 December. At 9:00 on the 26th,
    F-1's email is due since 00:00; F-2 waits until the 29th. F-3 (Paris) shares F-1's walk.
    """
    at = datetime(2025, 12, 26, 9, tzinfo=PARIS)

    def invoice(n: int, customer: Customer) -> Invoice:
        return Invoice(
            id=f"F-{n}",
            number=f"2025-{n:04}",
            customer=customer,
            issued_on=date(2025, 11, 25),
            due_on=date(2025, 12, 25),
            total=Decimal("1200.00"),
        )

    before = decider._shared_ladder.cache_info().hits
    paris = decide(invoice(1, ACME), [], STANDARD, at=at)
    metz = decide(invoice(2, METZ), [], STANDARD, at=at)
    again = decide(invoice(3, ACME), [], STANDARD, at=at)
    assert paris.action is not None
    assert paris.action.due_at == datetime(2025, 12, 26, tzinfo=PARIS)
    assert metz.status is DecisionStatus.WAITING
    assert metz.next_review_at == datetime(2025, 12, 29, tzinfo=PARIS)
    assert again.action is not None
    assert again.action.due_at == paris.action.due_at
    assert decider._shared_ladder.cache_info().hits > before
    cache = RunCache()
    assert [paris, metz, again] == [
        decide(invoice(n, customer), [], STANDARD, at=at, cache=cache)
        for n, customer in ((1, ACME), (2, METZ), (3, ACME))
    ]
