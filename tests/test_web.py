"""The web console (`dunning.web`): every route, CSRF, stale previews, authorization, escaping.

Each test runs on a `MemoryStore` and on a `SqliteStore`; one runs on PostgreSQL. The book: two
1,200.00 EUR invoices due on 3 April 2026, for two customers; the first one's number holds a
``<script>`` tag, which every page must escape. The run at `RUN` (the latest run, J+31) left
the first one's "informative" email awaiting approval (this host approves every message) and
sent the second one's SMS with an unknown outcome (uncertain). The console's clock is `NOW`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import require_extra

require_extra("web")

from starlette.applications import Starlette  # noqa: E402  (after the extra is known)
from starlette.routing import Mount  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from dunning import STANDARD, Channel  # noqa: E402
from dunning.adapters.memory import MemoryStore  # noqa: E402
from dunning.adapters.sqlite import SqliteStore  # noqa: E402
from dunning.core.action_log import Covered, EntryStatus, LogEntry  # noqa: E402
from dunning.core.engine import action_id  # noqa: E402
from dunning.core.model import Payment  # noqa: E402
from dunning.core.render import Message  # noqa: E402
from dunning.testing import make_customer, make_invoice, paris  # noqa: E402
from dunning.web import TokenLogin, create_app  # noqa: E402
from tests.postgres_cluster import Cluster  # noqa: E402

NUMBER = "<script>alert(1)</script>"
INVOICE = make_invoice(id="INV-001", number=NUMBER, due_on=date(2026, 4, 3))
OTHER = make_invoice(
    id="INV-002",
    number="2026-0002",
    due_on=date(2026, 4, 3),
    customer=make_customer(id="C-002", name="Menuiserie Petit"),
)
RUN = paris(2026, 5, 4, 10)  # 10:30 in Paris, 08:30 UTC: STANDARD's "informative" is due
NOW = paris(2026, 5, 4, 16)  # 16:30 in Paris, 14:30 UTC
NOTICE = "msg_notice"
UNSURE = "msg_unsure"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
HTML = "<p>Mise en demeure <img src=https://tracker.example/x.png></p>"


def _entry(key: str, invoice_id: str, status: EntryStatus, channel: Channel) -> LogEntry:
    step = "informative"
    cover = Covered(invoice_id, action_id(invoice_id, step), step, Decimal("1200.00"))
    message = Message(
        action_id=key,
        channel=channel,
        template=step,
        locale="fr_FR",
        subject=f"{step} {NUMBER}",
        text=f"Facture {NUMBER}: 1 200,00 EUR",
        html=HTML if channel is Channel.EMAIL else None,
        to="compta@client.example",
    )
    return LogEntry(
        key=key,
        customer_id="C-001" if invoice_id == "INV-001" else "C-002",
        channel=channel,
        covers=(cover,),
        message=message,
        status=status,
        owner="r1",
        reserved_at=RUN,
        updated_at=RUN,
        requires_approval=status is EntryStatus.PENDING_APPROVAL,
    )


def fill(store: Any) -> Any:
    """The book of the module docstring, in *store*."""
    store.add_invoice(INVOICE)
    store.add_invoice(OTHER)
    assert store.reserve(_entry(NOTICE, "INV-001", EntryStatus.PENDING_APPROVAL, Channel.EMAIL))
    assert store.reserve(_entry(UNSURE, "INV-002", EntryStatus.RESERVED, Channel.SMS))
    claimed = store.begin_attempt(
        UNSURE, owner="r1", expect=EntryStatus.RESERVED, expect_attempts=0, at=RUN
    )
    assert claimed is not None
    store.finish(UNSURE, EntryStatus.UNCERTAIN, at=RUN, reason="the provider timed out")
    store.record_run(RUN)
    return store


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """The book, in memory and in a SQLite file."""
    if request.param == "memory":
        yield fill(MemoryStore())
        return
    with SqliteStore(tmp_path / "console.db") as sqlite_store:
        yield fill(sqlite_store)


def client(store: Any, user: str | None = "claire", **options: Any) -> TestClient:
    """A browser on the console, signed in as *user* (None: refused)."""
    app = create_app(
        store, authorize=lambda _: user, scenario=STANDARD, clock=lambda: NOW, **options
    )
    return TestClient(app, follow_redirects=False)


def token(page: str) -> str:
    """The CSRF token of the page's first form."""
    found = CSRF.search(page)
    assert found is not None, page
    return found.group(1)


