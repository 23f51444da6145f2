"""``dunning import`` of electronic invoices and ``dunning record status`` (issue 21).

The files are those of tests/data/einvoice (see its README): FA-2026-0042 (1440.00, due
31 Oct 2026), 2026-U-0317 (600.00 with 200.00 prepaid), the credit note AV-2026-0007 (240.00)
correcting FA-2026-0042, FA-2026-0043 (installments, 240.00 paid).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import require_extra

require_extra("einvoice")

from dunning.adapters.sqlite import SqliteStore  # noqa: E402
from dunning.cli import main  # noqa: E402
from dunning.model import CreditNote, DisputeOpened, HoldPlaced, Payment  # noqa: E402

DATA = Path(__file__).parent / "data" / "einvoice"
FILES = [
    str(DATA / name)
    for name in (
        "cii_invoice.xml",
        "ubl_invoice.xml",
        "ubl_credit_note.xml",
        "cii_installments.xml",
    )
]


def _events(db: Path, number: str) -> list[object]:
    with SqliteStore(db) as store:
        invoice = store.invoice(number)
        return [e for e in store.events(invoice.id) if e.kind != "action_taken"]


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "book.db"
    assert main(["import", *FILES, "--db", str(path), "--create"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == (
        "4 electronic documents read: 3 invoices imported (3 new, 0 updated), 3 facts recorded"
    )
    # Findings are warnings; the credit note's own finding is not, as it is recorded.
    assert "ubl_invoice.xml: due_date_over_legal_maximum" in err
    assert "credit_note:" not in err
    return path


def test_import_records_the_invoices_the_prepaid_amounts_and_the_credit_note(db: Path) -> None:
    assert _events(db, "FA-2026-0042") == [
        CreditNote(
            on=date(2026, 10, 20),
            amount=Decimal("240.00"),
            number="AV-2026-0007",
            corrects_invoice=True,
            id="AV-2026-0007:credit",
        )
    ]
    assert _events(db, "2026-U-0317") == [
        Payment(on=date(2026, 9, 15), amount=Decimal("200.00"), id="2026-U-0317:payment:1")
    ]
    paid = _events(db, "FA-2026-0043")
    assert [(e.kind, e.amount) for e in paid] == [("payment", Decimal("240.00"))]  # type: ignore[attr-defined]


def test_importing_the_same_files_again_records_nothing_twice(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", *FILES, "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == (
        "4 electronic documents read: 3 invoices imported (0 new, 3 updated), 0 facts recorded"
    )
    assert len(_events(db, "2026-U-0317")) == 1
    assert len(_events(db, "FA-2026-0042")) == 1


def test_one_unreadable_file_and_nothing_is_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.xml"
    bad.write_bytes(b"<Invoice><unclosed></Invoice>")
    path = tmp_path / "book.db"
    assert main(["import", FILES[0], str(bad), "--db", str(path), "--create"]) == 1
    err = capsys.readouterr().err
    assert "broken.xml" in err
    assert "[not_xml]" in err
    assert not path.exists()


def test_a_csv_and_invoices_together_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "book.csv", FILES[0], "--db", str(tmp_path / "b.db")]) == 2
    assert "one CSV file, or electronic invoices" in capsys.readouterr().err


def test_record_status_states_the_tables_facts(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--db", str(db)]
    number = "FA-2026-0042"
    assert (
        main(["record", "status", number, "207", "--reason", "prix", "--on", "2026-11-02", *base])
        == 0
    )
    assert main(["record", "status", number, "204", "--on", "2026-11-02", *base]) == 0
    assert "status 204 states no fact: nothing recorded" in capsys.readouterr().out
    assert (
        main(["record", "status", number, "SUSPENDUE", "--on", "2026-11-03", "--id", "S-1", *base])
        == 0
    )
    assert (
        main(
            ["record", "status", number, "212", "--amount", "1200,00", "--on", "2026-11-05", *base]
        )
        == 0
    )
    assert _events(db, number)[1:] == [
        DisputeOpened(on=date(2026, 11, 2), reason="207 En litige: prix"),
        HoldPlaced(on=date(2026, 11, 3), reason="Chorus Pro Suspendue", id="S-1"),
        Payment(on=date(2026, 11, 5), amount=Decimal("1200.00"), reference="status 212"),
    ]


def test_record_status_refuses_an_unknown_code_or_a_212_without_amount(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--db", str(db), "--on", "2026-11-03"]
    assert main(["record", "status", "FA-2026-0042", "999", *base]) == 1
    assert "unknown lifecycle status '999'" in capsys.readouterr().err
    assert main(["record", "status", "FA-2026-0042", "212", *base]) == 1
    assert "needs the amount collected" in capsys.readouterr().err
    assert main(["record", "status", "FA-2026-0042", "PAYEE", *base]) == 1
    assert "unknown Chorus Pro status 'PAYEE'" in capsys.readouterr().err
    assert len(_events(db, "FA-2026-0042")) == 1
