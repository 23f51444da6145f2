"""The web console in a real browser: Debian's chromium driven by Playwright (sync API).

The README walkthrough's database on the approval day (24 March 2026): ``dunning serve``
runs as a subprocess, the browser opens the URL it prints, sees the formal notice with its
amounts, meets a stale page (a payment recorded and a run after the page loaded) and its
refusal, approves the new preview; ``dunning run`` then sends the letter, once. Each step is
photographed and the picture checked (a PNG, not tiny); with ``$DUNNING_WRITE_SCREENSHOTS`` set
they replace docs/images/web-*.png (docs/web-console.md shows them), else they go to a temporary
folder, so a test run leaves the repository as it was.

Skips, saying why, without playwright or /usr/bin/chromium; fails instead when
``$DUNNING_REQUIRE_BROWSER`` is set (as .ci/run does).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import dunning
from dunning.cli import main
from tests.helpers import require_extra

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_VARIABLE = "DUNNING_REQUIRE_BROWSER"
ROOT = Path(__file__).parent.parent.parent
DOCS_IMAGES = ROOT / "docs" / "images"
WRITE_VARIABLE = "DUNNING_WRITE_SCREENSHOTS"
README = (ROOT / "README.md").read_text(encoding="utf-8")
NOTICE = "Mise en demeure de payer : facture 2026-0005"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError as error:
        return f"needs playwright (pip install playwright): {error}"
    if not CHROMIUM.exists():
        return f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def _require_browser() -> None:
    reason = _browser_missing()
    if reason is None:
        return
    if os.environ.get(REQUIRE_VARIABLE, "") not in ("", "0"):
        pytest.fail(f"{reason} (and {REQUIRE_VARIABLE} is set)")
    pytest.skip(reason)


require_extra("web")
_require_browser()

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


def walkthrough_until_approval() -> list[list[str]]:
    """The README walkthrough's commands up to the approval (which the browser does)."""
    [block] = re.findall(r"```sh\n(dunning init demo.db.*?)```", README, flags=re.DOTALL)
    commands = [shlex.split(line, comments=True) for line in block.splitlines()]
    until = next(i for i, argv in enumerate(commands) if argv[1] == "approve")
    return [argv[1:] for argv in commands[:until] if argv[1] != "approvals"]


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """demo.db as the README leaves it on 24 March, a formal notice awaiting approval."""
    monkeypatch.chdir(tmp_path)
    for argv in walkthrough_until_approval():
        assert main(argv) == 0, argv
    return tmp_path / "demo.db"


@pytest.fixture
def console(book: Path) -> Iterator[str]:
    """``dunning serve`` on the book, its clock at 16:00 on 24 March; yields the printed URL."""
    with serving(book) as url:
        yield url


@contextlib.contextmanager
def serving(book: Path) -> Iterator[str]:
    """``dunning serve`` on *book* at 16:00 on 24 March 2026, as claire: the URL it prints."""
    env = {**os.environ, "PYTHONPATH": str(Path(dunning.__file__).parent.parent)}
    command = [sys.executable, "-m", "dunning", "serve", "--db", str(book), "--port", "0"]
    command += ["--at", "2026-03-24T16:00+01:00", "--by", "claire"]
    server = subprocess.Popen(  # noqa: S603  (our own interpreter and command)
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    timer = threading.Timer(30, server.kill)  # a server that never prints fails, not hangs
    timer.start()
    line = server.stdout.readline() if server.stdout else ""
    timer.cancel()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{43}\n", line), line + (
            server.stderr.read() if server.stderr and server.poll() is not None else ""
        )
        yield line.strip()
    finally:
        server.terminate()
        server.communicate(timeout=10)  # waits, and closes the pipes


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    """A fresh chromium profile and page."""
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 860},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def shoot(page: Page, name: str) -> None:
    """Photograph the page as web-NAME.png: into docs/images with `WRITE_VARIABLE` set."""
    folder = DOCS_IMAGES if os.environ.get(WRITE_VARIABLE) else SHOTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"web-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000, f"{path.name}: {len(data)} bytes, an empty page?"


SHOTS = Path(tempfile.gettempdir()) / "dunning-web-screenshots"


def letters(outbox: Path) -> list[Path]:
    """The formal notices in the outbox."""
    return [p for p in sorted(outbox.iterdir()) if "MISE EN DEMEURE" in p.read_text("utf-8")]