def test_the_approvals_list_shows_the_notice_amounts_and_whether_still_due(store: Any) -> None:
    """``/``: the subject (escaped), the invoice, its amount in the preview, still due."""
    page = client(store).get("/")
    assert page.status_code == 200
    assert "informative &lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: 1\u202f200.00 EUR" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: still due" in page.text
    assert "1 uncertain send</a>" in page.text
    assert '<a href="/approvals/msg_notice">' in page.text
    assert "<td>Boulangerie Martin SARL (C-001)</td>" in page.text  # as the approver knows it
    assert "<script>" not in page.text


def test_the_approval_page_shows_the_letter_sandboxed_and_the_forms(store: Any) -> None:
    """One approval: its letter in a sandboxed frame, amounts, preview date, version in forms."""
    page = client(store).get(f"/approvals/{NOTICE}")
    assert page.status_code == 200
    version = store.get(NOTICE).version
    assert (
        f'<iframe title="The email\'s HTML body" sandbox src="/approvals/{NOTICE}/email"></iframe>'
    ) in page.text
    assert page.text.count(f'name="seen" value="{version}"') == 2
    assert "<td>1\u202f200.00 EUR</td>" in page.text  # in the preview, and owed now
    assert "2026-05-04 08:30 UTC" in page.text  # the preview's date: 10:30 in Paris
    assert '<td class="ok">still due</td>' in page.text
    assert "<dt>Customer</dt><dd>Boulangerie Martin SARL (C-001)</dd>" in page.text
    assert '<label for="reject-reason">Reason (required to reject)</label>' in page.text
    assert '<button type="submit" class="approve">' in page.text
    assert "<script>" not in page.text


def test_the_email_frame_shows_its_own_styles_and_nothing_else(store: Any) -> None:
    """The frame's HTML: inline styles apply; no script, remote image, form or foreign framing."""
    browser = client(store)
    email = browser.get(f"/approvals/{NOTICE}/email")
    assert email.status_code == 200
    assert email.text == store.get(NOTICE).message.html  # as rendered for the customer
    policy = email.headers["content-security-policy"]
    assert policy.split("; ") == [
        "default-src 'none'",  # no script, font, connection... (nothing is listed for them)
        "style-src 'unsafe-inline'",  # the email's own styles: it looks as sent
        "img-src data:",  # the tracker.example pixel in this email does not load
        "form-action 'none'",
        "frame-ancestors 'self'",  # our approval page only
        "base-uri 'none'",
        "sandbox",
    ]
    assert email.headers["x-frame-options"] == "SAMEORIGIN"
    assert email.headers["x-content-type-options"] == "nosniff"
    assert browser.get("/approvals/msg_nothing/email").status_code == 404
    assert browser.get("/").headers["x-frame-options"] == "DENY"  # the pages stay unframable


