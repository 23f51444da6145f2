"""The sandboxed Jinja2 environment the templates run in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2
import jinja2.exceptions
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from dunning.core.render.filters import (
    _date_long,
    _date_short,
    _finalize,
    _iban,
    _money,
    _number,
    _percent,
)

_MAX_PRODUCT = 10_000  # longest string or list a template may build with * (no memory bombs)
_MAX_EXPONENT = 64


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, refusing string and list products big enough to exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(
        self,
        context: Context,  # noqa: ARG002  (the signature Jinja calls)
        operator: str,
        left: Any,
        right: Any,
    ) -> Any:
        if operator == "**":
            if isinstance(right, int) and abs(right) > _MAX_EXPONENT:
                msg = f"exponent {right} is too large for a template"
                raise SecurityError(msg)
            return left**right
        for seq, count in ((left, right), (right, left)):
            if (
                isinstance(seq, str | list | tuple)
                and isinstance(count, int)
                and len(seq) * count > _MAX_PRODUCT
            ):
                msg = "the product is too long for a template"
                raise SecurityError(msg)
        return left * right


def _make_environment(sources: Mapping[str, str]) -> _Sandbox:
    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        source = sources.get(name)
        # The file name is the template's name, so tracebacks (and our errors) point at it.
        return None if source is None else (source, name, lambda: True)

    env = _Sandbox(
        loader=jinja2.FunctionLoader(load),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: name is not None and name.endswith(".html.j2"),
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.globals.clear()  # no cycler, joiner, namespace, range, lipsum, dict: less to attack
    env.filters.update(
        money=_money,
        date_long=_date_long,
        date_short=_date_short,
        percent=_percent,
        number=_number,
        iban=_iban,
    )
    return env
