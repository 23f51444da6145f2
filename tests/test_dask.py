"""dunning.dask on a real local cluster: the same results as one process, from plain rows.

A `distributed.LocalCluster` with two worker processes is started for this module; rows are
JSON texts and ids (no model is pickled), and every function must give exactly what the
single-process functions give on the same invoices.
"""

from __future__ import annotations

import gc
import json
import random
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dunning import STANDARD, Channel, Customer, Event, Invoice, Payment
from dunning import dask as dunning_dask
from dunning.core.decision import Action, Decision, DecisionStatus
from dunning.core.engine import decide_many
from dunning.core.metrics import ageing
from dunning.core.penalties import compute_penalties
from dunning.core.portfolio import InvoiceHistory, plan_customer_actions
from dunning.core.scenario import StepKind
from dunning.engine import action_id
from dunning.model import ActionTaken, CustomerKind, Installment
from dunning.scenarios import DEFAULT_POLICY
from tests.helpers import PARIS, require_extra

require_extra("dask")

import dask.bag as db  # noqa: E402  (after the extra is known to be there)
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

AT = datetime(2026, 6, 15, 10, 30, tzinfo=PARIS)


def portfolio(n: int = 120, seed: int = 7) -> list[tuple[Invoice, list[Event]]]:
    """Invoices of 25 customers (business and consumer), some paid, some reminded."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    # Segments for a policy: every third customer is a late payer (the firm ladder), the next
    # one a good payer (the gentle one), the others have none (the standard one).
    segments = [None, "late", "good"]
    customers = [
        Customer(
            id=f"C{c:02}",
            name=f"Customer {c}",
            kind=CustomerKind.CONSUMER if c % 5 == 0 else CustomerKind.BUSINESS,
            segment=segments[c % 3],
        )
        for c in range(25)
    ]
    out: list[tuple[Invoice, list[Event]]] = []
    for i in range(n):
        due = date(2026, 6, 15) - timedelta(days=rng.randint(-10, 400))
        invoice = Invoice(
            id=f"F-{i:04}",
            number=f"2026-{i:04}",
            customer=customers[rng.randrange(len(customers))],
            issued_on=due - timedelta(days=30),
            due_on=due,
            total=Decimal(rng.randint(100, 9000)),
        )
        events: list[Event] = []
        roll = rng.random()
        if roll < 0.2:
            events.append(Payment(on=due, amount=invoice.total))
        elif roll < 0.4:
            events.append(Payment(on=due + timedelta(days=3), amount=Decimal(50)))
        elif roll < 0.6:
            events.append(
                ActionTaken(
                    at=datetime.combine(due + timedelta(days=1), datetime.min.time(), PARIS),
                    action_id=action_id(invoice.id, "informative"),
                    channel=Channel.EMAIL,
                    step_id="informative",
                )
            )
        out.append((invoice, events))
    return out


PAIRS = portfolio()
ROWS = [dunning_dask.invoice_row(invoice, events) for invoice, events in PAIRS]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A local cluster of two worker processes, for this module only."""
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as connected,  # type: ignore[no-untyped-call]
    ):
        yield connected


def frame() -> Any:
    """The rows as a Dask DataFrame in 4 partitions (not by customer)."""
    return dd.from_pandas(pd.DataFrame(ROWS, dtype=object), npartitions=4)  # type: ignore[no-untyped-call]


def bag() -> Any:
    """The rows as a Dask Bag in 3 partitions."""
    return db.from_sequence(ROWS, npartitions=3)  # type: ignore[no-untyped-call]


def records(result: object) -> list[dict[str, object]]:
    """Computed rows as plain dicts (None for a missing value), in a stable order."""
    rows = result if isinstance(result, list) else result.to_dict("records")  # type: ignore[attr-defined]
    clean = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in rows]
    return sorted(clean, key=lambda row: json.dumps(row, sort_keys=True, default=str))