def test_approving_records_the_user_and_the_instant(store: Any) -> None:
    """Approve with the version seen: approved by the authorized user at the clock's instant."""
    browser = client(store)
    page = browser.get(f"/approvals/{NOTICE}")
    version = store.get(NOTICE).version
    done = browser.post(
        f"/approvals/{NOTICE}/approve",
        data={"csrf": token(page.text), "seen": version, "reason": ""},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/?done=msg_notice"
    entry = store.get(NOTICE)
    assert (entry.status, entry.decided_by, entry.decided_at) == (
        EntryStatus.APPROVED,
        "claire",
        NOW,
    )
    shown = browser.get(done.headers["location"])
    assert "Message msg_notice approved by claire: the next run sends it." in shown.text
    assert "No message awaits approval." in shown.text


def test_rejecting_needs_a_reason_and_keeps_it(store: Any) -> None:
    """Without a reason nothing is recorded (400); with one, the entry keeps it."""
    browser = client(store)
    page = browser.get(f"/approvals/{NOTICE}")
    form = {"csrf": token(page.text), "seen": store.get(NOTICE).version}
    refused = browser.post(f"/approvals/{NOTICE}/reject", data={**form, "reason": "  "})
    assert refused.status_code == 400
    assert "Give a reason to reject the message" in refused.text
    assert store.get(NOTICE).status is EntryStatus.PENDING_APPROVAL
    done = browser.post(f"/approvals/{NOTICE}/reject", data={**form, "reason": "paid by cheque"})
    assert done.status_code == 303
    entry = store.get(NOTICE)
    assert (entry.status, entry.decided_by, entry.decided_at, entry.reason) == (
        EntryStatus.REJECTED,
        "claire",
        NOW,
        "rejected by claire: paid by cheque",
    )
    assert (
        "Message msg_notice rejected by claire: it will never be sent."
        in browser.get(done.headers["location"]).text
    )


def test_a_stale_preview_is_refused_and_the_new_one_shown(store: Any) -> None:
    """The preview changed after the page loaded: 409, nothing recorded, the new version shown."""
    browser = client(store)
    page = browser.get(f"/approvals/{NOTICE}")
    seen = store.get(NOTICE).version
    old = store.get(NOTICE)
    # A run refreshed the preview: the customer paid 200.00, 1,000.00 is owed now.
    store.add_event("INV-001", Payment(on=date(2026, 5, 4), amount=Decimal("200.00")))
    store.revise(
        NOTICE,
        expect=EntryStatus.PENDING_APPROVAL,
        expect_attempts=0,
        status=EntryStatus.PENDING_APPROVAL,
        covers=(replace(old.covers[0], amount_due=Decimal("1000.00")),),
        message=old.message.model_copy(update={"text": "Facture: 1 000,00 EUR"}),
        at=NOW,
        reason="amounts changed",
    )
    current = store.get(NOTICE).version
    assert current != seen
    refused = browser.post(
        f"/approvals/{NOTICE}/approve", data={"csrf": token(page.text), "seen": seen}
    )
    assert refused.status_code == 409
    assert "Nothing was recorded: the preview changed" in refused.text
    assert f"You decided on version {seen} of this message, but it is now version {current}" in (
        refused.text
    )
    assert f'name="seen" value="{current}"' in refused.text
    assert "<td>1\u202f000.00 EUR</td>" in refused.text
    assert "Facture: 1 000,00 EUR" in refused.text
    assert store.get(NOTICE).status is EntryStatus.PENDING_APPROVAL


def test_a_message_decided_meanwhile_is_refused(store: Any) -> None:
    """Someone else decided first: 409 with a clear message, the decision stands."""
    browser = client(store)
    page = browser.get(f"/approvals/{NOTICE}")
    seen = store.get(NOTICE).version
    store.decide_approval(NOTICE, approved=False, by="marc", at=NOW)
    refused = browser.post(
        f"/approvals/{NOTICE}/approve", data={"csrf": token(page.text), "seen": seen}
    )
    assert refused.status_code == 409
    assert "This message no longer awaits approval" in refused.text
    assert "rejected, decided by marc" in refused.text
    assert 'name="seen"' not in refused.text  # no form for a decided message
    assert store.get(NOTICE).decided_by == "marc"


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"csrf": "0" * 64},
        {"csrf": "forged"},
    ],
)
def test_a_post_without_the_right_csrf_token_is_refused(store: Any, form: dict[str, str]) -> None:
    """No token, or a wrong one: 403 with a page saying why; nothing is recorded."""
    browser = client(store)
    browser.get("/")
    seen = store.get(NOTICE).version
    refused = browser.post(f"/approvals/{NOTICE}/approve", data={**form, "seen": seen})
    assert refused.status_code == 403
    assert "<h1>Form refused</h1>" in refused.text
    assert "nothing was recorded" in refused.text
    assert store.get(NOTICE).status is EntryStatus.PENDING_APPROVAL


