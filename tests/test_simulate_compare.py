"""The shell's `compare`: candidates in several processes, and a progress bar (issue 23)."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from dunning.core.builtin import DEFAULT_POLICY, FIRM, GENTLE, STANDARD
from dunning.core.model import Customer, Invoice, Payment, PromiseToPay
from dunning.core.policy import Policy
from dunning.core.portfolio import InvoiceHistory, PaymentOnAccount, PortfolioEntry
from dunning.core.scenario import Scenario
from dunning.simulate import Behaviour, compare, synthetic_portfolio
from dunning.testing import make_invoice

START = date(2026, 3, 2)
END = date(2026, 4, 30)
BOOK = synthetic_portfolio(30, seed=11, as_of=START)
COSTS = {"email": "0", "sms": "0.08", "registered_letter": "6.50", "phone_task": "4"}


def test_two_workers_give_what_one_gives() -> None:
    """Over two processes, every result and row equals the one-process comparison."""
    candidates: dict[str, Scenario | Policy] = {
        "gentle": GENTLE,
        "standard": STANDARD,
        "firm": FIRM,
        "policy": DEFAULT_POLICY,
    }
    args: dict[str, Any] = {
        "start": START,
        "end": END,
        "seed": 5,
        "unit_costs": COSTS,
        "progress": False,
    }
    alone = compare(BOOK, candidates, workers=1, **args)
    pooled = compare(BOOK, candidates, workers=2, **args)
    assert [row.label for row in pooled.rows] == ["gentle", "standard", "firm", "policy"]
    assert pooled.rows == alone.rows
    assert pooled.results == alone.results
    assert pooled == alone


def host_book() -> list[PortfolioEntry]:
    """A host's book as a worker gets it: customers interleaved, odd entries among them.

    An invoice sent with its PDF (an entry the simulation rebuilds without it), a history
    with a promise and a payment dated ahead, money on account, an invoice paid before the
    start (never touched), and invoices that will get reminders and payments.
    """
    acme, later = Customer(id="C1", name="ACME SARL"), Customer(id="C2", name="Later SAS")

    def invoice(customer: Customer, n: int, due_in: int, total: str) -> Invoice:
        due = START + timedelta(days=due_in)
        return make_invoice(
            id=f"F-{n}", number=f"2026-{n:04d}", customer=customer, due_on=due, total=total
        )

    paid_early = invoice(later, 4, -60, "90.00")
    return [
        InvoiceHistory(invoice=invoice(acme, 1, -40, "1200.00"), document="F-1.pdf"),
        InvoiceHistory(
            invoice=invoice(later, 2, -20, "300.00"),
            events=(
                PromiseToPay(on=START + timedelta(days=12), promised_on=START + timedelta(days=20)),
                Payment(on=START + timedelta(days=25), amount=Decimal("100.00")),
            ),
        ),
        InvoiceHistory(invoice=invoice(acme, 3, -3, "450.00")),
        InvoiceHistory(
            invoice=paid_early,
            events=(Payment(on=paid_early.last_due_on, amount=Decimal("90.00")),),
        ),
        PaymentOnAccount(customer_id="C2", on=START + timedelta(days=30), amount=Decimal("50.00")),
        InvoiceHistory(invoice=invoice(acme, 5, 10, "2000.00")),
    ]


def test_two_workers_give_back_a_hosts_book_as_one_does() -> None:
    """Each result's final book, rebuilt from what the workers send back, is one worker's."""
    book = host_book()
    args: dict[str, Any] = {
        "start": START,
        "end": END,
        "seed": 3,
        "behaviour": Behaviour(promise=0.2, partial_payment=0.5),
        "approval_delay_days": 0,
        "progress": False,
    }
    alone = compare(book, [GENTLE, FIRM], workers=1, **args)
    pooled = compare(book, [GENTLE, FIRM], workers=2, **args)
    for label in ("gentle", "firm"):
        mine, theirs = alone.results[label], pooled.results[label]
        assert [h.invoice.id for h in theirs.entries] == ["F-1", "F-3", "F-5", "F-2", "F-4"]
        assert theirs.entries == mine.entries
        assert theirs == mine
        # The simulation added to the histories: the rebuilt book holds what it added.
        added = sum(len(h.events) for h in mine.entries) - sum(
            len(e.events) for e in book if isinstance(e, InvoiceHistory)
        )
        assert added >= len(mine.messages) + len(mine.payments) > 0
    # Untouched, the invoice paid before the start is the host's own entry, as in one process.
    untouched = next(h for h in pooled.results["firm"].entries if h.invoice.id == "F-4")
    assert untouched is book[3]


@pytest.mark.parametrize(("count", "workers"), [(5, 3), (2, 4), (3, 2)])
def test_each_candidate_is_simulated_once_whatever_the_workers(count: int, workers: int) -> None:
    """This process and the others share the candidates: each result is there, in order."""
    scenarios = [GENTLE, STANDARD, FIRM]
    candidates: dict[str, Scenario | Policy] = {
        f"c{n}": scenarios[n % 3].model_copy(update={"id": f"c{n}"}) for n in range(count)
    }
    args: dict[str, Any] = {"start": START, "end": END, "seed": 2, "progress": False}
    alone = compare(BOOK, candidates, workers=1, **args)
    shared = compare(BOOK, candidates, workers=workers, **args)
    assert [row.label for row in shared.rows] == list(candidates)
    assert shared == alone


def test_a_candidate_that_fails_fails_the_comparison_in_any_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every simulation fails (the end before the start): the error is raised, nothing hangs.

    This process's and the other process's fail alike; no other candidate is given to a
    process whose candidate failed (nothing logged by the pool's thread).
    """
    with pytest.raises(ValueError, match="end: 2026-03-02 is before start 2026-04-30"):
        compare(
            BOOK,
            [GENTLE, STANDARD, FIRM, DEFAULT_POLICY],
            start=END,
            end=START,
            seed=1,
            workers=2,
            progress=False,
        )
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_whole_number_of_processes(workers: object) -> None:
    """0, negative, fractional or boolean workers are refused before anything runs."""
    with pytest.raises(ValueError, match="workers: expected a whole number of processes"):
        compare(BOOK, [GENTLE], start=START, end=END, seed=1, workers=workers)  # type: ignore[arg-type]


def test_the_progress_bar_counts_the_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    """progress=True: a tqdm bar on stderr that ends at 2/2 candidates."""
    compare(BOOK, [GENTLE, FIRM], start=START, end=END, seed=1, progress=True)
    err = capsys.readouterr().err
    assert "compare" in err
    assert "2/2" in err


def test_no_bar_in_a_script(capsys: pytest.CaptureFixture[str]) -> None:
    """progress=None, stderr not a terminal and no notebook: nothing is written."""
    assert not sys.stderr.isatty()
    compare(BOOK, [GENTLE, FIRM], start=START, end=END, seed=1)
    assert capsys.readouterr().err == ""


def test_asking_for_a_bar_without_tqdm_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """progress=True without tqdm: an ImportError saying which extra to install."""
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setitem(sys.modules, "tqdm.std", None)
    with pytest.raises(ImportError, match=r"pip install 'dunning\[notebook\]'"):
        compare(BOOK, [GENTLE], start=START, end=END, seed=1, progress=True)
    # Left to the default, a missing tqdm only means no bar.
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert compare(BOOK, [GENTLE], start=START, end=END, seed=1).rows[0].label == "gentle"