def test_approve_a_formal_notice_in_the_browser_and_send_it_once(
    console: str, page: Page, book: Path
) -> None:
    """Notice and amounts seen; a stale page refused; the new preview approved; sent once."""
    errors: list[Any] = []
    # The 409 of the stale page and the favicon's 404 are statuses, not faults.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.goto(console)
    assert "token" not in page.url  # the token opened a session and left the address bar
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages awaiting approval")
    row = page.get_by_role("row").filter(has_text=NOTICE)
    expect(row).to_contain_text("2026-0005: 3\u202f150.00 EUR")
    expect(row).to_contain_text("2026-0005: still due")
    shoot(page, "approvals")

    page.get_by_role("link", name=NOTICE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NOTICE)
    expect(page.locator("pre").first).to_contain_text("Solde dû : 3 150,00 €")
    expect(page.get_by_role("cell", name="still due", exact=True)).to_be_visible()
    shoot(page, "approval")

    # After the page loaded: 150.00 paid, and a run refreshes the preview (3,000.00 owed).
    assert (
        main(["record", "payment", "2026-0005", "150.00", "--on", "2026-03-24", "--db", "demo.db"])
        == 0
    )
    assert main(["run", "--db", "demo.db", "--at", "2026-03-24T15:00+01:00"]) == 0
    page.get_by_role("button", name="Approve: the next run sends it").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was recorded: the preview changed")
    expect(page.get_by_role("row").filter(has_text="2026-0005")).to_contain_text(
        "3\u202f000.00 EUR"
    )
    expect(page.locator("pre").first).to_contain_text("Solde dû : 3 000,00 €")
    shoot(page, "stale")

    page.get_by_label("Reason (optional)").fill("checked with the customer's file")
    page.get_by_role("button", name="Approve: the next run sends it").click()
    expect(page.get_by_role("status")).to_contain_text("approved by claire: the next run sends it.")
    expect(page.get_by_text("No message awaits approval.")).to_be_visible()
    shoot(page, "approved")

    page.get_by_label("Invoice number or id").fill("2026-0005")
    page.get_by_role("button", name="Show its history").click()
    approved = page.get_by_role("listitem").filter(has_text="message approved")
    expect(approved).to_contain_text("approved by claire: checked with the customer's file")

    outbox = book.parent / "demo-outbox"
    assert letters(outbox) == []
    assert main(["run", "--db", "demo.db", "--at", "2026-03-24T17:00+01:00"]) == 0
    assert main(["run", "--db", "demo.db", "--at", "2026-03-24T17:00+01:00"]) == 0
    [letter] = letters(outbox)
    text = letter.read_text("utf-8").replace("\u00a0", " ").replace("\u202f", " ")
    assert "Solde dû : 3 000,00 €" in text

    page.get_by_label("Invoice number or id").fill("2026-0005")
    page.get_by_role("button", name="Show its history").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice 2026-0005")
    sent = (
        page.get_by_role("listitem")
        .filter(has_text="message sent")
        .filter(has_text="formal_notice")
    )
    expect(sent).to_contain_text("decided by claire on 2026-03-24 15:00 UTC")
    shoot(page, "history")

    page.get_by_role("link", name="Latest run").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Latest run")
    shoot(page, "run")
    assert errors == []  # no CSP violation, no script error


def test_without_the_token_the_console_is_closed(console: str, page: Page) -> None:
    """The bare address answers 401; the token works once, then the cookie does."""
    bare = console.split("?", maxsplit=1)[0]
    response = page.goto(bare)
    assert response is not None
    assert response.status == 401
    expect(page.get_by_role("heading", level=1)).to_have_text("Not signed in")
    page.goto(console)
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages awaiting approval")
    page.context.clear_cookies()
    response = page.goto(console)  # the same token, a second time
    assert response is not None
    assert response.status == 401


EMAIL_HTML = (
    '<p id="notice" style="color: rgb(170, 0, 0); font-weight: 700">Mise en demeure</p>'
    '<img id="pixel" alt="" src="https://tracker.example/open.png">'
    "<script>document.body.dataset.ran = 'yes'</script>"
)


@pytest.fixture
def email_book(tmp_path: Path) -> Path:
    """A book whose one formal notice is an email, styled inline, awaiting approval."""
    from dunning import Channel  # noqa: PLC0415
    from dunning.adapters.sqlite import SqliteStore  # noqa: PLC0415
    from dunning.core.action_log import Covered, EntryStatus, LogEntry  # noqa: PLC0415
    from dunning.core.engine import action_id  # noqa: PLC0415
    from dunning.core.render import Message  # noqa: PLC0415
    from dunning.testing import make_invoice, paris  # noqa: PLC0415

    at = paris(2026, 3, 24, 10)
    invoice = make_invoice(id="INV-1", number="2026-0001", due_on=date(2026, 2, 2))
    cover = Covered("INV-1", action_id("INV-1", "formal_notice"), "formal_notice", Decimal(1200))
    message = Message(
        action_id="msg_email",
        channel=Channel.EMAIL,
        template="formal_notice",
        locale="fr_FR",
        subject=NOTICE,
        text="Mise en demeure",
        html=EMAIL_HTML,
        to="compta@client.example",
    )
    entry = LogEntry(
        key="msg_email",
        customer_id=invoice.customer.id,
        channel=Channel.EMAIL,
        covers=(cover,),
        message=message,
        status=EntryStatus.PENDING_APPROVAL,
        owner="r1",
        reserved_at=at,
        updated_at=at,
        requires_approval=True,
    )
    path = tmp_path / "email.db"
    with SqliteStore(path) as store:
        store.add_invoice(invoice)
        assert store.reserve(entry)
    return path


def test_an_email_is_previewed_with_its_own_styles_and_nothing_else(
    email_book: Path, page: Page
) -> None:
    """The approver sees the email's inline styles; its script and remote image stay dead."""
    failed: list[tuple[str, str | None]] = []
    answered: list[str] = []
    page.on("requestfailed", lambda r: failed.append((r.url, r.failure)))
    page.on("response", lambda r: answered.append(r.url))
    with serving(email_book) as url:
        page.goto(url)  # the token opens a session
        page.goto(url.split("?", maxsplit=1)[0] + "approvals/msg_email")
        frame = page.frame_locator("iframe")
        notice = frame.locator("#notice")
        expect(notice).to_have_text("Mise en demeure")
        style = notice.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).fontWeight]")
        assert style == ["rgb(170, 0, 0)", "700"]  # as the customer's mail client shows it
        assert frame.locator("body").evaluate("b => b.dataset.ran ?? 'no'") == "no"
        assert frame.locator("#pixel").evaluate("i => i.naturalWidth") == 0
    # The tracking pixel was stopped by the frame's policy in the browser, never fetched.
    assert failed == [("https://tracker.example/open.png", "csp")]
    assert not [u for u in answered if "tracker" in u]
