"""One message per customer per day: grouping, credits, the customer gap, streaming."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from dunning.core.builtin import STANDARD
from dunning.core.engine import action_id
from dunning.core.model import (
    ActionApproved,
    ActionTaken,
    Channel,
    Customer,
    DeliveryFailed,
    DisputeOpened,
    Invoice,
    Payment,
    PenaltyWording,
)
from dunning.core.portfolio import (
    CustomerAction,
    InvoiceHistory,
    PaymentOnAccount,
    PortfolioEntry,
    UnappliedCreditNote,
    plan_customer_actions,
    plan_for_customer,
    review_customer,
)
from dunning.core.render import PenaltySummary, render
from dunning.core.scenario import ConversationRules
from dunning.exceptions import PortfolioOrderError
from tests.reference_case import CREDITOR

Paris = Callable[..., datetime]
AT = date(2026, 3, 9)  # a Monday


def history(
    customer: Customer,
    n: int,
    due: date,
    *events: object,
    total: str | Decimal = "100.00",
    currency: str = "EUR",
    penalties: PenaltySummary | None = None,
) -> InvoiceHistory:
    """Invoice F-<customer>-<n>, number 2026-000<n>, issued 2 January 2026."""
    inv = Invoice(
        id=f"F-{customer.id}-{n}",
        number=f"2026-{n:04d}",
        customer=customer,
        issued_on=date(2026, 1, 2),
        due_on=due,
        total=Decimal(total),
        currency=currency,
    )
    return InvoiceHistory.model_validate(
        {"invoice": inv, "events": events, "penalties": penalties, "document": f"pdf:{n}"}
    )


def taken(paris: Paris, day: date, step: str, action_id: str = "a1") -> ActionTaken:
    """An action taken at 10:00 Paris time on *day*."""
    return ActionTaken(
        at=paris(day.year, day.month, day.day),
        action_id=action_id,
        channel=Channel.EMAIL,
        step_id=step,
    )


def test_highest_level_leads_and_every_overdue_invoice_is_listed(
    customer: Customer, paris: Paris
) -> None:
    """The reminder (level 2) leads; the friendly one and the waiting one are listed too."""
    entries = [
        history(customer, 1, date(2026, 2, 6), taken(paris, date(2026, 2, 9), "informative")),
        history(customer, 2, date(2026, 3, 6)),
        # Overdue, informative already sent on 4 March: waiting for the reminder (11 March).
        history(customer, 3, date(2026, 3, 3), taken(paris, date(2026, 3, 4), "informative", "a3")),
    ]
    # The last message went out on 4 March; 9 March is 5 days later: a 5-day customer gap has
    # passed (the default is 7 days: see test_customer_gap_blocks_a_second_message).
    five_days = STANDARD.model_copy(update={"conversation": ConversationRules(customer_gap_days=5)})
    [action] = plan_for_customer(entries, five_days, at=paris(2026, 3, 9))
    assert (action.template, action.level) == ("reminder", 2)
    assert [line.number for line in action.invoices] == ["2026-0001", "2026-0003", "2026-0002"]
    assert [line.days_late for line in action.invoices] == [31, 6, 3]
    assert [a.invoice_id for a in action.covers] == ["F-C-1-1", "F-C-1-2"]
    assert action.amount_due == Decimal("300.00")
    assert action.customer_id == "C-1"
    assert action.requires_approval is False
    assert action.approved is False


def test_customer_gap_blocks_a_second_message(customer: Customer, paris: Paris) -> None:
    """A message on Fri 6 March blocks another invoice's message until Fri 13 March (7 days)."""
    first = history(customer, 1, date(2026, 2, 6), taken(paris, date(2026, 3, 6), "informative"))
    second = history(customer, 2, date(2026, 3, 6))
    assert plan_for_customer([first, second], STANDARD, at=paris(2026, 3, 12, 18)) == ()
    [action] = plan_for_customer([first, second], STANDARD, at=paris(2026, 3, 13))
    # On 13 March the first invoice's own gap has passed too: its reminder leads.
    assert [(a.invoice_id, a.step_id) for a in action.covers] == [
        ("F-C-1-1", "reminder"),
        ("F-C-1-2", "informative"),
    ]


