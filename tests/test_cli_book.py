"""`dunning record`, `dunning import`, `approvals` (still due?) and `run --scenario/--policy`.

Dates and amounts are the demo's (src/dunning/demo.py): Menuiserie Petit's invoice 2026-0005
(3150.00 EUR, due Monday 9 March 2026, firm ladder: J+1 email, J+7 SMS, J+15 formal notice)
has its formal notice awaiting approval after runs on 3, 10, 16 and 24 March.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dunning.adapters.sqlite import SqliteStore
from dunning.cli import main
from dunning.core.model import (
    CreditNote,
    DisputeOpened,
    DisputeResolved,
    HoldLifted,
    HoldPlaced,
    Payment,
    PromiseToPay,
    Reversal,
    ReversalReason,
)
from dunning.loading import load_policy

RUN_DAYS = ("2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24")


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A fresh demo database."""
    path = tmp_path / "demo.db"
    assert main(["init", str(path)]) == 0
    capsys.readouterr()
    return path


def host_events(db: Path, invoice_id: str) -> list[object]:
    """The events of an invoice that the host recorded (not those derived from the log)."""
    with SqliteStore(db) as store:
        return [e for e in store.events(invoice_id) if e.kind != "action_taken"]


def test_record_each_kind_by_number_or_id(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each `record KIND` stores the event it names, on the invoice given by number or id."""
    d = ["--db", str(db)]
    commands = [
        ["payment", "2026-0001", "500.00", "--on", "2026-03-20", "--reference", "VIR 1", *d],
        ["credit", "INV-001", "40,00", "--on", "2026-03-21", "--number", "AV-1", *d],
        ["dispute", "2026-0003", "--on", "2026-03-12", "--reason", "delivery incomplete", *d],
        ["resolve-dispute", "2026-0003", "--on", "2026-03-30", "--outcome", "redelivered", *d],
        ["promise", "2026-0004", "--on", "2026-03-11", "--to", "2026-03-20", *d],
        ["hold", "2026-0010", "--on", "2026-03-03", "--until", "2026-03-25", *d],
        ["lift-hold", "INV-010", "--on", "2026-03-20", *d],
    ]
    for command in commands:
        assert main(["record", *command]) == 0, command
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "2026-0001 (Boulangerie Martin): payment on 2026-03-20, amount 500.00, reference VIR 1"
    )
    assert (
        out[1]
        == "2026-0001 (Boulangerie Martin): credit_note on 2026-03-21, amount 40.00, number AV-1"
    )
    assert host_events(db, "INV-001") == [
        Payment(on=date(2026, 3, 20), amount=Decimal("500.00"), reference="VIR 1"),
        CreditNote(on=date(2026, 3, 21), amount=Decimal("40.00"), number="AV-1"),
    ]
    assert host_events(db, "INV-003") == [
        DisputeOpened(on=date(2026, 3, 12), reason="delivery incomplete"),
        DisputeResolved(on=date(2026, 3, 30), outcome="redelivered"),
    ]
    assert host_events(db, "INV-004") == [
        PromiseToPay(on=date(2026, 3, 11), promised_on=date(2026, 3, 20))
    ]
    assert host_events(db, "INV-010") == [
        HoldPlaced(on=date(2026, 3, 3), until=date(2026, 3, 25)),
        HoldLifted(on=date(2026, 3, 20)),
    ]


def test_record_without_on_is_the_customers_today(db: Path) -> None:
    """No --on: the day it is now in the customer's time zone (a date, whatever it is)."""
    assert main(["record", "hold", "2026-0007", "--db", str(db)]) == 0
    [hold] = host_events(db, "INV-007")
    assert isinstance(hold, HoldPlaced)


def test_record_refuses_an_event_the_model_refuses(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A promise dated before the day it was made is one line naming the option."""
    argv = ["record", "promise", "2026-0004", "--on", "2026-03-11", "--to", "2026-03-01"]
    assert main([*argv, "--db", str(db)]) == 1
    assert capsys.readouterr().err == (
        "error: record promise: promised_on 2026-03-01 is before the day the promise was made "
        "2026-03-11\n"
    )
    assert host_events(db, "INV-004") == []


def test_a_recorded_payment_stops_the_chase(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Boulangerie Martin paid in full on 3 March: the 10 March run sends them nothing."""
    assert (
        main(["record", "payment", "2026-0001", "1840.00", "--on", "2026-03-03", "--db", str(db)])
        == 0
    )
    assert main(["run", "--db", str(db), "--at", "2026-03-10T10:00+01:00"]) == 0
    customers = [line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]]
    assert customers  # others are chased that day
    assert "C01" not in customers


def test_a_returned_direct_debit_is_chased_again(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Boulangerie Martin's direct debit of 3 March came back on the 6th: chased on the 10th."""
    d = ["--db", str(db)]
    paid = ["payment", "2026-0001", "1840.00", "--on", "2026-03-03", "--id", "SEPA-0001"]
    assert main(["record", *paid, *d]) == 0
    returned = ["reverse", "2026-0001", "--fact-id", "SEPA-0001", "--on", "2026-03-06"]
    assert (
        main(["record", *returned, "--reason", "returned_direct_debit", "--note", "MS02", *d]) == 0
    )
    assert capsys.readouterr().out.splitlines() == [
        "2026-0001 (Boulangerie Martin): payment on 2026-03-03, amount 1840.00, id SEPA-0001",
        (
            "2026-0001 (Boulangerie Martin): reversal on 2026-03-06, reverses SEPA-0001, "
            "reason returned_direct_debit, note MS02"
        ),
    ]
    assert host_events(db, "INV-001") == [
        Payment(on=date(2026, 3, 3), amount=Decimal("1840.00"), id="SEPA-0001"),
        Reversal(
            on=date(2026, 3, 6),
            reverses="SEPA-0001",
            reason=ReversalReason.RETURNED_DIRECT_DEBIT,
            note="MS02",
        ),
    ]
    assert main(["run", *d, "--at", "2026-03-10T10:00+01:00"]) == 0
    customers = [line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]]
    assert "C01" in customers


def test_record_refuses_a_fact_the_stored_invoice_contradicts(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the invoice date (31 January), reversing nothing, or absurdly large: one line each.

    Nothing is written.
    """
    d = ["--db", str(db)]
    assert main(["record", "payment", "2026-0001", "100.00", "--on", "2026-01-15", *d]) == 1
    unknown = ["reverse", "2026-0001", "--fact-id", "NOPE", "--reason", "mistake"]
    assert main(["record", *unknown, "--on", "2026-03-06", *d]) == 1
    assert main(["record", "payment", "2026-0001", "1e999999999", *d]) == 1
    assert capsys.readouterr().err.splitlines() == [
        (
            "error: record payment --on: payment dated 2026-01-15 is before the invoice date "
            "2026-01-31 [event_before_issue]"
        ),
        (
            "error: record reverse --fact-id: no earlier fact of this invoice has the id 'NOPE' "
            "[unknown_fact]"
        ),
        (
            "error: record payment --amount: an amount must be under 10^15 (at most 15 digits "
            "before the decimal point), got 1E+999999999"
        ),
    ]
    assert host_events(db, "INV-001") == []


def reach_the_formal_notice(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Runs on 3, 10, 17 and 24 March (7 days apart): 2026-0005's formal notice awaits approval."""
    for day in RUN_DAYS:
        assert main(["run", "--db", str(db), "--at", f"{day}T10:00+01:00"]) == 0
    capsys.readouterr()


def test_approvals_say_whether_each_message_is_still_due(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Still due; due with a smaller balance after a part payment; no longer due once paid."""
    reach_the_formal_notice(db, capsys)
    at = ["--db", str(db), "--at", "2026-03-24T11:00+01:00"]
    assert main(["approvals", *at]) == 0
    assert capsys.readouterr().out.splitlines()[3] == "    2026-0005: still due"
    record = ["record", "payment", "2026-0005", "--on", "2026-03-24", "--db", str(db)]
    assert main([*record[:3], "1000.00", *record[3:]]) == 0
    assert main(["approvals", *at]) == 0
    # 3150.00 - 1000.00 = 2150.00
    assert capsys.readouterr().out.splitlines()[4] == (
        "    2026-0005: still due, 2150.00 EUR owed now (3150.00 in its preview: the next run"
        " updates it)"
    )
    assert main([*record[:3], "2150.00", *record[3:]]) == 0
    assert main(["approvals", *at]) == 0
    assert capsys.readouterr().out.splitlines()[4] == "    2026-0005: no longer due (paid in full)"


def test_approvals_after_a_dispute(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A dispute opened the same day pauses the ladder: the notice is no longer due."""
    reach_the_formal_notice(db, capsys)
    argv = ["record", "dispute", "2026-0005", "--on", "2026-03-24", "--db", str(db)]
    assert main(argv) == 0
    assert main(["approvals", "--db", str(db), "--at", "2026-03-24T11:00+01:00"]) == 0
    assert "    2026-0005: no longer due (dispute opened on 2026-03-24)" in capsys.readouterr().out


SCENARIO = """
id = "letters"
[[steps]]
id = "letter"
kind = "reminder"
level = 1
offset_days = 1
channel = "letter"
"""


def test_run_with_a_scenario_file(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--scenario: every customer on that ladder (a letter at J+1, not the built-in emails)."""
    file = tmp_path / "letters.toml"
    file.write_text(SCENARIO, encoding="utf-8")
    assert (
        main(["run", "--db", str(db), "--at", "2026-03-03T10:00+01:00", "--scenario", str(file)])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    # Due Monday 2 March: 2026-0001 (C01) and 2026-0010 (C10, its hold is not recorded here).
    assert lines[0] == "run at 2026-03-03T10:00:00+01:00: 2 sent"
    assert [line.split()[1:3] for line in lines[1:]] == [["C01", "letter"], ["C10", "letter"]]


POLICY = """
default = "standard"

[[rules]]
scenario = "gentle"
segment = "good"

[[rules]]
scenario = "letters"
segment = "default"

[scenarios.letters]
id = "letters"
[[scenarios.letters.steps]]
id = "letter"
kind = "reminder"
level = 1
offset_days = 1
channel = "letter"
"""


def test_a_policy_file_may_name_the_built_in_scenarios(tmp_path: Path) -> None:
    """`default = "standard"` without defining it; its own scenario next to the built-ins."""
    file = tmp_path / "policy.toml"
    file.write_text(POLICY, encoding="utf-8")
    policy = load_policy(file)
    assert sorted(policy.scenarios) == ["firm", "gentle", "letters", "standard"]
    assert policy.default == "standard"


def test_run_with_a_policy_file(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--policy: segment 'default' gets letters; Garage Dupont (good) keeps gentle's email."""
    file = tmp_path / "policy.toml"
    file.write_text(POLICY, encoding="utf-8")
    assert (
        main(["run", "--db", str(db), "--at", "2026-03-03T10:00+01:00", "--policy", str(file)]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    # C01 and C10 (segment default, due 2 March): letter at J+1; C02 (good, due 6 March):
    # gentle's courtesy email at J-3.
    assert [line.split()[1:3] for line in lines[1:]] == [
        ["C01", "letter"],
        ["C02", "email"],
        ["C10", "letter"],
    ]


def test_a_policy_naming_an_unknown_scenario_lists_the_known_ones(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown reference is one error naming the built-ins it could have used."""
    file = tmp_path / "policy.toml"
    file.write_text('default = "strict"\n', encoding="utf-8")
    assert (
        main(["run", "--db", str(db), "--at", "2026-03-03T10:00+01:00", "--policy", str(file)]) == 1
    )
    err = capsys.readouterr().err
    assert "default: no scenario 'strict' (known: firm, gentle, standard)" in err
    assert err.count("\n") == 1


CSV = (
    "Invoice Number;Customer ID;Customer Name;Email;Issued On;Due On;Total;Segment\n"
    "2026-0101;C-7;ACME SARL;compta@acme.example;01/03/2026;31/03/2026;1 200,50;late\n"
    "2026-0102;C-7;ACME SARL;compta@acme.example;2026-03-02;2026-04-01;99.90;late\n"
    "2026-0103;C-8;Bistrot du Port;;02/03/2026;01/04/2026;450;\n"
)


def test_import_a_csv_of_invoices(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Semicolons, French dates and decimal commas; the customer stored once; re-import updates."""
    file = tmp_path / "invoices.csv"
    file.write_text(CSV, encoding="utf-8")
    assert main(["import", str(file), "--db", str(db)]) == 0
    assert capsys.readouterr().out == (
        f"{file}: 3 invoices of 2 customers imported (3 new, 0 updated)\n"
    )
    with SqliteStore(db) as store:
        acme = store.invoice("2026-0101")
        assert acme.id == "2026-0101"
        assert acme.total == Decimal("1200.50")
        assert acme.due_on == date(2026, 3, 31)
        assert acme.customer.email == "compta@acme.example"
        assert acme.customer.segment == "late"
        assert store.invoice("2026-0103").customer.email is None
    main(["record", "payment", "2026-0101", "200.50", "--on", "2026-04-02", "--db", str(db)])
    assert main(["import", str(file), "--db", str(db)]) == 0
    assert "(0 new, 3 updated)" in capsys.readouterr().out
    assert host_events(db, "2026-0101") == [Payment(on=date(2026, 4, 2), amount=Decimal("200.50"))]


def test_import_reports_every_bad_row_and_imports_nothing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad rows named by line and column; the good rows are not imported either."""
    file = tmp_path / "invoices.csv"
    file.write_text(
        "invoice_number,customer_id,customer_name,issued_on,due_on,total,kind\n"
        "2026-0201,C-9,Good Row SA,2026-03-01,2026-03-31,100.00,\n"
        "2026-0202,C-9,Good Row SA,2026-03-01,31/02/2026,-5,\n"
        "2026-0203,C-10,,2026-03-01,2026-03-31,10,robot\n"
        "2026-0201,C-9,Other Name,2026-03-01,2026-03-31,100.00,\n",
        encoding="utf-8",
    )
    assert main(["import", str(file), "--db", str(db)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"error: {file}: 3 bad row(s), nothing imported: fix them and import the file again"
    )
    located = [line.split(": ")[0].strip() + ": " + line.split(": ")[1] for line in err[1:]]
    assert located == [
        "line 3: due_on",
        "line 3: total",
        "line 4: customer_name",
        "line 4: kind",
        "line 5: customer_id",
        "line 5: invoice_id",
    ]
    assert err[-1].endswith("invoice '2026-0201' is already on line 2 [duplicate_invoice]")
    with SqliteStore(db) as store, pytest.raises(KeyError):
        store.invoice("2026-0201")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("number,total\n1,2\n", "line 1: missing column(s) invoice_number, customer_id"),
        (None, "cannot read the file"),
    ],
)
def test_import_a_file_without_the_columns(
    content: str | None, message: str, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing column, or a missing file: one line."""
    file = tmp_path / "invoices.csv"
    if content is not None:
        file.write_text(content, encoding="utf-8")
    assert main(["import", str(file), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_import_a_file_that_is_not_utf8(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Windows-1252 export: named, with the fix."""
    file = tmp_path / "invoices.csv"
    file.write_bytes(CSV.replace("Bistrot", "Café").encode("cp1252"))
    assert main(["import", str(file), "--db", str(db)]) == 1
    assert capsys.readouterr().err == (
        f"error: {file}: not UTF-8 text (line 4): export the file as UTF-8 CSV\n"
    )


def test_import_can_create_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--create: a new database from the file alone; without it, a missing database is refused."""
    file = tmp_path / "invoices.csv"
    file.write_text(CSV, encoding="utf-8")
    new = tmp_path / "new.db"
    assert main(["import", str(file), "--db", str(new)]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["import", str(file), "--db", str(new), "--create"]) == 0
    with SqliteStore(new) as store:
        assert store.invoice("2026-0102").total == Decimal("99.90")


def test_a_policy_file_may_replace_a_built_in_scenario(tmp_path: Path) -> None:
    """A scenario the file defines under the id 'standard' is the one its policy uses."""
    file = tmp_path / "policy.toml"
    file.write_text(
        'default = "standard"\n'
        + SCENARIO.replace('id = "letters"', 'id = "standard"', 1)
        .replace("[[steps]]", "[[scenarios.standard.steps]]")
        .replace('\nid = "standard"', '\n[scenarios.standard]\nid = "standard"', 1),
        encoding="utf-8",
    )
    policy = load_policy(file)
    assert [step.channel for step in policy.scenarios["standard"].steps] == ["letter"]


def test_tenants_share_a_database_file_and_nothing_else(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--tenant acme`: its own invoices, payments, runs and outbox; the demo's book untouched."""
    file = tmp_path / "invoices.csv"
    file.write_text(CSV, encoding="utf-8")
    assert main(["import", str(file), "--db", str(db), "--tenant", "acme"]) == 0
    capsys.readouterr()
    with SqliteStore(db, tenant="acme") as acme:
        assert acme.invoice("2026-0101").total == Decimal("1200.50")
        with SqliteStore(db) as demo:
            acme.set_creditor(demo.creditor())  # type: ignore[arg-type]
            with pytest.raises(KeyError):
                demo.invoice("2026-0101")
    argv = ["--db", str(db), "--tenant", "acme"]
    assert main(["run", *argv, "--at", "2026-04-08T10:00+02:00"]) == 0
    out = capsys.readouterr().out
    # Acme's customers only: C-7 by e-mail, C-8 has no address; none of the demo's (C01...).
    assert "1 failed, 1 sent" in out
    assert " C-7 " in out
    assert " C01 " not in out
    outbox = tmp_path / "demo-outbox"
    assert [p.suffix for p in (outbox / "acme").iterdir()] == [".eml"]
    # The demo's (default tenant's) first run, a month earlier, is not "in the past".
    assert main(["run", "--db", str(db), "--at", "2026-03-03T09:00+01:00"]) == 0
    book = capsys.readouterr().out
    assert " C01 " in book
    assert " C-7 " not in book


def test_a_tenant_key_that_is_not_plain_is_refused(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--tenant 'a b'` is a usage error naming the key, before anything is opened."""
    with pytest.raises(SystemExit) as stop:
        main(["run", "--db", str(db), "--tenant", "a b"])
    assert stop.value.code == 2
    assert "'a b' is not a tenant key" in capsys.readouterr().err