def test_a_token_is_bound_to_its_browser_and_user(store: Any) -> None:
    """A token from another browser (cookie) or for another user does not pass."""
    alice = client(store, user="alice")
    stolen = token(alice.get("/uncertain").text)
    other = client(store, user="alice")
    other.get("/")
    post = {"csrf": stolen, "answer": "delivered"}
    assert other.post(f"/uncertain/{UNSURE}/resolve", data=post).status_code == 403
    bob = client(store, user="bob")
    bob.cookies = alice.cookies
    assert bob.post(f"/uncertain/{UNSURE}/resolve", data=post).status_code == 403
    assert store.get(UNSURE).status is EntryStatus.UNCERTAIN
    assert alice.post(f"/uncertain/{UNSURE}/resolve", data=post).status_code == 303


def test_a_post_that_is_not_a_small_url_encoded_form_is_refused(store: Any) -> None:
    """JSON or an oversized body: 400, nothing recorded."""
    browser = client(store)
    browser.get("/")
    assert browser.post(f"/approvals/{NOTICE}/approve", json={"seen": "x"}).status_code == 400
    big = {"csrf": "x", "reason": "a" * 20_000}
    assert browser.post(f"/approvals/{NOTICE}/approve", data=big).status_code == 400
    assert store.get(NOTICE).status is EntryStatus.PENDING_APPROVAL


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", f"/approvals/{NOTICE}"),
        ("POST", f"/approvals/{NOTICE}/approve"),
        ("GET", "/uncertain"),
        ("POST", f"/uncertain/{UNSURE}/resolve"),
        ("GET", "/invoices?ref=INV-001"),
        ("GET", "/invoices/INV-001"),
        ("GET", "/runs/latest"),
    ],
)
def test_without_a_user_every_page_is_refused(store: Any, method: str, path: str) -> None:
    """authorize() says None: 401 and a page saying how to sign in, nothing shown or recorded."""
    refused = client(store, user=None).request(method, path)
    assert refused.status_code == 401
    assert "<h1>Not signed in</h1>" in refused.text
    assert "msg_notice" not in refused.text
    assert "Console" not in refused.text  # no navigation for a stranger
    assert store.get(NOTICE).status is EntryStatus.PENDING_APPROVAL


def test_a_customer_whose_invoice_is_gone_is_shown_by_id(store: Any) -> None:
    """No invoice of the message in the book any more: the customer's id, not an error."""
    gone = _entry("msg_gone", "INV-404", EntryStatus.RESERVED, Channel.SMS)
    assert store.reserve(gone)
    assert store.begin_attempt(
        "msg_gone", owner="r1", expect=EntryStatus.RESERVED, expect_attempts=0, at=RUN
    )
    store.finish("msg_gone", EntryStatus.UNCERTAIN, at=RUN, reason="lost")
    page = client(store).get("/uncertain")
    assert page.status_code == 200
    assert "<td>C-002</td>" in page.text  # _entry gives INV-404 to customer C-002
    assert "<td>Menuiserie Petit (C-002)</td>" in page.text  # the other one, found


def test_resolving_an_uncertain_send(store: Any) -> None:
    """``/uncertain`` lists it with its reason; "not delivered" makes it retry, by claire."""
    browser = client(store)
    page = browser.get("/uncertain")
    assert "the provider timed out" in page.text
    assert "<td>Menuiserie Petit (C-002)</td>" in page.text
    assert '<button type="submit" name="answer" value="delivered">' in page.text
    done = browser.post(
        f"/uncertain/{UNSURE}/resolve", data={"csrf": token(page.text), "answer": "not_delivered"}
    )
    assert done.status_code == 303
    entry = store.get(UNSURE)
    assert (entry.status, entry.resolved_by, entry.updated_at) == (EntryStatus.RETRY, "claire", NOW)
    shown = browser.get(done.headers["location"])
    assert "resolved by claire: not delivered" in shown.text
    assert "No send is uncertain." in shown.text
    again = browser.post(
        f"/uncertain/{UNSURE}/resolve", data={"csrf": token(page.text), "answer": "delivered"}
    )
    assert again.status_code == 409
    bad = browser.post(
        f"/uncertain/{UNSURE}/resolve", data={"csrf": token(page.text), "answer": "maybe"}
    )
    assert bad.status_code == 400