def test_a_failed_delivery_does_not_count_for_the_gap(customer: Customer, paris: Paris) -> None:
    """A bounced message was never received: it does not hold back the next one."""
    bounced = DeliveryFailed(at=paris(2026, 3, 6, 11), action_id="a1")
    entries = [
        history(
            customer, 1, date(2026, 2, 6), taken(paris, date(2026, 3, 6), "informative"), bounced
        ),
        history(customer, 2, date(2026, 3, 6)),
    ]
    assert len(plan_for_customer(entries, STANDARD, at=paris(2026, 3, 9))) == 1


def test_credits_are_deducted_and_a_customer_owing_nothing_gets_nothing(
    customer: Customer, paris: Paris
) -> None:
    """Money on account and unapplied credit notes are imputed to the invoice; at zero, nothing.

    120.00 on 1 March and 80.00 on 2 March go to the 300.00 invoice (C. civ. 1342-10): it owes
    100.00 on 9 March, with nothing left unallocated; the 100.00 of 20 March is not known yet.
    """
    inv = history(customer, 1, date(2026, 3, 6), total=Decimal("300.00"))
    on_account = PaymentOnAccount(customer_id="C-1", on=date(2026, 3, 1), amount=Decimal("120.00"))
    credit = UnappliedCreditNote(customer_id="C-1", on=date(2026, 3, 2), amount=Decimal("80.00"))
    later = PaymentOnAccount(customer_id="C-1", on=date(2026, 3, 20), amount=Decimal("100.00"))
    [action] = plan_for_customer([inv, on_account, credit, later], STANDARD, at=paris(2026, 3, 9))
    assert (action.unapplied_credit, action.amount_due) == (Decimal(0), Decimal("100.00"))
    assert [line.amount_due for line in action.invoices] == [Decimal("100.00")]
    settled = PaymentOnAccount(customer_id="C-1", on=date(2026, 3, 5), amount=Decimal("100.00"))
    assert (
        plan_for_customer([inv, on_account, credit, settled], STANDARD, at=paris(2026, 3, 9)) == ()
    )


def test_one_message_per_currency(customer: Customer, paris: Paris) -> None:
    """EUR and USD invoices give two messages; a USD credit does not reduce the EUR one."""
    entries: list[PortfolioEntry] = [
        history(customer, 1, date(2026, 3, 6)),
        history(customer, 2, date(2026, 3, 6), currency="USD", total=Decimal("50.00")),
        PaymentOnAccount(
            customer_id="C-1", on=date(2026, 3, 1), amount=Decimal(10), currency="USD"
        ),
    ]
    actions = plan_for_customer(entries, STANDARD, at=paris(2026, 3, 9))
    assert [(a.currency, a.amount_due) for a in actions] == [
        ("EUR", Decimal("100.00")),
        ("USD", Decimal("40.00")),
    ]
    assert len({a.id for a in actions}) == 2


def test_paid_and_disputed_invoices_are_left_out(customer: Customer, paris: Paris) -> None:
    """A paid invoice and a disputed one are not listed; nothing at all for a paid customer."""
    paid = history(
        customer, 1, date(2026, 2, 6), Payment(on=date(2026, 2, 20), amount=Decimal("100.00"))
    )
    disputed = history(customer, 2, date(2026, 2, 6), DisputeOpened(on=date(2026, 2, 10)))
    due = history(customer, 3, date(2026, 3, 6))
    [action] = plan_for_customer([paid, disputed, due], STANDARD, at=paris(2026, 3, 9))
    assert [line.number for line in action.invoices] == ["2026-0003"]
    assert plan_for_customer([paid], STANDARD, at=paris(2026, 3, 9)) == ()
    assert plan_for_customer([], STANDARD, at=paris(2026, 3, 9)) == ()


def test_message_id_is_deterministic(customer: Customer, paris: Paris) -> None:
    """The same situation gives the same message id, whatever the input order."""
    a = history(customer, 1, date(2026, 3, 6))
    b = history(customer, 2, date(2026, 3, 5))
    [one] = plan_for_customer([a, b], STANDARD, at=paris(2026, 3, 9))
    [two] = plan_for_customer([b, a], STANDARD, at=paris(2026, 3, 9))
    assert one.id == two.id
    assert one.id.startswith("msg_")