def test_decisions_equal_the_single_process_decisions(client: Client) -> None:
    """Decisions (with penalties) from a DataFrame and from a Bag: exactly decide_many's."""
    expected = records(
        [
            dunning_dask.decision_record(d, invoice.customer.id)
            for d, (invoice, _) in zip(
                decide_many(PAIRS, STANDARD, at=AT, with_penalties=True), PAIRS, strict=True
            )
        ]
    )
    assert len(expected) == len(PAIRS)
    assert any(row["action_id"] for row in expected)  # the sample has messages due
    assert any(row["penalties_total"] for row in expected)  # and penalties
    from_frame = dunning_dask.decisions(frame(), STANDARD, at=AT, with_penalties=True)
    assert records(from_frame.compute()) == expected
    from_bag = dunning_dask.decisions(bag(), STANDARD.model_dump_json(), at=AT, with_penalties=True)
    assert records(from_bag.compute()) == expected


def test_penalties_equal_the_single_process_penalties(client: Client) -> None:
    """Penalties of every invoice due before the day: compute_penalties's, to the cent."""
    until = date(2026, 6, 15)
    expected = records(
        [
            dunning_dask.penalty_record(
                compute_penalties(invoice, events, until=until), invoice.customer.id
            )
            for invoice, events in PAIRS
            if invoice.first_due_on < until
        ]
    )
    assert records(dunning_dask.penalties(frame(), until=until).compute()) == expected
    assert records(dunning_dask.penalties(bag(), until=until).compute()) == expected


def test_ageing_equals_the_single_process_ageing(client: Client) -> None:
    """The buckets added up over partitions are the buckets of one process."""
    expected = ageing([InvoiceHistory(invoice=i, events=tuple(e)) for i, e in PAIRS], at=AT)
    assert expected.total > 0
    assert dunning_dask.ageing_of(frame(), at=AT) == expected
    assert dunning_dask.ageing_of(bag(), at=AT) == expected


def test_customer_actions_equal_the_single_process_plan(client: Client) -> None:
    """One message per customer, whatever the partitions: plan_customer_actions's."""
    ordered = sorted(PAIRS, key=lambda pair: (pair[0].customer.id, pair[0].id))
    entries = [InvoiceHistory(invoice=i, events=tuple(e)) for i, e in ordered]
    expected = records(
        [dunning_dask.action_record(a) for a in plan_customer_actions(entries, STANDARD, at=AT)]
    )
    assert len(expected) > 1
    assert records(dunning_dask.customer_actions(frame(), STANDARD, at=AT).compute()) == expected
    assert records(dunning_dask.customer_actions(bag(), STANDARD, at=AT).compute()) == expected


def test_a_policy_chooses_per_customer_on_the_cluster(client: Client) -> None:
    """Under the default policy, decisions and messages are the single process's."""
    expected = records(
        [
            dunning_dask.decision_record(d, invoice.customer.id)
            for d, (invoice, _) in zip(
                decide_many(PAIRS, DEFAULT_POLICY, at=AT), PAIRS, strict=True
            )
        ]
    )
    standard = records(
        [
            dunning_dask.decision_record(d, invoice.customer.id)
            for d, (invoice, _) in zip(decide_many(PAIRS, STANDARD, at=AT), PAIRS, strict=True)
        ]
    )
    assert expected != standard  # the late and good payers get other ladders
    assert records(dunning_dask.decisions(frame(), DEFAULT_POLICY, at=AT).compute()) == expected
    text = DEFAULT_POLICY.model_dump_json()
    assert records(dunning_dask.decisions(bag(), text, at=AT).compute()) == expected
    ordered = sorted(PAIRS, key=lambda pair: (pair[0].customer.id, pair[0].id))
    entries = [InvoiceHistory(invoice=i, events=tuple(e)) for i, e in ordered]
    plan = plan_customer_actions(entries, DEFAULT_POLICY.scenario_for, at=AT)
    messages = records([dunning_dask.action_record(a) for a in plan])
    assert records(dunning_dask.customer_actions(bag(), text, at=AT).compute()) == messages


