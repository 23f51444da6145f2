"""`create_app`: the console's routes, each a page built from the store (see `dunning.web`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, quote

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route, Router

from dunning._console import (
    ConsoleStore,
    cover_statuses,
    decide,
    event_details,
    event_instant,
    latest_run_entries,
)
from dunning.core.action_log import EntryStatus, LogEntry
from dunning.core.builtin import DEFAULT_POLICY
from dunning.core.model import check_aware
from dunning.core.policy import ScenarioChoice
from dunning.exceptions import StaleApprovalError
from dunning.runner import resolve
from dunning.web._safety import (
    CSRF_COOKIE,
    EMAIL_POLICY,
    SecurityHeaders,
    cookie_path,
    csrf_token,
)

__all__ = ["Authorize", "create_app"]

Authorize = Callable[[Request], object | None]
"""The host's hook: the user a request is made by (its ``str`` is recorded), or None."""

MAX_FORM_BYTES = 16_384
_THIN_SPACE = "\u202f"
_STYLE = files("dunning.web").joinpath("static", "console.css").read_text(encoding="utf-8")


def _utc() -> datetime:
    return datetime.now(UTC)


def _instant(value: datetime | date | None) -> str:
    """``2026-03-24 09:00 UTC`` (a day alone as ``2026-03-24``)."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _money(amount: Decimal | None, currency: str = "") -> str:
    """``3 150.00 EUR``: thin spaces between thousands, the currency code after."""
    if amount is None:
        return "-"
    digits = format(amount, ",.2f").replace(",", _THIN_SPACE)
    return f"{digits} {currency}".strip()


class _Refused(Exception):  # noqa: N818  (a page to show, not an error of ours)
    """A request answered with a page explaining why (401, 403, 400, 404, 409...)."""

    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(text)
        self.status, self.title, self.text = status, title, text


@dataclass
class _Console:
    store: ConsoleStore
    authorize: Authorize
    scenario: ScenarioChoice
    clock: Callable[[], datetime]
    secret: bytes
    tenant: str | None
    env: jinja2.Environment
    router: Router | None = None

    # -- plumbing ----------------------------------------------------------------------------

    def url(self, request: Request, name: str, **params: str) -> str:
        quoted = {k: quote(v, safe="") for k, v in params.items()}
        root: str = request.scope.get("root_path", "")
        assert self.router is not None  # noqa: S101  (set by create_app)
        return root.rstrip("/") + str(self.router.url_path_for(name, **quoted))

    def user(self, request: Request) -> str:
        user = self.authorize(request)
        if user is None:
            raise _Refused(
                401,
                "Not signed in",
                "This console needs you to sign in. With 'dunning serve', open the URL it "
                "printed (its token works once); in your own application, sign in there.",
            )
        return str(user)

    def now(self) -> datetime:
        at = self.clock()
        check_aware(at)
        return at

    def page(
        self, request: Request, user: str | None, template: str, *, status: int = 200, **ctx: Any
    ) -> HTMLResponse:
        browser = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        html = self.env.get_template(template).render(
            user=user,
            tenant=self.tenant,
            csrf=csrf_token(self.secret, browser, user or ""),
            url=partial(self.url, request),
            customer_of=self.customer,
            **ctx,
        )
        response = HTMLResponse(html, status_code=status)
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(
                CSRF_COOKIE,
                browser,
                path=cookie_path(request),
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        return response

    async def form(self, request: Request, user: str) -> Mapping[str, str]:
        """The POSTed form, once its CSRF token is checked (else 403)."""
        kind = request.headers.get("content-type", "").split(";")[0].strip()
        body = await request.body()
        if kind != "application/x-www-form-urlencoded" or len(body) > MAX_FORM_BYTES:
            raise _Refused(400, "Bad form", "The console takes small url-encoded forms only.")
        fields = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        browser = request.cookies.get(CSRF_COOKIE, "")
        expected = csrf_token(self.secret, browser, user)
        if not browser or not secrets.compare_digest(fields.get("csrf", ""), expected):
            raise _Refused(
                403,
                "Form refused",
                "This form's security token is missing or does not match your session, so "
                "nothing was recorded. Reload the page and try again.",
            )
        return fields

    # -- pages -------------------------------------------------------------------------------

    def customer(self, entry: LogEntry) -> str:
        """The customer's name and id, as an approver knows them (the id alone if unknown)."""
        for cover in entry.covers:
            try:
                name = self.store.invoice(cover.invoice_id).customer.name
            except KeyError:
                continue
            return f"{name} ({entry.customer_id})"
        return entry.customer_id

    def approvals(self, request: Request, user: str) -> Response:
        at = self.now()
        pending = self.store.entries_with(EntryStatus.PENDING_APPROVAL)
        rows = [(e, cover_statuses(self.store, e, self.scenario, at=at)) for e in pending]
        done = self.store.get(request.query_params.get("done", ""))
        uncertain = len(self.store.entries_with(EntryStatus.UNCERTAIN))
        return self.page(
            request, user, "approvals.html", rows=rows, done=done, uncertain=uncertain, at=at
        )

    def approval(
        self, request: Request, user: str, *, status: int = 200, **notice: Any
    ) -> Response:
        key = request.path_params["key"]
        entry = self.store.get(key)
        if entry is None:
            raise _Refused(404, "No such message", f"No message has the key {key!r}.")
        at = self.now()
        statuses = cover_statuses(self.store, entry, self.scenario, at=at)
        return self.page(
            request,
            user,
            "approval.html",
            status=status,
            entry=entry,
            rows=list(zip(entry.covers, statuses, strict=True)),
            pending=entry.status is EntryStatus.PENDING_APPROVAL,
            at=at,
            **{"stale": None, "problem": "", **notice},
        )

    def email(self, request: Request, user: str) -> Response:  # noqa: ARG002
        """An email's HTML as the customer will see it, for the approval page's frame."""
        key = request.path_params["key"]
        entry = self.store.get(key)
        if entry is None or not entry.message.html:
            raise _Refused(404, "No such email", f"No email has the key {key!r}.")
        return HTMLResponse(
            entry.message.html,
            headers={"content-security-policy": EMAIL_POLICY, "x-frame-options": "SAMEORIGIN"},
        )

    def decide(self, request: Request, user: str, fields: Mapping[str, str]) -> Response:
        key = request.path_params["key"]
        verdict = request.path_params["verdict"]
        if verdict not in ("approve", "reject"):
            raise _Refused(404, "No such page", "A message is approved or rejected.")
        approved = verdict == "approve"
        reason = fields.get("reason", "").strip()
        seen = fields.get("seen", "")
        if not seen:
            raise _Refused(400, "Bad form", "The form did not say which preview you saw.")
        if not approved and not reason:
            return self.approval(request, user, status=400, problem="reason")
        try:
            decide(
                self.store,
                key,
                approved=approved,
                by=user,
                at=self.now(),
                seen=seen,
                reason=reason,
            )
        except StaleApprovalError as error:
            return self.approval(request, user, status=409, stale=error)
        except KeyError:
            return self.approval(request, user, status=409, problem="gone")
        return RedirectResponse(self.url(request, "approvals") + f"?done={quote(key)}", 303)

    def uncertain(self, request: Request, user: str, *, status: int = 200) -> Response:
        entries = self.store.entries_with(EntryStatus.UNCERTAIN)
        done = self.store.get(request.query_params.get("done", ""))
        return self.page(request, user, "uncertain.html", status=status, entries=entries, done=done)

    def resolve(self, request: Request, user: str, fields: Mapping[str, str]) -> Response:
        key = request.path_params["key"]
        answer = fields.get("answer", "")
        if answer not in ("delivered", "not_delivered"):
            raise _Refused(400, "Bad form", "Say whether the message was delivered or not.")
        try:
            resolve(self.store, key, delivered=answer == "delivered", by=user, at=self.now())
        except KeyError:
            raise _Refused(
                409, "Already resolved", f"Message {key!r} is no longer uncertain."
            ) from None
        return RedirectResponse(self.url(request, "uncertain") + f"?done={quote(key)}", 303)

    def find_invoice(self, request: Request, user: str) -> Response:  # noqa: ARG002
        ref = request.query_params.get("ref", "").strip()
        if not ref:
            raise _Refused(400, "No invoice given", "Type an invoice number or id.")
        return RedirectResponse(self.url(request, "invoice", ref=ref), 303)

    def invoice(self, request: Request, user: str) -> Response:
        ref = request.path_params["ref"]
        try:
            invoice = self.store.invoice(ref)
        except KeyError as error:
            raise _Refused(404, "No such invoice", str(error.args[0])) from None
        tz = invoice.customer.tz

        def day(when: date | datetime) -> tuple[date, str]:
            if isinstance(when, datetime):
                return when.astimezone(tz).date(), when.astimezone(UTC).isoformat()
            return when, ""

        items: list[tuple[tuple[date, str], str, Any]] = [
            (day(event_instant(e)), "event", (e, event_details(e)))
            for e in self.store.events(invoice.id)
        ]
        items.extend(
            (day(entry.attempted_at or entry.reserved_at), "message", entry)
            for entry in self.store.log_for_invoice(invoice.id)
        )
        items.sort(key=lambda item: item[0])
        return self.page(request, user, "invoice.html", invoice=invoice, items=items)

    def latest_run(self, request: Request, user: str) -> Response:
        at, entries = latest_run_entries(self.store)
        groups: dict[str, list[LogEntry]] = {}
        for entry in entries:
            groups.setdefault(entry.status.value, []).append(entry)
        waiting = {
            s.value: len(self.store.entries_with(s))
            for s in (EntryStatus.PENDING_APPROVAL, EntryStatus.UNCERTAIN)
        }
        return self.page(request, user, "run.html", at=at, groups=groups, waiting=waiting)