def test_approval_follows_the_covered_actions(customer: Customer, paris: Paris) -> None:
    """A formal notice makes the whole message wait for approval."""
    steps = [
        taken(paris, date(2026, 1, 6), "informative", "x1"),
        taken(paris, date(2026, 1, 12), "reminder", "x2"),
        taken(paris, date(2026, 1, 19), "firm", "x3"),
        taken(paris, date(2026, 1, 26), "phone_call", "x4"),
    ]
    inv = history(customer, 1, date(2026, 1, 5), *steps, total=Decimal("200.00"))
    [action] = plan_for_customer([inv], STANDARD, at=paris(2026, 3, 9))
    assert action.template == "formal_notice"
    assert action.requires_approval is True
    assert action.approved is False
    assert action.deadline_on == date(2026, 3, 17)


def test_streaming_groups_and_rejects_reappearing_customers(
    make_customer: Callable[..., Customer], paris: Paris
) -> None:
    """Entries are read group by group, lazily; a customer seen again is an error."""
    a, b = make_customer(id="A"), make_customer(id="B")
    consumed: list[str] = []

    def stream() -> Iterator[InvoiceHistory]:
        for entry in [
            history(a, 1, date(2026, 3, 6)),
            history(b, 1, date(2026, 3, 6)),
            history(a, 2, date(2026, 3, 6)),
        ]:
            consumed.append(entry.invoice.id)
            yield entry

    plans = plan_customer_actions(stream(), STANDARD, at=paris(2026, 3, 9))
    first = next(plans)
    assert first.customer_id == "A"
    assert consumed == ["F-A-1", "F-B-1"]  # only up to the end of A's group
    assert next(plans).customer_id == "B"
    with pytest.raises(PortfolioOrderError, match="customer 'A' comes after 'B'") as caught:
        next(plans)
    assert caught.value.code == "customer_not_grouped"
    assert isinstance(caught.value, ValueError)


def test_a_stream_out_of_order_is_refused_at_the_first_id_not_above_the_previous(
    make_customer: Callable[..., Customer], paris: Paris
) -> None:
    """By default ids must increase: B, A is refused at A (A never appeared before)."""
    b, a = make_customer(id="B"), make_customer(id="A")
    plans = plan_customer_actions(
        [history(b, 1, date(2026, 3, 6)), history(a, 1, date(2026, 3, 6))],
        STANDARD,
        at=paris(2026, 3, 9),
    )
    assert next(plans).customer_id == "B"
    with pytest.raises(PortfolioOrderError, match="sorted by customer id") as caught:
        next(plans)
    assert caught.value.code == "customer_not_grouped"


def test_grouped_mode_accepts_any_grouped_order_and_refuses_a_group_coming_back(
    make_customer: Callable[..., Customer], paris: Paris
) -> None:
    """grouping='grouped': B then A is fine; A, B, A is refused when A comes back."""
    a, b = make_customer(id="A"), make_customer(id="B")
    backwards = [history(b, 1, date(2026, 3, 6)), history(a, 1, date(2026, 3, 6))]
    ids = [
        x.customer_id
        for x in plan_customer_actions(
            backwards, STANDARD, at=paris(2026, 3, 9), grouping="grouped"
        )
    ]
    assert ids == ["B", "A"]
    again = [*backwards, history(b, 2, date(2026, 3, 6))]
    with pytest.raises(PortfolioOrderError, match="customer 'B' appears again") as caught:
        list(plan_customer_actions(again, STANDARD, at=paris(2026, 3, 9), grouping="grouped"))
    assert caught.value.code == "customer_not_grouped"
    with pytest.raises(ValueError, match="grouping must be 'sorted' or 'grouped'"):
        list(plan_customer_actions(backwards, STANDARD, at=paris(2026, 3, 9), grouping="any"))  # type: ignore[arg-type]