def test_bad_inputs() -> None:
    """A naive instant, a collection that is not Dask's, or no scenario: a clear error."""
    with pytest.raises(ValueError, match="timezone-aware"):
        dunning_dask.decisions(bag(), STANDARD, at=datetime(2026, 6, 15))
    with pytest.raises(TypeError, match="expected a Dask DataFrame or Bag, got list"):
        dunning_dask.decisions(ROWS, STANDARD, at=AT)
    with pytest.raises(TypeError, match="got list"):
        dunning_dask.customer_actions(ROWS, STANDARD, at=AT)
    with pytest.raises(
        TypeError, match=r"^scenario: a Scenario, a Policy or the JSON text of one, not int$"
    ):
        dunning_dask.decisions(bag(), 7, at=AT)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="json_invalid"):
        dunning_dask.customer_actions(bag(), "standard", at=AT)  # an id is not the JSON text


# ------------------------------------------------------------- row layouts and reading


def first_layout_row(invoice: Invoice, events: list[Event]) -> dict[str, Any]:
    """A row of the first layout: the invoice as one JSON text, its customer inside."""
    return {
        "customer_id": invoice.customer.id,
        "invoice_id": invoice.id,
        "invoice": invoice.model_dump_json(),
        "events": json.dumps([event.model_dump(mode="json") for event in events]),
    }


def expected_decisions(
    pairs: list[tuple[Invoice, list[Event]]], *, with_penalties: bool = False
) -> list[dict[str, object]]:
    """decide_many's decisions under the standard ladder, as rows of `decisions`."""
    made = decide_many(pairs, STANDARD, at=AT, with_penalties=with_penalties)
    return records(
        [
            dunning_dask.decision_record(decision, invoice.customer.id)
            for decision, (invoice, _) in zip(made, pairs, strict=True)
        ]
    )


def test_rows_of_the_first_layout_are_still_read(client: Client) -> None:
    """One JSON text per invoice (the first layout): every function gives the same results."""
    old = [first_layout_row(invoice, events) for invoice, events in PAIRS]
    old_frame = dd.from_pandas(pd.DataFrame(old, dtype=object), npartitions=3)  # type: ignore[no-untyped-call]
    old_bag = db.from_sequence(old, npartitions=2)  # type: ignore[no-untyped-call]
    expected = expected_decisions(PAIRS, with_penalties=True)
    for rows in (old_frame, old_bag):
        got = dunning_dask.decisions(rows, STANDARD, at=AT, with_penalties=True).compute()
        assert records(got) == expected
    until = date(2026, 6, 15)
    assert records(dunning_dask.penalties(old_bag, until=until).compute()) == records(
        dunning_dask.penalties(bag(), until=until).compute()
    )
    assert dunning_dask.ageing_of(old_frame, at=AT) == dunning_dask.ageing_of(frame(), at=AT)
    assert records(dunning_dask.customer_actions(old_frame, STANDARD, at=AT).compute()) == records(
        dunning_dask.customer_actions(frame(), STANDARD, at=AT).compute()
    )


def unusual_invoices() -> list[tuple[Invoice, list[Event]]]:
    """Installments, a contractual rate, dollars, a customer with opt-outs and a segment."""
    shy = Customer(
        id="C-shy",
        name="Shy Ltd",
        segment="late",
        opted_out=frozenset({Channel.SMS, Channel.LETTER}),
        locale="en_GB",
        time_zone="Europe/London",
        country="GB",
    )
    plain = Customer(id="C-plain", name="Plain SARL")
    parts = Invoice(
        id="F-parts",
        number="P-1",
        customer=plain,
        issued_on=date(2026, 1, 10),
        installments=(
            Installment(due_on=date(2026, 2, 10), amount=Decimal("600.00")),
            Installment(due_on=date(2026, 4, 10), amount=Decimal("400.50")),
        ),
        total=Decimal("1000.50"),
    )
    rated = Invoice(
        id="F-rated",
        number="R-1",
        customer=plain,
        issued_on=date(2026, 1, 5),
        due_on=date(2026, 3, 5),
        total=Decimal("2500.00"),
        contractual_rate=Decimal("12.5"),
    )
    dollars = Invoice(
        id="F-usd",
        number="U-1",
        customer=shy,
        issued_on=date(2026, 3, 1),
        due_on=date(2026, 4, 1),
        total=Decimal("730.25"),
        currency="USD",
    )
    return [
        (parts, [Payment(on=date(2026, 2, 12), amount=Decimal("600.00"))]),
        (rated, []),
        (dollars, []),
    ]


