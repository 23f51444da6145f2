"""The shell commands on a real SQLite file: init, run day by day, approvals, history.

A run each morning at 10:00 Paris (UTC+1 until 29 March 2026) must send exactly what the pure
planner (`plan_customer_actions`, the customer's conversation over the store's entries) says
is due that day. The demo timeline (tests/golden/demo.txt) is each invoice's own ladder; the
runner spaces one customer's messages by the conversation's rules on top of it (DOMAIN 9).
"""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta
from email.utils import formataddr
from pathlib import Path

import pytest

from dunning.adapters.smtp import build_email
from dunning.adapters.sqlite import SqliteStore
from dunning.cli import main
from dunning.core.action_log import EntryStatus
from dunning.core.builtin import DEFAULT_POLICY
from dunning.core.model import Channel
from dunning.core.portfolio import plan_customer_actions
from dunning.core.render import Message
from dunning.ports import UnreadableEntry
from dunning.testing import paris
from tests.demo_facts import record_demo_facts


def morning(day: date) -> str:
    """10:00 in Paris on *day* (winter time, before 29 March 2026)."""
    return f"{day.isoformat()}T10:00+01:00"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A fresh demo database."""
    path = tmp_path / "demo.db"
    assert main(["init", str(path)]) == 0
    return path


def run(db: Path, at: str, *extra: str) -> int:
    """Record the demo's facts of that day (as the host would), then `dunning run ...`."""
    record_demo_facts(db, date.fromisoformat(at[:10]))
    return main(["run", "--db", str(db), "--at", at, *extra])