def test_scenario_can_be_chosen_per_customer(customer: Customer, paris: Paris) -> None:
    """A callable picks the scenario from the customer."""
    chosen: list[str] = []

    def pick(c: Customer) -> object:
        chosen.append(c.id)
        return STANDARD

    list(
        plan_customer_actions(
            [history(customer, 1, date(2026, 3, 6))],
            pick,  # type: ignore[arg-type]
            at=paris(2026, 3, 9),
        )
    )
    assert chosen == ["C-1"]


def test_bad_inputs(customer: Customer, make_customer: Callable[..., Customer]) -> None:
    """A naive instant and entries of two customers in one group are refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_for_customer([], STANDARD, at=datetime(2026, 3, 9))
    other = make_customer(id="C-2")
    with pytest.raises(ValueError, match="several customers"):
        plan_for_customer(
            [history(customer, 1, date(2026, 3, 6)), history(other, 1, date(2026, 3, 6))],
            STANDARD,
            at=datetime(2026, 3, 9, tzinfo=customer.tz),
        )


def test_customer_action_renders_with_penalties(customer: Customer, paris: Paris) -> None:
    """A customer message renders every invoice, the credit imputed and the summed penalties.

    The 50.00 credit note goes to the first of two equal invoices (same due date, same rate:
    the invoice id decides, C. civ. 1342-10): 50.00 + 100.00 = 150.00 remain.
    """
    pen = PenaltySummary(
        interest=Decimal("1.00"),
        indemnity=Decimal("40.00"),
        total=Decimal("41.00"),
        rate_description="12,15 %",
        interest_from=date(2026, 3, 7),
    )
    entries: list[PortfolioEntry] = [
        history(customer, 1, date(2026, 3, 6), penalties=pen),
        history(customer, 2, date(2026, 3, 6), penalties=pen),
        UnappliedCreditNote(customer_id="C-1", on=date(2026, 3, 1), amount=Decimal("50.00")),
    ]
    [action] = plan_for_customer(entries, STANDARD, at=paris(2026, 3, 9))
    assert isinstance(action, CustomerAction)
    ctx = action.render_context(creditor=CREDITOR, message_date=date(2026, 3, 9))
    message = render(action, ctx)
    text = message.text
    # The J+1 email is friendly: it lists the invoices and claims no penalties.
    assert (
        "- Facture n°\u00a02026-0001 du 2 janvier 2026, échéance le 6 mars 2026 (3 jours de "
        "retard)\u00a0: 50,00\u00a0€\n" in text
    )
    assert "pénalités" not in text
    assert "indemnité" not in text
    # Stating amounts, each line shows its interest and its indemnity apart, with its own date.
    stated = render(replace(action, penalty_wording=PenaltyWording.AMOUNTS), ctx).text
    assert "  Pénalités de retard depuis le 7 mars 2026\u00a0: 1,00\u00a0€\n" in stated
    assert "  Indemnité forfaitaire pour frais de recouvrement\u00a0: 40,00\u00a0€\n" in stated
    assert "(pénalités\u00a0: 41,00" not in stated
    assert "non imputés" not in text
    assert "Total restant dû\u00a0: 150,00\u00a0€" in text
    # Summed over the two invoices: interest 2 x 1.00, indemnity 2 x 40.00 (D441-5, per invoice).
    assert (
        "des pénalités de retard courent sur chaque facture depuis le lendemain de son "
        "échéance, au taux de chaque semestre (détail ci-dessus)\u00a0: 2,00\u00a0€ à ce jour. "
        "S'y ajoute l'indemnité forfaitaire pour frais de recouvrement (article D441-5 du Code "
        "de commerce)\u00a0: 2 \u00d7 40,00\u00a0€ = 80,00\u00a0€." in stated
    )
    assert message.attachments == ("pdf:1", "pdf:2")


def test_penalties_computed_on_request(customer: Customer, paris: Paris) -> None:
    """with_penalties=True states the reference case's penalties, worked out at the top.

    1,234.56 due Mon 2 March 2026, message of Fri 20 March: 18 days at 12.15 % ->
    7.3972 -> 7.40, plus 40.00: 47.40, interest from 3 March. An invoice whose history already
    carries penalties keeps the host's figures.
    """
    given = PenaltySummary(
        interest=Decimal("1.00"),
        indemnity=Decimal("40.00"),
        total=Decimal("41.00"),
        rate_description="12 %",
        interest_from=date(2026, 3, 3),
    )
    entries: list[PortfolioEntry] = [
        history(customer, 1, date(2026, 3, 2), total="1234.56"),
        history(customer, 2, date(2026, 3, 2), penalties=given),
    ]
    [action] = plan_for_customer(entries, STANDARD, at=paris(2026, 3, 20), with_penalties=True)
    computed, kept = action.invoices
    assert computed.penalties is not None
    assert (
        computed.penalties.interest,
        computed.penalties.indemnity,
        computed.penalties.total,
        computed.penalties.interest_from,
        computed.penalties.rate_description,
    ) == (
        Decimal("7.40"),
        Decimal("40.00"),
        Decimal("47.40"),
        date(2026, 3, 3),
        "12,15\u00a0% (taux BCE + 10 points)",
    )
    assert kept.penalties == given
    # Off by default: nothing is computed.
    [plain] = plan_for_customer(entries, STANDARD, at=paris(2026, 3, 20))
    assert plain.invoices[0].penalties is None


# --------------------------------------------------------------------------------------------
# Mutants found by the mutation run (host-contract issue)
# --------------------------------------------------------------------------------------------


def test_a_message_recorded_after_the_instant_does_not_block_it(
    customer: Customer, paris: Paris
) -> None:
    """Deciding for Mon 9 March 10:00, messages recorded later (15:00, or the 10th) are ignored.

    Invoice due Fri 6 March: J+1 rolls to Mon 9 March. As of 10:00 nothing was sent yet, so
    the friendly email is due, whatever the history says happened later.
    """
    for later in (paris(2026, 3, 9, 15), paris(2026, 3, 10)):
        sent_later = ActionTaken(
            at=later, action_id="a1", channel=Channel.EMAIL, step_id="informative"
        )
        inv = history(customer, 1, date(2026, 3, 6), sent_later)
        [action] = plan_for_customer([inv], STANDARD, at=paris(2026, 3, 9))
        assert [(a.invoice_id, a.step_id) for a in action.covers] == [("F-C-1-1", "informative")]


def _notice_due(customer: Customer, paris: Paris, n: int, *extra: object) -> InvoiceHistory:
    """Invoice n, due Mon 5 January, four steps sent: its formal notice is due on 9 March."""
    steps = [
        taken(paris, date(2026, 1, 6), "informative", f"x{n}1"),
        taken(paris, date(2026, 1, 12), "reminder", f"x{n}2"),
        taken(paris, date(2026, 1, 19), "firm", f"x{n}3"),
        taken(paris, date(2026, 1, 26), "phone_call", f"x{n}4"),
    ]
    return history(customer, n, date(2026, 1, 5), *steps, *extra)


def test_a_grouped_notice_is_approved_only_when_every_notice_is(
    customer: Customer, paris: Paris
) -> None:
    """Two formal notices in one message, only the first approved: the message is not approved."""
    first_id = action_id("F-C-1-1", "formal_notice")
    second_id = action_id("F-C-1-2", "formal_notice")
    one = ActionApproved(at=paris(2026, 3, 9, 9), action_id=first_id, by="M. Durand")
    two = ActionApproved(at=paris(2026, 3, 9, 9), action_id=second_id, by="M. Durand")
    half = [_notice_due(customer, paris, 1, one), _notice_due(customer, paris, 2)]
    [action] = plan_for_customer(half, STANDARD, at=paris(2026, 3, 9))
    assert sorted(a.id for a in action.covers) == sorted([first_id, second_id])
    assert [a.approved for a in sorted(action.covers, key=lambda a: a.invoice_id)] == [True, False]
    assert (action.requires_approval, action.approved) == (True, False)
    both = [_notice_due(customer, paris, 1, one), _notice_due(customer, paris, 2, two)]
    [action] = plan_for_customer(both, STANDARD, at=paris(2026, 3, 9))
    assert (action.requires_approval, action.approved) == (True, True)


def test_invoices_not_yet_overdue_are_not_listed(customer: Customer, paris: Paris) -> None:
    """On Mon 9 March only the invoice due Fri 6 March is listed, not those due the 9th or 20th.

    An invoice is overdue the day after its due date: one due today is not late yet.
    """
    entries = [
        history(customer, 1, date(2026, 3, 6)),
        history(customer, 2, date(2026, 3, 9)),
        history(customer, 3, date(2026, 3, 20)),
    ]
    [action] = plan_for_customer(entries, STANDARD, at=paris(2026, 3, 9))
    assert [line.number for line in action.invoices] == ["2026-0001"]
    assert [a.invoice_id for a in action.covers] == ["F-C-1-1"]
    assert action.amount_due == Decimal("100.00")


def test_a_zero_gap_still_means_one_message_a_day(customer: Customer, paris: Paris) -> None:
    """Minimum gap 0: a message at 10:00 Mon 9 March holds the next one back until Tue 10 March."""
    scenario = STANDARD.model_copy(
        update={"minimum_gap_days": 0, "conversation": ConversationRules(customer_gap_days=0)}
    )
    sent = history(customer, 1, date(2026, 3, 6), taken(paris, date(2026, 3, 9), "informative"))
    # Invoice 2, also due Fri 6 March, was imported after the morning's message.
    added = history(customer, 2, date(2026, 3, 6))
    assert plan_for_customer([sent, added], scenario, at=paris(2026, 3, 9, 15)) == ()
    [action] = plan_for_customer([sent, added], scenario, at=paris(2026, 3, 10))
    assert [(a.invoice_id, a.step_id) for a in action.covers] == [("F-C-1-2", "informative")]
    # Invoice 1 waits for its own J+7 (Fri 13 March) but is listed, being overdue.
    assert [line.number for line in action.invoices] == ["2026-0001", "2026-0002"]


def test_previous_messages_counts_what_the_customer_received(
    customer: Customer, paris: Paris
) -> None:
    """Two delivered messages (one grouped over both invoices), one bounced: 2 received."""
    grouped_at, bounced_at, sms_at = paris(2026, 3, 7), paris(2026, 3, 9), paris(2026, 3, 11)
    one = history(customer, 1, date(2026, 3, 6),
                  ActionTaken(at=grouped_at, action_id="a1", channel=Channel.EMAIL),
                  ActionTaken(at=bounced_at, action_id="b1", channel=Channel.EMAIL),
                  DeliveryFailed(at=bounced_at, action_id="b1", reason="bounce"),
                  ActionTaken(at=sms_at, action_id="c1", channel=Channel.SMS))  # fmt: skip
    two = history(customer, 2, date(2026, 3, 6),
                  ActionTaken(at=grouped_at, action_id="a2", channel=Channel.EMAIL),
                  ActionTaken(at=paris(2026, 3, 12), action_id="t2",
                              channel=Channel.PHONE_TASK))  # fmt: skip
    [action] = plan_for_customer([one, two], STANDARD, at=paris(2026, 3, 20))
    assert action.previous_messages == 2
    ctx = action.render_context(creditor=CREDITOR, message_date=date(2026, 3, 20))
    assert ctx.previous_messages == 2


def test_each_invoice_is_decided_in_its_own_customers_time_zone() -> None:
    """Two records of customer C, in Paris and in Kiritimati: each invoice at its local day."""
    # 12:30 UTC on 2 March is 13:30 on 2 March in Paris and 02:30 on 3 March in Kiritimati
    # (UTC+14): due 27 February, F-1 is 3 days late in Paris, F-2 4 days in Kiritimati.
    paris = Customer(id="C", name="ACME")
    far = Customer(id="C", name="ACME", time_zone="Pacific/Kiritimati")
    histories = [
        InvoiceHistory(
            invoice=Invoice(
                id=f"F-{n}",
                number=f"2026-{n}",
                customer=customer,
                issued_on=date(2026, 1, 28),
                due_on=date(2026, 2, 27),
                total=Decimal("100.00"),
            )
        )
        for n, customer in ((1, paris), (2, far))
    ]
    at = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
    review = review_customer(histories, STANDARD, at=at)
    assert [d.days_late for d in review.decisions] == [3, 4]
