"""The console's safety: response headers, the CSRF token, and the one-time login of ``serve``.

- Every response carries a restrictive Content-Security-Policy (nothing but our own style
  sheet loads, forms post only to us, no one may frame us), ``nosniff``, ``no-referrer`` (the
  login token is in a URL) and ``no-store``. An email's HTML, shown in a frame to an approver,
  has its own (`EMAIL_POLICY`): its inline styles apply, nothing else runs or loads.
- CSRF: a random per-browser cookie (HttpOnly, SameSite=Strict) and, in every form, an HMAC
  of it and of the user under the app's secret. A POST is refused (403) unless the form's
  token is that HMAC (`hmac.compare_digest`): another site can neither read the cookie nor
  compute the token.
- `TokenLogin`: what ``dunning serve`` uses instead of a host's users. The URL it prints
  carries a one-time token; the first request with it gets a session cookie and is redirected
  to the same page without the token. The token works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from urllib.parse import parse_qs

from starlette.datastructures import URL, MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSRF_COOKIE",
    "EMAIL_POLICY",
    "SESSION_COOKIE",
    "SecurityHeaders",
    "TokenLogin",
    "csrf_token",
]

CSRF_COOKIE = "dunning_csrf"
SESSION_COOKIE = "dunning_session"

POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""The Content-Security-Policy of every page: our style sheet, and frames from us only (an
email's HTML, `EMAIL_POLICY`)."""

EMAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
    "frame-ancestors 'self'; base-uri 'none'; sandbox"
)
"""The Content-Security-Policy of an email's HTML shown to an approver, in a frame of ours.

Its own inline styles apply, so it looks as the customer will see it; nothing else does: no
script (and ``sandbox`` even if the frame's attribute were dropped), no remote image (a
tracking pixel does not fire when someone previews), no form, no framing by another site."""

HEADERS = (
    ("content-security-policy", POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
)


class SecurityHeaders:
    """ASGI middleware adding `HEADERS` to every HTTP response of *app*."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap *app*."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS:
                    headers.setdefault(name, value)  # a response may set its own (an email)
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(secret: bytes, browser: str, user: str) -> str:
    """The token a form carries: an HMAC of the browser's CSRF cookie and the user.

    Examples:
        >>> csrf_token(b"k", "b1", "claire") == csrf_token(b"k", "b1", "claire")
        True
        >>> csrf_token(b"k", "b1", "claire") == csrf_token(b"k", "b1", "marc")
        False
    """
    return hmac.new(secret, f"{browser}\x00{user}".encode(), hashlib.sha256).hexdigest()


def cookie_path(request: Request) -> str:
    """The path the console's cookies are scoped to: where the host mounted it."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/") + "/"


class TokenLogin:
    """A one-time login token and the sessions it opened: ``dunning serve``'s authorization.

    Use `authorize` as `create_app`'s *authorize*, and `wrap` the app.

    Args:
        user: the name every decision is recorded under.
        token: the token of the URL (default: a new ``secrets.token_urlsafe(32)``).

    Examples:
        >>> login = TokenLogin("claire", token="t0k")
        >>> login.token, login.user
        ('t0k', 'claire')
    """

    def __init__(self, user: str, *, token: str | None = None) -> None:
        """A login for *user* with a fresh (or the given) one-time *token*."""
        self.user = user
        self.token = token or secrets.token_urlsafe(32)
        self._used = False
        self._sessions: set[str] = set()

    def authorize(self, request: Request) -> str | None:
        """The user, for a request carrying a session this login opened; else None."""
        session = request.cookies.get(SESSION_COOKIE, "")
        known = any(hmac.compare_digest(session, s) for s in self._sessions)
        return self.user if session and known else None

    def exchange(self, offered: Iterable[str]) -> str | None:
        """A new session id if one of *offered* is the token, unused so far; else None."""
        for token in offered:
            if not self._used and hmac.compare_digest(token.encode(), self.token.encode()):
                self._used = True
                session = secrets.token_urlsafe(32)
                self._sessions.add(session)
                return session
        return None

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """*app*, where a GET with the token gets a session cookie and a redirect without it.

        The redirect carries the console's security headers too (`SecurityHeaders`).
        """

        async def login(scope: Scope, receive: Receive, send: Send) -> None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if scope["type"] == "http" and scope["method"] == "GET" and "token" in query:
                request = Request(scope)
                session = self.exchange(query["token"])
                if session is not None:
                    target = URL(scope=scope).replace(query="")
                    response = RedirectResponse(target.path or "/", status_code=303)
                    response.set_cookie(
                        SESSION_COOKIE,
                        session,
                        path=cookie_path(request),
                        httponly=True,
                        samesite="strict",
                        secure=request.url.scheme == "https",
                    )
                    await response(scope, receive, send)
                    return
            await app(scope, receive, send)

        return SecurityHeaders(login)