def test_init_writes_the_demo_portfolio_and_refuses_to_overwrite(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ten invoices and the creditor; a second init without --force changes nothing."""
    capsys.readouterr()
    with SqliteStore(db) as store:
        assert len(list(store.entries(paris(2026, 3, 3)))) == 10
        creditor = store.creditor()
    assert creditor is not None
    assert creditor.name == "Atelier Durand SAS"
    assert main(["init", str(db)]) == 1
    assert "already exists (use --force to replace it)" in capsys.readouterr().err
    assert main(["init", str(db), "--force"]) == 0


def test_a_run_each_morning_sends_what_the_timeline_says(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """3 to 24 March: each day's run sends what the pure planner says is due that day."""
    outbox = tmp_path / "demo-outbox"
    day = date(2026, 3, 3)
    total = 0
    while day <= date(2026, 3, 24):
        capsys.readouterr()
        record_demo_facts(db, day)
        at = paris(day.year, day.month, day.day, 10)
        with SqliteStore(db) as store:
            entries = [e for e in store.entries(at) if not isinstance(e, UnreadableEntry)]
            planned = list(plan_customer_actions(entries, DEFAULT_POLICY.scenario_for, at=at))
        sent = sum(1 for a in planned if not a.requires_approval)
        total += sent
        assert run(db, morning(day)) == 0
        head = capsys.readouterr().out.splitlines()[0]
        if sent:
            assert f"{sent} sent" in head, (day, head)
        else:
            assert "sent" not in head, (day, head)
        day += timedelta(days=1)
    assert len(list(outbox.iterdir())) == total
    # Fewer than the 19 messages of the ten invoices' own ladders: the customers' conversations
    # space them (7 days, 3 in 30 days) and hold what waits for a stated deadline.
    assert 10 <= total <= 19
    # The formal notice of INV-005 (Menuiserie Petit, firm ladder) waits since 24 March.
    assert "1 pending_approval" in head
    assert run(db, morning(date(2026, 3, 24))) == 0  # re-run: nothing new
    again = capsys.readouterr().out.splitlines()[0]
    assert again == "run at 2026-03-24T10:00:00+01:00: 1 pending_approval"


def test_approve_then_the_next_run_sends_the_formal_notice(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Listed with its version and text, approved by name with --seen, sent by that day's run."""
    day = date(2026, 3, 3)
    while day <= date(2026, 3, 24):
        run(db, morning(day))
        day += timedelta(days=1)
    capsys.readouterr()
    assert main(["approvals", "--db", str(db), "--full"]) == 0
    listing = capsys.readouterr().out
    assert "pending_approval C05    registered_letter formal_notice" in listing
    assert "| MISE EN DEMEURE" in listing
    with SqliteStore(db) as store:
        [pending] = store.entries_with(EntryStatus.PENDING_APPROVAL)
    assert f"    version {pending.version}: approve with --seen {pending.version}" in listing
    decided = ["--db", str(db), "--by", "claire", "--at", "2026-03-24T16:00+01:00"]
    assert main(["approve", pending.key, "--seen", pending.version, *decided]) == 0
    assert capsys.readouterr().out == f"{pending.key} approved by claire: the next run sends it\n"
    assert main(["approve", pending.key, *decided]) == 1
    assert "no message awaiting approval" in capsys.readouterr().err
    assert run(db, "2026-03-24T17:00+01:00") == 0
    assert capsys.readouterr().out.splitlines()[0] == "run at 2026-03-24T17:00:00+01:00: 1 sent"
    assert run(db, morning(date(2026, 3, 25))) == 0
    # 25 March: the approved notice goes, with the day's other customers' messages.
    head = capsys.readouterr().out.splitlines()[0]
    assert head.startswith("run at 2026-03-25T10:00:00+01:00: ")
    assert head.endswith(" sent")
    letter = (tmp_path / "demo-outbox" / f"{pending.key}.txt").read_text(encoding="utf-8")
    assert "MISE EN DEMEURE" in letter
    assert main(["approvals", "--db", str(db)]) == 0
    assert capsys.readouterr().out == "no message awaits approval\n"
    assert main(["history", "INV-005", "--db", str(db)]) == 0
    history = capsys.readouterr().out
    assert "sent             C05    registered_letter formal_notice" in history
    assert "decided by claire" in history
    assert "formal_notice" in history


def test_an_email_in_the_outbox_is_a_real_mime_message(db: Path, tmp_path: Path) -> None:
    """3 March: Boulangerie Martin's friendly reminder, from the creditor, to the customer."""
    assert run(db, morning(date(2026, 3, 3))) == 0
    files = sorted((tmp_path / "demo-outbox").glob("*.eml"))
    assert len(files) == 2
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    recipients = sorted(str(m["To"]) for m in parsed)
    assert recipients == ["compta@boulangeriemartin.example", "compta@garagedupont.example"]
    assert {str(m["From"]) for m in parsed} == {
        "Atelier Durand SAS <compta@atelier-durand.example>"
    }
    [sender] = parsed[0]["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Atelier Durand SAS",
        "compta@atelier-durand.example",
    )


def test_reject_and_dry_run(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A dry run writes nothing; a rejected notice is never sent."""
    assert run(db, morning(date(2026, 3, 3)), "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "run at 2026-03-03T10:00:00+01:00 (dry run): 2 would_send"
    assert not (tmp_path / "demo-outbox").exists()
    day = date(2026, 3, 3)
    while day <= date(2026, 3, 24):
        run(db, morning(day))
        day += timedelta(days=1)
    with SqliteStore(db) as store:
        [pending] = store.entries_with(EntryStatus.PENDING_APPROVAL)
    capsys.readouterr()
    assert main(["reject", pending.key, "--db", str(db), "--by", "claire"]) == 0
    assert "rejected by claire: it will never be sent" in capsys.readouterr().out
    run(db, morning(date(2026, 3, 25)))
    assert not (tmp_path / "demo-outbox" / f"{pending.key}.txt").exists()


def test_bad_usage_is_refused_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A naive --at, a missing database, an unknown invoice, a bad --smtp."""
    missing = tmp_path / "missing.db"
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--db", str(missing), "--at", "2026-03-03T10:00"])
    assert exit_info.value.code == 2
    assert "is not an instant with its UTC offset" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--db", str(missing), "--at", "yesterday"])
    assert "is not an instant: write e.g. 2026-03-20T10:00+01:00" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--db", str(missing), "--smtp", "localhost"])
    assert "is not HOST:PORT" in capsys.readouterr().err
    assert main(["run", "--db", str(missing), "--at", "2026-03-03T10:00Z"]) == 1
    assert "missing.db' does not exist" in capsys.readouterr().err
    assert not missing.exists()
    db = tmp_path / "demo.db"
    main(["init", str(db)])
    assert main(["history", "NOPE", "--db", str(db)]) == 1
    assert "no invoice with id or number 'NOPE'" in capsys.readouterr().err


def test_a_database_without_creditor_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A host's own database with no stored creditor: refused with the reason."""
    path = tmp_path / "own.db"
    SqliteStore(path).close()
    assert run(path, "2026-03-03T10:00Z") == 1
    assert "has no creditor" in capsys.readouterr().err


def test_an_uncertain_message_fails_every_run_until_resolved(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1 while a message is uncertain; `dunning resolve KEY --delivered` ends it."""
    assert run(db, morning(date(2026, 3, 3))) == 0
    with SqliteStore(db) as store:
        [first, _] = store.entries_with(EntryStatus.SENT)
        store.finish(first.key, EntryStatus.UNCERTAIN, at=paris(2026, 3, 3), reason="timeout")
    capsys.readouterr()
    assert run(db, morning(date(2026, 3, 4))) == 1
    out = capsys.readouterr().out
    assert f"uncertain         {first.customer_id}" in out
    assert f"dunning resolve {first.key} --delivered|--not-delivered" in out
    resolved = ["--db", str(db), "--by", "claire", "--at", "2026-03-04T11:00+01:00"]
    assert main(["resolve", first.key, "--delivered", *resolved]) == 0
    assert capsys.readouterr().out == (
        f"{first.key} resolved by claire as delivered: its steps count as taken\n"
    )
    assert main(["resolve", first.key, "--not-delivered", *resolved]) == 1
    assert f"no uncertain message with id '{first.key}'" in capsys.readouterr().err
    assert run(db, morning(date(2026, 3, 5))) == 0


def test_a_run_in_the_past_is_one_clear_line_or_a_read_only_replay(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the 10 March run, --at 3 March is refused (exit 1); --allow-past replays it."""
    assert run(db, morning(date(2026, 3, 10))) == 0
    capsys.readouterr()
    assert run(db, morning(date(2026, 3, 3))) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: at: 2026-03-03T10:00:00+01:00 is before the latest run")
    assert "--allow-past" in err
    assert err.count("\n") == 1
    assert run(db, morning(date(2026, 3, 3)), "--allow-past") == 0
    assert "(dry run)" in capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize(
    "name", ["Atelier Durand SAS", "Durand, Fils & Cie", "Café Ébène « SARL »"]
)
def test_the_from_header_carries_the_creditors_name(name: str) -> None:
    """formataddr((name, address)) reads back as the same name and address, quoted or encoded."""
    message = Message(
        action_id="act_1",
        channel=Channel.EMAIL,
        template="friendly",
        locale="fr_FR",
        subject="Facture 2026-0001",
        text="Bonjour,",
        to="compta@client.example",
    )
    built = build_email(
        message, from_address=formataddr((name, "compta@durand.example")), idempotency_key="k1"
    )
    parsed = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)
    [sender] = parsed["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (name, "compta@durand.example")