# dask's read_parquet passes inplace=True to pandas, which pandas 3.1 deprecates.
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame")
def test_every_field_of_an_invoice_crosses_the_row(client: Client, tmp_path: Path) -> None:
    """Installments, rates, currencies and customers survive a Parquet round trip of the rows."""
    pairs = unusual_invoices()
    rows = pd.DataFrame([dunning_dask.invoice_row(i, e) for i, e in pairs])
    assert rows["due_on"].tolist()[1:] == ["2026-03-05", "2026-04-01"]
    assert pd.isna(rows["due_on"][0])
    assert rows["installments"][0] == (
        '[{"due_on": "2026-02-10", "amount": "600.00"}, {"due_on": "2026-04-10", '
        '"amount": "400.50"}]'
    )
    assert rows["contractual_rate"].tolist()[1] == "12.5"
    dd.from_pandas(rows, npartitions=2).to_parquet(tmp_path / "rows")  # type: ignore[no-untyped-call]
    read = dd.read_parquet(tmp_path / "rows")
    got = dunning_dask.decisions(read, STANDARD, at=AT, with_penalties=True).compute()
    assert records(got) == expected_decisions(pairs, with_penalties=True)
    until = date(2026, 6, 15)
    want = records(
        [dunning_dask.penalty_record(compute_penalties(i, e, until=until), i.customer.id)
         for i, e in pairs]
    )  # fmt: skip
    assert records(dunning_dask.penalties(read, until=until).compute()) == want


def test_optional_columns_may_be_left_out(client: Client) -> None:
    """Without due_on's companions (installments, currency, rate), an invoice reads the same."""
    optional = ("installments", "currency", "contractual_rate")
    rows = [{k: v for k, v in row.items() if k not in optional} for row in ROWS]
    got = dunning_dask.decisions(db.from_sequence(rows, npartitions=2), STANDARD, at=AT)  # type: ignore[no-untyped-call]
    assert records(got.compute()) == expected_decisions(PAIRS)


def test_each_customer_is_validated_once_per_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    """120 invoices of 24 customers in one partition: 24 customer validations, not 120."""
    seen: list[str] = []
    validate = Customer.model_validate_json

    def counting(text: str) -> Customer:
        seen.append(text)
        return validate(text)

    monkeypatch.setattr(Customer, "model_validate_json", counting)
    one = db.from_sequence(ROWS, npartitions=1)  # type: ignore[no-untyped-call]
    got = dunning_dask.decisions(one, STANDARD, at=AT).compute(scheduler="sync")
    assert len(got) == 120
    # The sample draws 24 of its 25 customers (C22 has no invoice).
    assert len(seen) == len(set(seen)) == 24


@pytest.mark.parametrize("make", [frame, bag], ids=["dataframe", "bag"])
def test_a_partition_runs_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch, make: Callable[[], Any]
) -> None:
    """Each partition is read and decided with the cyclic collector off, then it is back on.

    The collector's passes over a worker's objects cost about a tenth of a run (docs:
    performance.md); a partition makes no reference cycles to collect.
    """
    seen: list[bool] = []
    decide_partition = dunning_dask._decide_partition

    def watched(*args: Any, **kwargs: Any) -> dict[str, list[Any]]:
        seen.append(gc.isenabled())
        return decide_partition(*args, **kwargs)

    monkeypatch.setattr(dunning_dask, "_decide_partition", watched)
    got = records(dunning_dask.decisions(make(), STANDARD, at=AT).compute(scheduler="sync"))
    assert len(got) == len(ROWS)
    assert seen
    assert not any(seen)
    assert gc.isenabled()


