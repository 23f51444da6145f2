"""``dunning serve``: the web console (`dunning.web`) on 127.0.0.1, for one person.

It prints a URL with a one-time token, as Jupyter does (``http://127.0.0.1:P/?token=...``):
opening it gives the browser a session cookie (HttpOnly, SameSite=Strict); without it every
page answers 401. Decisions are recorded under the login name (or ``--by``).
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from datetime import UTC, datetime

from dunning._cli_shell import chooser, open_store, with_db, with_scenario
from dunning._cli_types import instant_arg
from dunning.core.shards import DEFAULT_TENANT

__all__ = ["register"]


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:  # noqa: PLR2004
        msg = f"{text!r} is not a port number from 0 (any free port) to 65535"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: PLC0415  (an extra)

        from dunning.web import TokenLogin, create_app  # noqa: PLC0415
    except ImportError:
        need = "error: 'dunning serve' needs the web extra: pip install 'dunning[web]'"
        print(need, file=sys.stderr)
        return 1
    at: datetime | None = args.at
    login = TokenLogin(args.by or getpass.getuser())
    with open_store(args) as store:
        app = create_app(
            store,
            authorize=login.authorize,
            tenant=None if args.tenant == DEFAULT_TENANT else args.tenant,
            scenario=chooser(args),
            clock=(lambda: at) if at is not None else (lambda: datetime.now(UTC)),
        )
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", args.port))  # never another interface: one person's console
        port = listener.getsockname()[1]
        listener.listen(128)  # the URL works the moment it is printed (queued until served)
        print(f"http://127.0.0.1:{port}/?token={login.token}", flush=True)
        print("open this URL in your browser (its token works once); Ctrl+C stops", flush=True)
        server = uvicorn.Server(
            uvicorn.Config(login.wrap(app), log_level="warning", server_header=False)
        )
        server.run(sockets=[listener])
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``dunning serve`` to the ``dunning`` parser."""
    serve = sub.add_parser(
        "serve", help="the web console on 127.0.0.1: approvals, uncertain sends, histories"
    )
    with_db(serve)
    serve.add_argument(
        "--port", type=_port, default=8000, help="the port (default 8000; 0: any free one)"
    )
    serve.add_argument("--by", help="who decides (default: the login name)")
    serve.add_argument(
        "--at",
        type=instant_arg,
        help="the instant decisions are recorded at and 'still due' is asked at, fixed"
        " (default: now, as it goes; for demos and tests)",
    )
    with_scenario(serve)
    serve.set_defaults(handler=_serve)
