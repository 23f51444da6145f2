"""The sandboxed Jinja2 environment the templates run in."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from datetime import date
from types import CodeType
from typing import Any

import jinja2
import jinja2.exceptions
from jinja2 import nodes, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from dunning.core.render.budget import (
    RenderBudgetError,
    check_format,
    check_int_product,
    check_power,
    check_sized,
    check_sized_args,
    check_text,
    estimate_filter,
    limit_of,
    meter_of,
)
from dunning.core.render.filters import (
    _date_list,
    _date_long,
    _date_short,
    _finalize,
    _fr_de,
    _iban,
    _money,
    _number,
    _percent,
)

_MAX_PRODUCT = 10_000  # longest string or list a template may build with * (no memory bombs)
_MAX_EXPONENT = 64  # for non-integer bases (an integer power is bounded by its size in bits)
LOOP_FILTER = "_dunning_loop"
"""The filter the environment wraps around every ``{% for %}`` iterable (see `_Sandbox._parse`)."""
CONCAT_FILTER = "_dunning_concat"
"""The filter the environment wraps around every ``~`` concatenation: its length is checked."""
_WIDTH_FILTERS = frozenset({"batch", "center", "indent", "slice", "truncate", "wordwrap"})
_FORMAT_METHODS = frozenset({"format", "format_map"})
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Context(Context):
    """Jinja's render context, without listing empty globals at every include.

    Jinja lists the names of a template's globals for each context it creates (one per part
    and per include). A pack's environment has no globals (`_make_environment` clears them),
    so that list is empty: it is not rebuilt from the empty maps each time.
    """

    def __init__(
        self,
        environment: jinja2.Environment,
        parent: dict[str, Any],
        name: str | None,
        blocks: dict[str, Callable[[Context], Iterator[str]]],
        globals: MutableMapping[str, Any] | None = None,  # noqa: A002  (Jinja's signature)
    ) -> None:
        if isinstance(globals, ChainMap) and not any(globals.maps):
            globals = None  # noqa: A001  (Jinja's name)
        super().__init__(environment, parent, name, blocks, globals)


_CLOCK_METHODS = frozenset({"today", "now", "utcnow"})
"""What a date or datetime offers to read the clock: never reachable from a template."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with every render bounded in time and size (see `budget`).

    Products of strings and lists beyond `_MAX_PRODUCT`, integers beyond `MAX_INT_BITS` and
    format widths beyond the budget are refused before they are computed; loops, calls,
    operators and filters check the render's deadline.
    """

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    context_class = _Context

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Every loop iterates through LOOP_FILTER, which checks the deadline at each item;
        # includes and imports always see the render's variables, hence its meter.
        tree = super()._parse(source, name, filename)
        for loop in list(tree.find_all(nodes.For)):
            loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [], [], None, None, lineno=loop.lineno)
        if "~" in source:  # Jinja parses a Concat from the ``~`` token only: none without it
            _CheckedConcat().visit(tree)  # rewrites the tree in place (its root is a Template)
        for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport)):
            node.with_context = True  # type: ignore[attr-defined]  # each of the three has it
        return tree

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,  # noqa: A002  (Jinja's signature)
    ) -> jinja2.Template:
        """A template of the pack: the one it compiled, straight from its table (includes)."""
        loader = self.loader
        if globals is None and isinstance(name, str) and isinstance(loader, _PackLoader):
            compiled = loader.compiled.get(name)
            if compiled is not None:
                return compiled
        return super().get_template(name, parent, globals)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """The sandbox's rule, and no way to read the clock: a date's ``today()`` or ``now()``.

        A message is rendered for the date it carries (``message_date``): a template that read
        the clock would print another day, and differ between its preview and its send.
        """
        clock = attr in _CLOCK_METHODS and (
            isinstance(obj, date) or (isinstance(obj, type) and issubclass(obj, date))
        )
        return not clock and super().is_safe_attribute(obj, attr, value)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute`` in a template: the sandbox's rules, and a shortcut for plain dicts.

        The variables a message sees are plain dicts (`_variables`). For a ``dict`` and a name
        that no ``dict`` attribute has, Jinja's own lookup (``getattr`` first, which fails,
        then the item) ends at the item: it is taken directly, without the failed attribute
        lookup and its exception. Anything else goes through the sandbox's checks.
        """
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call *obj* from a template, within the render's budget."""
        meter = meter_of(context)
        if meter is not None:
            meter.tick()
        limit = limit_of(meter)
        method = getattr(obj, "__wrapped__", obj)  # str.format comes wrapped by the sandbox
        owner = getattr(method, "__self__", None)
        if isinstance(owner, str | list | tuple):
            is_format = getattr(method, "__name__", "") in _FORMAT_METHODS
            if is_format and isinstance(owner, str):
                check_format(owner, limit)
            check_sized_args((*args, *kwargs.values()), limit, ints=not is_format)
        else:
            check_sized_args((*args, *kwargs.values()), limit, ints=False)
        return check_text(super().call(context, obj, *args, **kwargs), limit)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Apply an intercepted operator (``*``, ``**``, ``%``, ``+``) within the budget."""
        meter = meter_of(context)
        if meter is not None:
            meter.tick()
        if operator == "+":
            return check_sized(left + right, limit_of(meter))
        if operator == "**":
            check_power(left, right, _MAX_EXPONENT)
            return left**right
        if operator == "%":
            if isinstance(left, str):
                check_format(left, limit_of(meter))
            return left % right
        for seq, count in ((left, right), (right, left)):
            if (
                isinstance(seq, str | list | tuple)
                and isinstance(count, int)
                and len(seq) * count > _MAX_PRODUCT
            ):
                msg = "the product is too long for a template"
                raise RenderBudgetError(msg)
        check_int_product(left, right)
        return left * right


class _CheckedConcat(NodeTransformer):
    """Wrap every ``~`` concatenation in `CONCAT_FILTER` (its length checked as it is built)."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802  (Jinja's naming)
        """The concatenation, its parts visited first, through the checking filter."""
        inner = nodes.Concat([self.visit(part) for part in node.nodes], lineno=node.lineno)
        return nodes.Filter(inner, CONCAT_FILTER, [], [], None, None, lineno=node.lineno)