def _endpoint(console: _Console, view: Callable[..., Response], *, post: bool = False) -> Any:
    """An async endpoint: authorize, check the form (POST), run *view* off the event loop."""

    async def endpoint(request: Request) -> Response:
        user: str | None = None
        try:
            user = await run_in_threadpool(console.user, request)
            if post:
                fields = await console.form(request, user)
                return await run_in_threadpool(view, request, user, fields)
            return await run_in_threadpool(view, request, user)
        except _Refused as refused:
            return await run_in_threadpool(
                partial(
                    console.page,
                    request,
                    user,
                    "refused.html",
                    status=refused.status,
                    title=refused.title,
                    text=refused.text,
                )
            )

    return endpoint


async def _style(_: Request) -> Response:
    return Response(_STYLE, media_type="text/css")


def create_app(
    store: ConsoleStore,
    *,
    authorize: Authorize,
    tenant: str | None = None,
    scenario: ScenarioChoice = DEFAULT_POLICY,
    clock: Callable[[], datetime] = _utc,
    secret: bytes | None = None,
) -> Starlette:
    """The web console on *store*: an ASGI application a host mounts (see `dunning.web`).

    Args:
        store: the action log and invoices: a `MemoryStore`, `SqliteStore` or
            `PostgresStore` (or a host's store with `dunning._console.ConsoleStore`'s methods).
        authorize: ``authorize(request)`` returns the user (its ``str`` is recorded with each
            decision), or None: the page is refused with 401.
        tenant: the creditor whose book to show, when the store holds several
            (``store.for_tenant(tenant)``); None: the store's own.
        scenario: what picks each customer's scenario (as the runner has it), to say whether
            a message is still due.
        clock: the instant of "now" (decisions, still due); default: the system clock, UTC.
        secret: the key signing the CSRF tokens (default: a random one per app, so forms
            shown before a restart are refused once).

    Returns:
        A Starlette application.

    Examples:
        >>> from starlette.testclient import TestClient
        >>> from dunning.testing import MemoryStore
        >>> app = create_app(MemoryStore(), authorize=lambda request: "claire")
        >>> page = TestClient(app).get("/")
        >>> page.status_code, "No message awaits approval" in page.text
        (200, True)
        >>> page.headers["content-security-policy"].startswith("default-src 'none'")
        True
    """
    if tenant is not None:
        store = store.for_tenant(tenant)  # type: ignore[attr-defined]
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dunning.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["instant"] = _instant
    env.filters["money"] = _money
    console = _Console(
        store=store,
        authorize=authorize,
        scenario=scenario,
        clock=clock,
        secret=secret or secrets.token_bytes(32),
        tenant=tenant,
        env=env,
    )
    get = partial(_endpoint, console)
    routes = [
        Route("/", get(console.approvals), name="approvals"),
        Route("/approvals/{key}", get(console.approval), name="approval"),
        Route("/approvals/{key}/email", get(console.email), name="email"),
        Route(
            "/approvals/{key}/{verdict:str}",
            get(console.decide, post=True),
            methods=["POST"],
            name="decide",
        ),
        Route("/uncertain", get(console.uncertain), name="uncertain"),
        Route(
            "/uncertain/{key}/resolve",
            get(console.resolve, post=True),
            methods=["POST"],
            name="resolve",
        ),
        Route("/invoices", get(console.find_invoice), name="find_invoice"),
        Route("/invoices/{ref:path}", get(console.invoice), name="invoice"),
        Route("/runs/latest", get(console.latest_run), name="latest_run"),
        Route("/console.css", _style, name="style"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
    console.router = app.router
    return app
