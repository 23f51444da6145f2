"""The made-up world of a simulation: a synthetic book.

`synthetic_portfolio` draws a book of customers, paid history and open invoices from a seed;
it is pure: the same seed gives the same book. `Behaviour`, the reaction model the simulation
draws from, lives in `dunning.core.simulate.behaviour` and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from random import Random
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from dunning.core.ledger import amount_outstanding
from dunning.core.metrics import Segment
from dunning.core.metrics.book import book_summary_html
from dunning.core.model import (
    Customer,
    CustomerKind,
    Event,
    Invoice,
    Payment,
)
from dunning.core.portfolio import InvoiceHistory
from dunning.core.simulate.behaviour import Behaviour

# `Behaviour` lived here until it got its own module: still importable from here.
__all__ = ["Behaviour", "SyntheticPortfolio", "synthetic_portfolio"]

_CENT = Decimal("0.01")
_ONE_DAY = timedelta(days=1)

# ------------------------------------------------------------------- synthetic portfolio


@dataclass(frozen=True, slots=True)
class SyntheticPortfolio:
    """A made-up book: customers with paid history and open invoices, and their payer types.

    Attributes:
        as_of: the day the book is drawn at: history is paid before it, open invoices issued
            on or before it.
        entries: `InvoiceHistory` items grouped by customer id (ready for the runner's stream).
        payer_types: the hidden truth the behaviour model uses, by customer id (customers have
            no ``segment``: a `Policy` must work it out from the history).
    """

    as_of: date
    entries: tuple[InvoiceHistory, ...]
    payer_types: Mapping[str, Segment]

    def __repr__(self) -> str:
        """A line, not every customer: ``SyntheticPortfolio(as_of=..., 12 invoices, ...)``."""
        return (
            f"SyntheticPortfolio(as_of={self.as_of.isoformat()}, {len(self.entries)} invoices,"
            f" {len(self.payer_types)} customers)"
        )

    def _repr_html_(self) -> str:
        """Counts, totals and the first invoices with their payer type, for notebooks."""
        return book_summary_html(
            self.entries,
            on=self.as_of,
            caption=f"Synthetic book drawn at {self.as_of.isoformat()}",
            kinds=self.payer_types,
        )

    @property
    def customers(self) -> tuple[Customer, ...]:
        """The customers, by id."""
        seen: dict[str, Customer] = {}
        for entry in self.entries:
            seen.setdefault(entry.customer_id, entry.invoice.customer)
        return tuple(seen.values())

    def open_entries(self) -> tuple[InvoiceHistory, ...]:
        """The invoices still owed at the end of ``as_of``."""
        return tuple(
            e for e in self.entries if amount_outstanding(e.invoice, e.events, on=self.as_of) > 0
        )


_KINDS = (CustomerKind.BUSINESS, CustomerKind.CONSUMER, CustomerKind.PUBLIC)
_KIND_WEIGHTS = (70, 20, 10)
_PAYERS = (Segment.GOOD, Segment.DEFAULT, Segment.LATE)
_PAYER_WEIGHTS = (50, 35, 15)
# Payment terms in days: L441-10 caps B2B at 60 days; public buyers pay in 30 (R2192-10).
_TERMS = {
    CustomerKind.BUSINESS: (30, 30, 45, 60),
    CustomerKind.CONSUMER: (0, 15, 30),
    CustomerKind.PUBLIC: (30,),
}
# Log-normal amounts: median e^mu euros (about 1,100 for a business, 150 for a consumer,
# 3,000 for a public buyer), sigma the spread.
_AMOUNTS = {
    CustomerKind.BUSINESS: (7.0, 1.0),
    CustomerKind.CONSUMER: (5.0, 0.8),
    CustomerKind.PUBLIC: (8.0, 0.8),
}
# Days late of past invoices, drawn uniformly in these ranges (0 = paid on time).
_PAST_DELAYS = {Segment.GOOD: (0, 4), Segment.DEFAULT: (0, 25), Segment.LATE: (25, 75)}
# Age in days of the invoices still open: a good payer's are recent, a late payer's old.
_OPEN_AGES = {Segment.GOOD: (0, 45), Segment.DEFAULT: (0, 75), Segment.LATE: (15, 150)}
_NAMES = {
    CustomerKind.BUSINESS: "Entreprise {n:04d} SARL",
    CustomerKind.CONSUMER: "Client {n:04d}",
    CustomerKind.PUBLIC: "Commune {n:04d}",
}


class _SyntheticArgs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", title="synthetic_portfolio")

    n: Annotated[int, Field(ge=1, le=1_000_000)]
    seed: int
    as_of: date


def _amount(rng: Random, kind: CustomerKind) -> Decimal:
    mu, sigma = _AMOUNTS[kind]
    cents = round(min(max(rng.lognormvariate(mu, sigma), 20.0), 250_000.0) * 100)
    return (Decimal(cents) / 100).quantize(_CENT)


def synthetic_portfolio(n: int, *, seed: int, as_of: date) -> SyntheticPortfolio:
    """Draw a realistic book of *n* open invoices, with paid history, from a seed.

    Customers are 70 % businesses, 20 % consumers, 10 % public buyers; 50 % good payers, 35 %
    ordinary, 15 % late. Each has 1 to 4 open invoices (some overdue, some not yet due),
    issued in the 45 days up to *as_of* for a good payer, 75 for an ordinary one, 15 to 150
    days before for a late one; and 2 to 5 invoices paid in the year before, late by a number
    of days typical of its payer type (0-4, 0-25, 25-75). Amounts are log-normal (medians
    about 1,100 EUR for a business, 150 EUR for a consumer, 3,000 EUR for a public buyer);
    terms 30 to 60 days for businesses, 0 to 30 for consumers, 30 for public buyers.

    Args:
        n: the number of open invoices.
        seed: the seed of the `random.Random` used: same seed, same book.
        as_of: the day the book is drawn at (the core reads no clock).

    Returns:
        A `SyntheticPortfolio`.

    Raises:
        pydantic.ValidationError: if *n* is below 1.

    Examples:
        >>> from datetime import date
        >>> book = synthetic_portfolio(20, seed=7, as_of=date(2026, 3, 2))
        >>> len(book.open_entries())
        20
        >>> book == synthetic_portfolio(20, seed=7, as_of=date(2026, 3, 2))
        True
    """
    args = _SyntheticArgs(n=n, seed=seed, as_of=as_of)
    rng = Random(args.seed)  # noqa: S311  (a reproducible simulation, not cryptography)
    entries: list[InvoiceHistory] = []
    payers: dict[str, Segment] = {}
    opened = number = 0
    c = 0
    while opened < args.n:
        c += 1
        kind = rng.choices(_KINDS, _KIND_WEIGHTS)[0]
        payer = rng.choices(_PAYERS, _PAYER_WEIGHTS)[0]
        customer = Customer(
            id=f"C{c:04d}",
            name=_NAMES[kind].format(n=c),
            kind=kind,
            email=f"compta@client{c:04d}.example",
            phone="+33600000000",
            postal_address=f"{c} rue de la Paix, 75002 Paris",
        )
        payers[customer.id] = payer
        invoices: list[tuple[Invoice, tuple[Event, ...]]] = []
        for _ in range(rng.randint(2, 5)):
            number += 1
            issued = args.as_of - timedelta(days=rng.randint(100, 365))
            terms = rng.choice(_TERMS[kind])
            due = issued + timedelta(days=terms)
            low, high = _PAST_DELAYS[payer]
            paid = min(due + timedelta(days=rng.randint(low, high)), args.as_of - _ONE_DAY)
            invoice = _invoice(customer, number, issued, terms, _amount(rng, kind))
            invoices.append((invoice, (Payment(on=paid, amount=invoice.total),)))
        for _ in range(min(args.n - opened, rng.randint(1, 4))):
            number += 1
            opened += 1
            issued = args.as_of - timedelta(days=rng.randint(*_OPEN_AGES[payer]))
            terms = rng.choice(_TERMS[kind])
            invoices.append((_invoice(customer, number, issued, terms, _amount(rng, kind)), ()))
        invoices.sort(key=lambda pair: (pair[0].issued_on, pair[0].id))
        entries.extend(InvoiceHistory(invoice=i, events=e) for i, e in invoices)
    return SyntheticPortfolio(as_of=args.as_of, entries=tuple(entries), payer_types=payers)


def _invoice(customer: Customer, number: int, issued: date, terms: int, total: Decimal) -> Invoice:
    return Invoice(
        id=f"F-{number:05d}",
        number=f"{issued.year}-{number:05d}",
        customer=customer,
        issued_on=issued,
        due_on=issued + timedelta(days=terms),
        total=total,
    )