def test_an_invoices_history_puts_events_and_messages_on_one_time_line(store: Any) -> None:
    """Found by number (escaped in the URL and the page) or id; events and messages in order."""
    store.add_event("INV-001", Payment(on=date(2026, 4, 20), amount=Decimal("100.00")))
    browser = client(store)
    found = browser.get("/invoices", params={"ref": NUMBER})
    assert found.status_code == 303
    assert found.headers["location"] == "/invoices/%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
    page = browser.get(found.headers["location"])
    assert page.status_code == 200
    assert "<h1>Invoice &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page.text
    payment = page.text.index("<strong>payment</strong>")
    pending = page.text.index("<strong>message pending approval</strong>")
    assert payment < pending  # 20 April, then the run of 4 May
    assert "msg_unsure" not in page.text  # the other invoice's
    assert "amount: 100.00" in page.text
    assert '<a href="/approvals/msg_notice">msg_notice</a>' in page.text
    assert "<script>" not in page.text
    assert browser.get("/invoices/INV-404").status_code == 404
    assert browser.get("/invoices?ref=").status_code == 400


def test_the_latest_run_shows_what_it_did(store: Any) -> None:
    """The run's instant, its messages by status, and what waits for a person."""
    page = client(store).get("/runs/latest")
    assert "The latest run was at <strong>2026-05-04 08:30 UTC</strong>" in page.text
    assert "<caption>1 pending approval</caption>" in page.text
    assert "<caption>1 uncertain</caption>" in page.text
    assert '1 awaiting approval</a>, <a href="/uncertain">1 uncertain</a>' in page.text
    assert "No run has been recorded yet." in client(MemoryStore()).get("/runs/latest").text


def test_unknown_messages_and_verdicts_are_404(store: Any) -> None:
    """A key nobody has, or a verdict other than approve/reject."""
    browser = client(store)
    assert browser.get("/approvals/msg_nobody").status_code == 404
    page = browser.get("/")
    bad = browser.post(
        f"/approvals/{NOTICE}/maybe",
        data={"csrf": token(browser.get(f"/approvals/{NOTICE}").text), "seen": "x"},
    )
    assert page.status_code == 200
    assert bad.status_code == 404


