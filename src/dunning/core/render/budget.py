"""Bounded rendering: every render runs under a budget of time and output size.

How this works
--------------
A template is code, often written by a host's user. The sandbox keeps it away from Python's
internals; the budget keeps it from running away: a loop nested over a long string, a filter
asked for a billion-character line, a huge power, a template that includes itself, a macro
that calls itself. Each must fail in about a second, as a `TemplateError` with the code
``render_budget_exceeded``, for the one message being rendered, never hang a run.

- A `RenderBudget` says how long one render may take (``max_seconds``) and how much text it may
  produce (``max_output_chars``). A `TemplatePack` carries one (its sample renders at load
  time run under it too, so a runaway template fails when the pack is built) and `render`
  accepts another.
- Each render gets a `_Meter`: a deadline, read from the budget's ``clock``, by default
  `time.thread_time`, the CPU time of the rendering thread: a process starved of CPU by its
  neighbours (a busy batch machine) does not fail a render that did little work. This is
  the one place the core reads a clock, and it never reads the date: what a message says never
  depends on it; only whether a render is cut short does. The architecture test allows exactly
  this import here. A test gives the budget a fake clock that it advances itself, so a
  runaway meets its deadline without burning real seconds.
- The meter is checked where unbounded work can happen: at every loop iteration (the
  environment wraps every ``{% for %}``'s iterable, see `_Sandbox`), every call (macros,
  methods), every intercepted operator, every filter, and every `CLOCK_EVERY` chunks of
  output (whose size is counted at every chunk).
- Arguments that ask for size are refused before the work is done: an integer width or count
  beyond ``max_output_chars`` (``center``, ``indent``, ``ljust``...), a format width beyond it,
  a string or list argument already longer than it, a power or product of integers with more
  than `MAX_INT_BITS` bits. A filter's text result beyond it is refused after.
- `RecursionError` (a template including itself, a recursive macro), `MemoryError` and
  `OverflowError` are runaways too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from time import thread_time
from typing import Annotated, Any

from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from pydantic import BaseModel, Field

from dunning.core._types import MODEL_CONFIG

__all__ = ["DEFAULT_RENDER_BUDGET", "MAX_INT_BITS", "RenderBudget"]

MAX_INT_BITS = 14_000
"""The largest integer a template may compute, in bits (about 4,200 decimal digits: Python
refuses to print integers of more than 4,300 digits)."""

METER_VARIABLE = "_dunning_meter"
"""The render variable holding the meter. Templates cannot name it (names starting with ``_``
are refused at load time), so they cannot replace it."""


class RenderBudget(BaseModel):
    """How much one render may cost: time and output size.

    Attributes:
        max_seconds: how much CPU time one render may take, measured on the rendering thread
            (``time.thread_time``), not the wall clock, so a CPU-starved process does not fail
            honest templates; the default, 1 s, is hundreds of times what a real letter takes.
        max_output_chars: how many characters one template may produce, and the largest width,
            count or string a template may hand to a filter or method.
        clock: the timer *max_seconds* is measured with, in seconds (``time.thread_time``);
            a test may pass a fake one that it advances itself. Left out of the repr and of
            dumps.

    Examples:
        >>> RenderBudget()
        RenderBudget(max_seconds=1.0, max_output_chars=1000000)
        >>> from itertools import count
        >>> from dunning.core.render import TemplatePack
        >>> seconds = count()  # a fake clock: one second later at each reading
        >>> budget = RenderBudget(max_seconds=3, clock=lambda: next(seconds))
        >>> TemplatePack.from_mapping(
        ...     {"fr/t.subject.j2": "s", "fr/t.txt.j2": "{% for c in 'abcde' %}{% endfor %}"},
        ...     budget=budget)
        Traceback (most recent call last):
        ...
        dunning.exceptions.TemplateError: fr/t.txt.j2, line 1: ...: the render took more than 3 s
        >>> RenderBudget(max_seconds=0)
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.ValidationError: 1 validation error for RenderBudget
        max_seconds
          Input should be greater than 0 ...
    """

    model_config = MODEL_CONFIG

    max_seconds: Annotated[float, Field(gt=0, le=600)] = 1.0
    max_output_chars: Annotated[int, Field(gt=0, le=100_000_000)] = 1_000_000
    clock: Annotated[Callable[[], float], Field(repr=False, exclude=True)] = thread_time


DEFAULT_RENDER_BUDGET = RenderBudget()
"""The budget a pack has unless given another."""


class RenderBudgetError(SecurityError):
    """A template ran past its budget (raised inside the sandbox, turned into a `TemplateError`)."""


CLOCK_EVERY = 16
"""How many chunks of output a render writes between two readings of its clock (a power of
two). Every other check point (loop item, call, operator, filter) reads the clock each time;
the output is the hot path (a letter is about fifty chunks), and each chunk between two readings
comes out of bounded work: the operations that make it are themselves metered."""


@dataclass(slots=True)
class _Meter:
    """The budget of one render in progress: a deadline and the output produced so far."""

    budget: RenderBudget
    clock: Callable[[], float]
    deadline: float = 0.0
    produced: int = 0

    @classmethod
    def start(cls, budget: RenderBudget) -> _Meter:
        """Start the render's clock: its deadline is *budget*'s ``max_seconds`` from now."""
        clock = budget.clock
        meter = cls(budget, clock)
        meter.deadline = clock() + budget.max_seconds
        return meter

    def tick(self) -> None:
        if self.clock() > self.deadline:
            msg = f"the render took more than {self.budget.max_seconds:g} s"
            raise RenderBudgetError(msg)

    def too_long(self) -> None:
        msg = f"the output is longer than {self.budget.max_output_chars} characters"
        raise RenderBudgetError(msg)

    def collect(self, chunks: Iterable[str]) -> str:
        """Join a template's output: its size checked at every chunk, the clock every few.

        The clock is read at every `CLOCK_EVERY`-th chunk and once at the end.
        """
        out: list[str] = []
        append = out.append
        limit = self.budget.max_output_chars
        produced = self.produced
        for count, chunk in enumerate(chunks, 1):
            produced += len(chunk)
            if produced > limit:
                self.produced = produced
                self.too_long()
            if not count % CLOCK_EVERY:
                self.tick()
            append(chunk)
        self.produced = produced
        self.tick()
        return "".join(out)

    def guard(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.tick()
            yield item


def meter_of(context: Context) -> _Meter | None:
    """The meter of the render *context* belongs to (None when rendered outside `TemplatePack`)."""
    meter = context.resolve_or_missing(METER_VARIABLE)
    return meter if isinstance(meter, _Meter) else None


def limit_of(meter: _Meter | None) -> int:
    """The size limit in force."""
    return (meter.budget if meter is not None else DEFAULT_RENDER_BUDGET).max_output_chars


def _too_big(what: str, limit: int) -> RenderBudgetError:
    return RenderBudgetError(f"{what} exceeds the render budget of {limit} characters")


def check_sized_args(args: Iterable[Any], limit: int, *, ints: bool) -> None:
    """Refuse a string or list argument longer than *limit*, or (*ints*) an integer beyond it."""
    for arg in args:
        if isinstance(arg, str | list | tuple) and len(arg) > limit:
            what = f"an argument of {len(arg)} items"
            raise _too_big(what, limit)
        if ints and isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > limit:
            what = f"the width or count {arg}"
            raise _too_big(what, limit)


def check_sized(value: Any, limit: int) -> Any:
    """Return *value*, refusing a string, list or tuple longer than *limit* (a concatenation).

    Examples:
        >>> check_sized("ab" * 3, 10)
        'ababab'
        >>> check_sized([0] * 11, 10)
        Traceback (most recent call last):
        ...
        dunning.core.render.budget.RenderBudgetError: a concatenation of 11 items exceeds ...
    """
    if isinstance(value, str | list | tuple) and len(value) > limit:
        what = f"a concatenation of {len(value)} items"
        raise _too_big(what, limit)
    return value


def check_text(value: Any, limit: int) -> Any:
    """Return *value*, refusing a string longer than *limit*."""
    if isinstance(value, str) and len(value) > limit:
        what = f"a text of {len(value)} characters"
        raise _too_big(what, limit)
    return value


_FORMAT_WIDTHS = re.compile(r"(?:%[-+ #0]*|\{[^{}]*?:[^{}]*?)(\d+)")


def check_format(text: str, limit: int) -> None:
    """Refuse a ``%`` or ``str.format`` pattern whose width or precision exceeds *limit*."""
    for match in _FORMAT_WIDTHS.finditer(text):
        digits = match.group(1)
        if len(digits) > len(str(limit)) or int(digits) > limit:
            what = f"the format width {digits}"
            raise _too_big(what, limit)


def check_power(base: Any, exponent: Any, max_exponent: int) -> None:
    """Refuse ``base ** exponent`` when the result would be too large to compute quickly."""
    if not isinstance(exponent, int) or isinstance(exponent, bool):
        return
    if isinstance(base, int) and not isinstance(base, bool):
        bits = (abs(base).bit_length() - 1) * exponent
        if exponent > 0 and abs(base) > 1 and bits > MAX_INT_BITS:
            msg = f"{base} ** {exponent} has more than {MAX_INT_BITS} bits"
            raise RenderBudgetError(msg)
    elif abs(exponent) > max_exponent:
        msg = f"exponent {exponent} is too large for a template"
        raise RenderBudgetError(msg)


def check_int_product(left: Any, right: Any) -> None:
    """Refuse a product of two integers with more than `MAX_INT_BITS` bits."""
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1
    ):
        msg = f"a product of integers with more than {MAX_INT_BITS} bits"
        raise RenderBudgetError(msg)


def estimate_filter(name: str, value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """The length a text filter's result would have, for the filters that multiply text."""
    if not isinstance(value, str):
        return 0
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str):  # noqa: PLR2004
        old, new = args[0], str(args[1])
        count = value.count(old) if old else len(value) + 1
        return len(value) + count * max(0, len(new) - len(old))
    if name == "indent":
        width = args[0] if args else kwargs.get("width", 4)
        width_len = width if isinstance(width, int) else len(str(width))
        return len(value) + (value.count("\n") + 1) * width_len
    return len(value)
