"""What a failed render becomes: a `TemplateError` naming the template and its line.

A render that raises is reported in the template the error happened in (an included partial,
not the family including it), at the line of the template, not of Jinja's generated code.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

import jinja2
import jinja2.exceptions
from jinja2.exceptions import SecurityError

from dunning.core.render.budget import RenderBudgetError
from dunning.exceptions import TemplateError


def _line_of(error: BaseException, names: Mapping[str, str]) -> tuple[str | None, int | None]:
    """The innermost pack template and line in *error*'s traceback (Jinja rewrites it so)."""
    found: tuple[str | None, int | None] = (None, None)
    tb: TracebackType | None = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename in names:
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _render_error(
    error: Exception, name: str, sources: Mapping[str, str], during: str
) -> TemplateError:
    if isinstance(error, TemplateError):
        if error.template is None:
            return TemplateError(str(error), template=name, code=error.code)
        return error
    where, line = _line_of(error, sources)
    if isinstance(error, SecurityError):
        code, what = "unsafe_template", "unsafe code refused by the sandbox"
    elif isinstance(error, jinja2.exceptions.UndefinedError):
        code, what = "undefined_variable", "undefined value"
    else:
        code, what = "render_failed", "cannot render"
    msg = f"{what} {during}: {error}"
    return TemplateError(msg, template=where or name, line=line, code=code)


_RUNAWAYS = (RenderBudgetError, RecursionError, MemoryError, OverflowError)


def _budget_error(
    error: BaseException,
    name: str,
    env: jinja2.Environment,
    sources: Mapping[str, str],
    during: str,
) -> TemplateError:
    where, line = _line_of(error, sources)
    if where is not None and line is not None:
        # The traceback was not rewritten (it may be a thousand frames deep): map the line of
        # the generated code back to the template's.
        line = env.get_template(where).get_corresponding_lineno(line)
    if isinstance(error, RecursionError):
        reason = "recursion too deep (does a template include itself, or a macro call itself?)"
    elif isinstance(error, MemoryError):
        reason = "out of memory"
    elif isinstance(error, OverflowError):
        reason = f"a number too large ({error})"
    else:
        reason = str(error)
    msg = f"render budget exceeded {during}: {reason}"
    return TemplateError(msg, template=where or name, line=line, code="render_budget_exceeded")