def test_every_response_carries_the_security_headers(store: Any) -> None:
    """CSP (nothing loads but our style sheet), nosniff, no referrer, no framing, no cache."""
    browser = client(store)
    for response in (browser.get("/"), browser.get("/console.css"), browser.get("/nowhere")):
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
    first = client(store).get("/")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("dunning_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie


def test_the_one_time_token_opens_a_session_once(store: Any) -> None:
    """``?token=`` sets an HttpOnly, SameSite=Strict cookie and redirects; it works once."""
    login = TokenLogin("claire", token="s3cret-token")  # noqa: S106  (a test's token)
    app = login.wrap(create_app(store, authorize=login.authorize, clock=lambda: NOW))
    browser = TestClient(app, follow_redirects=False)
    assert browser.get("/").status_code == 401
    assert browser.get("/?token=wrong").status_code == 401
    opened = browser.get("/runs/latest?token=s3cret-token")
    assert opened.status_code == 303
    assert opened.headers["location"] == "/runs/latest"
    assert opened.headers["content-security-policy"].startswith("default-src 'none'")
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith("dunning_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert browser.get("/").status_code == 200
    stranger = TestClient(app, follow_redirects=False)
    assert stranger.get("/?token=s3cret-token").status_code == 401  # used already


def _mounted_in_starlette(console: Starlette) -> Any:
    return Starlette(routes=[Mount("/dunning", app=console)])


def _mounted_as_django_does(console: Starlette) -> Any:
    """The docs' Django asgi.py: a prefix goes to the console, with its root_path."""

    async def django(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
        raise AssertionError(scope["path"])

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/dunning/"):
            scope = {**scope, "root_path": scope.get("root_path", "") + "/dunning"}
            await console(scope, receive, send)
        else:
            await django(scope, receive, send)

    return asgi


@pytest.mark.parametrize("mount", [_mounted_in_starlette, _mounted_as_django_does])
def test_mounted_under_a_prefix_links_and_forms_stay_under_it(
    store: Any, mount: Callable[[Starlette], Any]
) -> None:
    """Under /dunning: links, forms, cookies and redirects carry the prefix."""
    console = create_app(store, authorize=lambda _: "claire", clock=lambda: NOW)
    browser = TestClient(mount(console), follow_redirects=False)
    page = browser.get("/dunning/")
    assert page.status_code == 200
    assert '<a href="/dunning/approvals/msg_notice">' in page.text
    assert '<link rel="stylesheet" href="/dunning/console.css">' in page.text
    assert "Path=/dunning/" in page.headers["set-cookie"]
    assert browser.get("/dunning/console.css").status_code == 200
    form = browser.get(f"/dunning/approvals/{NOTICE}").text
    assert f'action="/dunning/approvals/{NOTICE}/approve"' in form
    done = browser.post(
        f"/dunning/approvals/{NOTICE}/approve",
        data={"csrf": token(form), "seen": store.get(NOTICE).version},
    )
    assert done.headers["location"] == "/dunning/?done=msg_notice"
    assert store.get(NOTICE).status is EntryStatus.APPROVED


def test_a_tenant_shows_that_creditors_book_only(tmp_path: Path) -> None:
    """``tenant=``: the store's ``for_tenant``; its name is in the header."""
    with SqliteStore(tmp_path / "shared.db") as shared:
        fill(shared.for_tenant("acme"))
        mine = client(shared, tenant="acme").get("/")
        theirs = client(shared, tenant="globex").get("/")
    assert "msg_notice" in mine.text
    assert "· acme</span>" in mine.text
    assert "No message awaits approval." in theirs.text


def test_the_console_works_on_postgresql(postgres_cluster: Cluster, postgres_schema: str) -> None:
    """The same approval, stale refusal and history on a PostgresStore."""
    require_extra("postgres")
    from dunning.adapters.postgres import PostgresStore  # noqa: PLC0415

    with PostgresStore(postgres_cluster.url(), schema=postgres_schema) as pg:
        fill(pg)
        browser = client(pg)
        page = browser.get(f"/approvals/{NOTICE}")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        stale = browser.post(
            f"/approvals/{NOTICE}/approve", data={"csrf": token(page.text), "seen": "0" * 12}
        )
        assert stale.status_code == 409
        shown = pg.get(NOTICE)
        assert shown is not None
        done = browser.post(
            f"/approvals/{NOTICE}/approve",
            data={"csrf": token(page.text), "seen": shown.version},
        )
        assert done.status_code == 303
        decided = pg.get(NOTICE)
        assert decided is not None
        assert (decided.status, decided.decided_by) == (EntryStatus.APPROVED, "claire")
        history = browser.get("/invoices/INV-001").text
        assert "decided by claire on 2026-05-04 14:30 UTC" in history
        assert "<caption>1 uncertain</caption>" in browser.get("/runs/latest").text


def test_the_docs_starlette_example_mounts_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/web-console.md's Starlette block runs; its console answers under /dunning."""
    text = (Path(__file__).parent.parent / "docs" / "web-console.md").read_text(encoding="utf-8")
    starlette_block = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(starlette_block, namespace)  # noqa: S102  (the docs' own code)
    browser = TestClient(namespace["app"], follow_redirects=False)
    assert browser.get("/dunning/").status_code == 401
    page = browser.get("/dunning/", headers={"x-user": "claire"})
    assert page.status_code == 200
    assert "Signed in as <strong>claire</strong>" in page.text