def test_a_partition_makes_no_reference_cycles() -> None:
    """Nothing for the cyclic collector after a partition of each kind (what makes the pause safe).

    In a fresh process (this one runs a cluster's client, whose threads make their own
    garbage): this module's 120 invoices, decided with penalties, their penalties, ageing and
    messages, from the columns of a partition, with the collector off.
    """
    script = textwrap.dedent(
        """
        import gc
        from dunning import STANDARD
        from dunning import dask as dunning_dask
        from tests.test_dask import AT, ROWS

        text = dunning_dask._scenario_text(STANDARD)
        columns = dunning_dask._columns_of_rows(ROWS)
        gc.collect()
        gc.disable()
        made = [
            dunning_dask._decide_partition(columns, text, AT, with_penalties=True),
            dunning_dask._penalties_partition(columns, AT.date()),
            dunning_dask._ageing_partition(columns, AT, "EUR"),
            dunning_dask._actions_partition(columns, text, AT),
        ]
        print(gc.collect(), *(len(columns["customer_id"]) for columns in made[:2]),
              len(made[2]["bucket"]), len(made[3]["customer_id"]))
        """
    )
    done = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        cwd=Path(__file__).parents[1],
    )
    freed, decided, fined, buckets, messages = (int(word) for word in done.stdout.split())
    assert (decided, buckets) == (len(ROWS), 5)
    assert fined > 0
    assert messages > 0
    assert freed == 0


def test_partitions_longer_than_a_chunk(client: Client) -> None:
    """2,500 invoices in one partition (25 chunks of validation): decide_many's, in order."""
    pairs = portfolio(2500, seed=11)
    rows = pd.DataFrame([dunning_dask.invoice_row(i, e) for i, e in pairs])
    got = dunning_dask.decisions(dd.from_pandas(rows, npartitions=1), STANDARD, at=AT)  # type: ignore[no-untyped-call]
    computed = got.compute()
    assert computed["invoice_id"].tolist() == [invoice.id for invoice, _ in pairs]
    assert records(computed) == expected_decisions(pairs)


def test_a_bad_row_is_named(client: Client) -> None:
    """A row whose customer_id is not its customer's, or with a bad total: its invoice named."""
    wrong_customer = [dict(ROWS[0], customer_id="C99"), *ROWS[1:4]]
    with pytest.raises(
        ValueError, match=r"^invoice F-0000: customer_id is 'C99' but its customer's id is 'C04'$"
    ):
        dunning_dask.decisions(db.from_sequence(wrong_customer), STANDARD, at=AT).compute()  # type: ignore[no-untyped-call]
    negative = [*ROWS[:2], dict(ROWS[2], total="-5.00")]
    with pytest.raises(ValidationError) as raised:
        dunning_dask.decisions(db.from_sequence(negative, npartitions=1), STANDARD, at=AT).compute()  # type: ignore[no-untyped-call]
    assert raised.value.errors()[0]["loc"] == (2, "total")
    assert raised.value.__notes__ == ["in the row of invoice F-0002"]


