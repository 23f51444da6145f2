"""Python's cyclic garbage collector paused during a simulation: what the shell does for it.

Reference counting frees the objects a simulation drops; the cyclic collector only finds
objects that refer to each other in a loop, and a simulation makes none (`tests` checks it).
But the collector runs anyway, every few hundred objects created, and a full pass walks
every object alive: the book (about ten objects an invoice: 240,000 for 10,000 open invoices
and their paid history) and everything the run has added to it, again each time that has
grown by a quarter. At 10,000 open invoices over 90 days that is three or four full passes
of a quarter of a second each, and with the young passes about 28 % of the run, for no
object freed (measured: 5.5 to 5.9 s with the collector, 4.0 to 4.2 s without;
docs/simulation.md, "How fast").

So `dunning.simulate.simulate` and `compare`, and each partition of `dunning.dask`, run
with automatic collection paused, and resume it when they return or raise: what ``timeit``
does while it times, and Mercurial around the parsing that builds many lasting objects. The
pause is for the whole process (the collector has no other switch): nested or concurrent
pauses, from several threads, resume it when the last one ends, and only if it was running
when the first began. The core stays pure: its own `dunning.core.simulate.simulate` does
not touch the collector.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")

_lock = threading.Lock()
_pauses = 0
"""Pauses under way (nested, or in several threads)."""
_resume = False
"""Whether the collector ran when the first of the pauses under way began."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Automatic cyclic garbage collection off inside, back as it was after the last pause.

    Examples:
        >>> import gc
        >>> with collector_paused():
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """
    global _pauses, _resume  # noqa: PLW0603  (the collector is one per process)
    with _lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def without_collector(function: Callable[_P, _R], *, module: str | None = None) -> Callable[_P, _R]:
    """*function*, run inside `collector_paused` (its name, signature and docstring kept).

    Args:
        function: what to run with the collector paused.
        module: the module that publishes the result under *function*'s name, when it is not
            *function*'s own: pickle finds a function by its module and name, and would find
            *function* there instead of the result (and refuse to pickle it).

    Examples:
        >>> import gc
        >>> without_collector(gc.isenabled)()
        False
    """

    @wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with collector_paused():
            return function(*args, **kwargs)

    if module is not None:
        paused.__module__ = module
    return paused
