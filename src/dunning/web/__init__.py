"""The web console: approvals, uncertain sends, histories, the latest run (``dunning[web]``).

`create_app` returns an ASGI application that a host mounts in its own web application (or
that ``dunning serve`` runs on 127.0.0.1 for a small user). It has no user database: the host's
``authorize(request)`` hook says who the user is, and every decision is recorded under that
name with the instant of the app's clock.

Pages (server-rendered, no JavaScript): ``/`` the messages awaiting approval; ``/approvals/KEY``
one of them, its letter as the debtor reads it, its invoices and amounts, whether each is
still due now (or why not), approve and reject forms carrying the preview version shown (a
preview changed since is refused, and the new one shown); ``/uncertain`` the sends whose
outcome is unknown, to resolve; ``/invoices/REF`` an invoice's events and messages on one time
line; ``/runs/latest`` what the latest run did. Safety: see `dunning.web._safety`.

Why Starlette: it is small (no dependencies beyond anyio), maintained (by Encode, the
authors of uvicorn and httpx), plain ASGI (it mounts in any ASGI host, FastAPI being built on
it), and ships a test client. Forms are parsed with `urllib.parse` (one url-encoded field set
per page), so python-multipart is not needed; uvicorn serves ``dunning serve``.
"""

from __future__ import annotations

try:
    import starlette  # noqa: F401  (only to name the extra when it is missing)
except ImportError as error:  # pragma: no cover  (the extra is installed for the tests)
    msg = "the web console needs the web extra: pip install 'dunning[web]'"
    raise ImportError(msg) from error

from dunning.web._app import Authorize, create_app
from dunning.web._safety import TokenLogin

__all__ = ["Authorize", "TokenLogin", "create_app"]