def test_a_decision_record_puts_each_field_in_its_column() -> None:
    """A decision written by hand, its record read column by column (not from another record).

    The cluster's results are checked against `decision_record`, so this is what pins each
    column to its field: the action's id and step, its channel's and status's plain values,
    amounts and instants as text.
    """
    due = datetime(2026, 6, 15, 10, tzinfo=PARIS)
    action = Action(
        id="act-F-9-firm",
        invoice_id="F-9",
        customer_id="C09",
        step_id="firm",
        kind=StepKind.FIRM,
        level=3,
        level_name="firm",
        channel=Channel.LETTER,
        template="firm_letter",
        due_at=due,
        deadline_on=date(2026, 6, 23),
        deadline_days=8,
        requires_approval=False,
        approved=False,
        is_retry=False,
        amount_due=Decimal("1200.50"),
        currency="EUR",
        days_late=45,
    )
    decision = Decision(
        invoice_id="F-9",
        at=AT,
        status=DecisionStatus.ACTION_DUE,
        level=3,
        level_name="firm",
        actions=(action,),
        next_review_at=datetime(2026, 6, 23, 9, tzinfo=PARIS),
        reason="firm step due",
        outstanding=Decimal("1200.50"),
        currency="EUR",
        days_late=45,
        next_step_id="phone_call",
    )
    assert dunning_dask.decision_record(decision, "C09") == {
        "invoice_id": "F-9",
        "customer_id": "C09",
        "status": "action_due",
        "level": 3,
        "outstanding": "1200.50",
        "currency": "EUR",
        "days_late": 45,
        "next_review_at": "2026-06-23T09:00:00+02:00",
        "next_step_id": "phone_call",
        "action_id": "act-F-9-firm",
        "step_id": "firm",
        "channel": "letter",
        "template": "firm_letter",
        "penalties_total": None,
        "reason": "firm step due",
    }
    assert tuple(dunning_dask.decision_record(decision, "C09")) == dunning_dask.DECISION_COLUMNS
    quiet = decision._replace(actions=(), next_review_at=None, next_step_id=None)
    record = dunning_dask.decision_record(quiet, "C09")
    assert [record[name] for name in ("action_id", "step_id", "channel", "template")] == [None] * 4
    assert record["next_review_at"] is None


def test_a_penalty_record_is_the_worked_example_of_domain_9_7() -> None:
    """The penalties of DOMAIN.md section 9.7's example, each in its column.

    10,000 EUR due 3 March 2026, 6,000 received on 5 March, counted to 2 April at 12.15 %:
    interest 6.66 + 37.28 = 43.94 over two periods, plus the 40.00 indemnity.
    """
    invoice = Invoice(
        id="F-10000",
        number="2026-0301",
        customer=Customer(id="C-1", name="ACME"),
        issued_on=date(2026, 2, 1),
        due_on=date(2026, 3, 3),
        total=Decimal("10000.00"),
    )
    paid = [Payment(on=date(2026, 3, 5), amount=Decimal("6000.00"))]
    breakdown = compute_penalties(invoice, paid, until=date(2026, 4, 2))
    assert tuple(dunning_dask.penalty_record(breakdown, "C-1")) == dunning_dask.PENALTY_COLUMNS
    assert dunning_dask.penalty_record(breakdown, "C-1") == {
        "invoice_id": "F-10000",
        "customer_id": "C-1",
        "until": "2026-04-02",
        "periods": 2,
        "interest": "43.94",
        "recovery_indemnity": "40.00",
        "total": "83.94",
    }


def test_results_are_typed_columns(client: Client) -> None:
    """Text in Arrow-backed string columns (pd.NA when missing), whole numbers in int64."""
    got = dunning_dask.decisions(frame(), STANDARD, at=AT, with_penalties=True).compute()
    text = pd.StringDtype("pyarrow")
    assert got.dtypes.to_dict() == {
        name: "int64" if name in {"level", "days_late"} else text
        for name in dunning_dask.DECISION_COLUMNS
    }
    paid = got[got["invoice_id"] == "F-0002"].iloc[0]  # 3617 paid on its due date
    assert (paid["status"], paid["level"], paid["outstanding"]) == ("closed", 0, "0")
    assert paid["action_id"] is pd.NA
    until = date(2026, 6, 15)
    fines = dunning_dask.penalties(frame(), until=until).compute()
    assert fines.dtypes["periods"] == "int64"
    assert fines.dtypes["total"] == text
    messages = dunning_dask.customer_actions(frame(), STANDARD, at=AT).compute()
    assert set(messages.dtypes) == {text}