@pass_context
def _concat(context: Context, value: Any) -> Any:
    return check_sized(value, limit_of(meter_of(context)))


@pass_context
def _loop(context: Context, iterable: Any) -> Any:
    meter = meter_of(context)
    return iterable if meter is None else meter.guard(iterable)


def _bounded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """*func* (a Jinja filter) checking the deadline, its arguments' sizes and its result's."""
    injected = getattr(getattr(func, "jinja_pass_arg", None), "name", None)
    ints = name in _WIDTH_FILTERS
    is_format = name == "format"

    @pass_context
    def bounded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        meter = meter_of(context)
        if meter is not None:
            meter.tick()
        limit = limit_of(meter)
        if args or kwargs:
            check_sized_args((*args, *kwargs.values()), limit, ints=ints)
        estimate = estimate_filter(name, value, args, kwargs)
        if estimate > limit:
            msg = f"|{name} would produce {estimate} characters, more than {limit}"
            raise RenderBudgetError(msg)
        if is_format and isinstance(value, str):
            check_format(value, limit)
        if injected is None:
            return check_text(func(value, *args, **kwargs), limit)
        first: tuple[Any, ...] = ()
        if injected == "context":
            first = (context,)
        elif injected == "eval_context":
            first = (context.eval_ctx,)
        elif injected == "environment":
            first = (context.environment,)
        return check_text(func(*first, value, *args, **kwargs), limit)

    return bounded


class _PackLoader(jinja2.BaseLoader):
    """A pack's sources, and the templates the pack compiled from them (each parsed once).

    *lend*, when given, is the code a base pack compiled (or compiles now) for a template whose
    source is the same here: an override pack does not compile again what it did not change.
    """

    def __init__(
        self,
        sources: Mapping[str, str],
        lend: Callable[[str, str], CodeType | None] | None = None,
    ) -> None:
        self.sources = sources
        self.compiled: dict[str, jinja2.Template] = {}
        self.codes: dict[str, CodeType] = {}
        self.lend = lend

    def get_source(
        self,
        environment: jinja2.Environment,  # noqa: ARG002  (Jinja's signature)
        template: str,
    ) -> tuple[str, str, Callable[[], bool]]:
        source = self.sources.get(template)
        if source is None:
            raise jinja2.TemplateNotFound(template)
        # The file name is the template's name, so tracebacks (and our errors) point at it.
        return source, template, lambda: True

    def code(self, environment: jinja2.Environment, name: str) -> CodeType:
        """The compiled code of *name*: compiled here once, or lent by the base pack."""
        code = self.codes.get(name)
        if code is None:
            source, filename, _ = self.get_source(environment, name)
            if self.lend is not None:
                code = self.lend(name, source)
            if code is None:
                code = environment.compile(source, name, filename)
            self.codes[name] = code
        return code

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,  # noqa: A002  (Jinja's signature)
    ) -> jinja2.Template:
        compiled = self.compiled.get(name)
        if compiled is not None:
            return compiled
        code = self.code(environment, name)
        template = environment.template_class.from_code(
            environment, code, globals if globals is not None else {}, None
        )
        if not globals:
            self.compiled[name] = template  # a trusted pack compiles each template on demand
        return template


def _make_environment(
    sources: Mapping[str, str], lend: Callable[[str, str], CodeType | None] | None = None
) -> _Sandbox:
    env = _Sandbox(
        loader=_PackLoader(sources, lend),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: name is not None and name.endswith(".html.j2"),
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.globals.clear()  # no cycler, joiner, namespace, range, lipsum, dict: less to attack
    for name, func in list(env.filters.items()):
        env.filters[name] = _bounded(name, func)
    env.filters[LOOP_FILTER] = _loop
    env.filters[CONCAT_FILTER] = _concat
    env.filters.update(
        money=_money,
        date_long=_date_long,
        date_short=_date_short,
        date_list=_date_list,
        percent=_percent,
        number=_number,
        iban=_iban,
        fr_de=_fr_de,
    )
    return env
