"""HTML displays of every result type: money through Babel, every value escaped, no pandas."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from dunning import STANDARD, Customer, Invoice, Payment, decide
from dunning.core.display import Money, format_amount, format_money, html_table
from dunning.core.metrics import (
    CollectionCost,
    StepEffectiveness,
    StepEffectivenessTable,
    ageing,
    step_effectiveness,
)
from dunning.core.metrics.book import book_summary_html
from dunning.core.model import ActionTaken, Channel
from dunning.core.portfolio import InvoiceHistory
from dunning.core.simulate import compare, simulate, synthetic_portfolio
from dunning.penalties import penalties_for_amount
from tests.helpers import PARIS

NNBSP = "\u202f"  # Babel's thousands separator in fr_FR: a narrow no-break space
NBSP = "\xa0"  # and the no-break space before the currency sign

ACME = Customer(id="C<1>", name="ACME & fils")


def _invoice(n: int, total: str, *, number: str | None = None) -> Invoice:
    return Invoice(
        id=f"F-{n}",
        number=number or f"2026-{n:04d}",
        customer=ACME,
        issued_on=date(2026, 1, 2),
        due_on=date(2026, 2, 2),
        total=Decimal(total),
    )


# ------------------------------------------------------------------------------ formatting


def test_money_is_written_as_the_locale_writes_it() -> None:
    """12,345.6 EUR: "12 345,60 €" in French, "€12,345.60" in British English; whole units."""
    assert format_money(Decimal("12345.6"), "EUR") == f"12{NNBSP}345,60{NBSP}€"
    assert format_money(Decimal("12345.6"), "EUR", locale="en_GB") == "€12,345.60"
    assert format_money(Decimal("1234567.89"), "EUR", cents=False) == (
        f"1{NNBSP}234{NNBSP}568{NBSP}€"
    )
    assert format_money(Decimal(-40), "EUR", locale="en_GB", cents=False) == "-€40"


def test_a_bare_number_keeps_its_decimals_and_gains_separators() -> None:
    """56.8 stays one decimal, 1500.00 two, 1234567 none; True is not a number."""
    assert format_amount(Decimal("56.8")) == "56,8"
    assert format_amount(Decimal("1500.00")) == f"1{NNBSP}500,00"
    assert format_amount(1234567, locale="en_GB") == "1,234,567"
    assert html_table(["x"], [[True]]).endswith("<td>True</td></tr></tbody></table>")


def test_every_cell_and_the_caption_are_escaped() -> None:
    """Text, an enum-like value and a currency code are escaped where they land."""
    html = html_table(
        ["<h>"], [["<b>"], [Money(Decimal(1), "<X>")]], caption="a & b", locale="en_GB"
    )
    assert "<th>&lt;h&gt;</th>" in html
    assert "<td>&lt;b&gt;</td>" in html
    assert "<caption>a &amp; b</caption>" in html
    assert "<X>" not in html


# -------------------------------------------------------------------------- result types


def test_penalty_breakdown_shows_money_with_its_currency() -> None:
    """12,000 late from 16 June 2025 to 15 July: principal and lines in euros, total 164.77."""
    html = penalties_for_amount("12000", date(2025, 6, 15), date(2025, 7, 15))._repr_html_()
    assert f"<td>12{NNBSP}000,00{NBSP}€</td><td>13.15 %</td>" in html
    assert f"<td>64,85{NBSP}€</td>" in html
    blank = "<td></td>" * 5
    assert f"<td>recovery indemnity</td>{blank}<td>40,00{NBSP}€</td>" in html
    assert f"<td>164,77{NBSP}€</td>" in html
    assert "Decimal" not in html


def test_decision_shows_what_is_owed_as_money() -> None:
    """An invoice of 1,500.00 due 2 Feb, 300 paid: 1 200,00 € outstanding; number escaped."""
    inv = _invoice(1, "1500.00", number="N<1>")
    d = decide(
        inv,
        [Payment(on=date(2026, 2, 1), amount=Decimal("300.00"))],
        STANDARD,
        at=datetime(2026, 2, 3, 10, tzinfo=PARIS),
    )
    html = d._repr_html_()
    assert f"<td>outstanding</td><td>1{NNBSP}200,00{NBSP}€</td>" in html


def test_ageing_shows_human_buckets_and_money() -> None:
    """One invoice of 12,345.60 due 2 Feb, read 30 April: 87 days late, in 61-90."""
    book = [InvoiceHistory(invoice=_invoice(1, "12345.60"), events=())]
    html = ageing(book, at=date(2026, 4, 30))._repr_html_()
    assert f"<td>61-90 days</td><td>12{NNBSP}345,60{NBSP}€</td><td>1</td>" in html
    assert f"<td>Not yet due</td><td>0,00{NBSP}€</td><td>0</td>" in html
    assert f"<td>total</td><td>12{NNBSP}345,60{NBSP}€</td><td></td>" in html
    assert "not_due" not in html


def test_step_effectiveness_is_a_tuple_that_shows_as_a_table() -> None:
    """Delivered on 2 March, paid 6 March: 1 delivered, 1 paid, 100 %, 4 days; ids escaped."""
    sent = ActionTaken(
        at=datetime(2026, 3, 2, 9, tzinfo=UTC), action_id="a1", channel=Channel.EMAIL, step_id="<r>"
    )
    book = [
        InvoiceHistory(
            invoice=_invoice(1, "400"),
            events=(sent, Payment(on=date(2026, 3, 6), amount=Decimal(400))),
        )
    ]
    table = step_effectiveness(book, at=date(2026, 4, 1))
    html = table._repr_html_()
    assert isinstance(table, StepEffectivenessTable)
    assert table == (StepEffectiveness("<r>", 1, 1, Decimal("4.0")),)
    assert "<tr><td>&lt;r&gt;</td><td>1</td><td>1</td><td>100,0 %</td><td>4,0</td></tr>" in html
    empty = step_effectiveness([], at=date(2026, 4, 1))._repr_html_()
    assert empty.endswith("<tbody></tbody></table>")


def test_collection_cost_shows_counts_and_money() -> None:
    """1,234 letters at 6.50: 8 021,00 € for 1,000 invoices, 8,02 € each."""
    cost = CollectionCost(
        currency="EUR",
        messages={"registered_letter": 1234, "email": 3},
        total=Decimal("8021.00"),
        invoices_chased=1000,
        per_invoice=Decimal("8.02"),
    )
    html = cost._repr_html_()
    assert f"<td>registered_letter messages</td><td>1{NNBSP}234</td>" in html
    assert f"<td>total cost</td><td>8{NNBSP}021,00{NBSP}€</td>" in html
    assert f"<td>cost per invoice chased</td><td>8,02{NBSP}€</td>" in html
    none = CollectionCost("EUR", {}, Decimal(0), 0, None)._repr_html_()
    assert "<td>cost per invoice chased</td><td></td>" in none


def test_a_book_summary_counts_and_totals_then_lists_the_first_rows() -> None:
    """Twelve invoices of 1,000.00, one paid: 11 owed, 12 000 invoiced, 10 rows listed."""
    book = [InvoiceHistory(invoice=_invoice(n, "1000.00"), events=()) for n in range(1, 13)]
    paid = Payment(on=date(2026, 2, 10), amount=Decimal("1000.00"))
    book[0] = InvoiceHistory(invoice=book[0].invoice, events=(paid,))
    html = book_summary_html(book, on=date(2026, 3, 1), caption="Book <x>")
    assert "<caption>Book &lt;x&gt;</caption>" in html
    assert "<td>customers</td><td>1</td>" in html
    assert "<td>invoices</td><td>12</td>" in html
    assert "<td>invoices still owed</td><td>11</td>" in html
    assert f"<td>invoiced</td><td>12{NNBSP}000,00{NBSP}€</td>" in html
    assert f"<td>outstanding</td><td>11{NNBSP}000,00{NBSP}€</td>" in html
    assert "first 10 of 12 invoices" in html
    assert html.count("<td>C&lt;1&gt;</td><td>ACME &amp; fils</td>") == 10
    assert "2026-0011" not in html


def test_simulations_and_comparisons_show_grouped_numbers() -> None:
    """No raw Decimal reprs, and amounts of thousands carry the locale's separator."""
    book = synthetic_portfolio(30, seed=3, as_of=date(2026, 3, 2))
    result = simulate(book, STANDARD, start=date(2026, 3, 2), end=date(2026, 3, 31), seed=3)
    html = result._repr_html_()
    assert "cash collected" in html
    assert NNBSP in html
    table = compare(book, [STANDARD], start=date(2026, 3, 2), end=date(2026, 3, 10), seed=3)
    assert NNBSP in table._repr_html_()
