"""`dunning run --smtp` against a real SMTP server: emails go to the server, exactly once."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from dunning.adapters.sqlite import SqliteStore
from dunning.cli import main
from dunning.core.action_log import EntryStatus
from dunning.core.model import Channel
from tests.demo_facts import record_demo_facts
from tests.integration.conftest import SmtpServer


def test_the_demo_by_smtp_arrives_once_per_message(
    tmp_path: Path, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """3 March: 2 emails (demo timeline); the same run again adds nothing at the server.

    17 March: Menuiserie Petit's SMS (J+7 on 16 March, 7 days after its 10 March email) goes
    to the outbox, not to the SMTP server.
    """
    db = tmp_path / "demo.db"
    assert main(["init", str(db)]) == 0
    smtp = f"{smtp_server.host}:{smtp_server.port}"
    at = "2026-03-03T10:00+01:00"
    record_demo_facts(db, date(2026, 3, 3))
    assert main(["run", "--db", str(db), "--at", at, "--smtp", smtp]) == 0
    assert main(["run", "--db", str(db), "--at", at, "--smtp", smtp]) == 0
    received = smtp_server.received
    assert sorted(r.rcpt_tos for r in received) == [
        ("compta@boulangeriemartin.example",),
        ("compta@garagedupont.example",),
    ]
    assert {r.mail_from for r in received} == {"compta@atelier-durand.example"}
    assert len({str(r.email["Message-ID"]) for r in received}) == 2
    day = date(2026, 3, 4)
    while day <= date(2026, 3, 17):
        record_demo_facts(db, day)
        main(["run", "--db", str(db), "--at", f"{day}T10:00+01:00", "--smtp", smtp])
        day += timedelta(days=1)
    # Every email the log records as sent arrived once at the server, and nothing else did.
    with SqliteStore(db) as store:
        sent = store.entries_with(EntryStatus.SENT)
    emails = [e.key for e in sent if e.channel is Channel.EMAIL]
    assert len(smtp_server.received) == len(emails) > 2
    assert len({str(r.email["Message-ID"]) for r in smtp_server.received}) == len(emails)
    assert len(list((tmp_path / "demo-outbox").glob("*.txt"))) == 1
    capsys.readouterr()


def test_the_server_down_is_retried_by_the_next_run(
    tmp_path: Path, closed_port: int, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing listens: both emails wait as retry (exit 0, nothing lost); then arrive once."""
    db = tmp_path / "demo.db"
    main(["init", str(db)])
    capsys.readouterr()
    at = "2026-03-03T10:00+01:00"
    record_demo_facts(db, date(2026, 3, 3))
    assert main(["run", "--db", str(db), "--at", at, "--smtp", f"127.0.0.1:{closed_port}"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == ("run at 2026-03-03T10:00:00+01:00: 2 retry")
    smtp = f"{smtp_server.host}:{smtp_server.port}"
    assert main(["run", "--db", str(db), "--at", "2026-03-03T11:00+01:00", "--smtp", smtp]) == 0
    assert len(smtp_server.received) == 2
    assert main(["run", "--db", str(db), "--at", "2026-03-03T12:00+01:00", "--smtp", smtp]) == 0
    assert len(smtp_server.received) == 2
