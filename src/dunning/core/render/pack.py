"""Template packs: loading and load-time checks, override packs, the built-in pack.

The templates a scenario needs are checked in `dunning.core.render.scenario_templates`; what a
failed render becomes in `failures`; what includes what in `references`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import KW_ONLY, InitVar, dataclass, field
from functools import cache, cached_property, partial
from importlib import resources
from types import CodeType, MappingProxyType
from typing import Any

import jinja2
import jinja2.exceptions
from babel import Locale, UnknownLocaleError
from jinja2 import meta, nodes

from dunning.core.render.budget import (
    DEFAULT_RENDER_BUDGET,
    METER_VARIABLE,
    RenderBudget,
    _Meter,
)
from dunning.core.render.failures import _RUNAWAYS, _budget_error, _render_error
from dunning.core.render.references import References, dependents, referenced, references_of
from dunning.core.render.samples import _samples
from dunning.core.render.sandbox import _make_environment, _PackLoader, _Sandbox
from dunning.core.render.sms import DEFAULT_MAX_SMS_SEGMENTS, sms_segments, to_gsm7
from dunning.core.render.variables import CONTEXT_VARIABLES, _variables
from dunning.exceptions import TemplateError

_NAME = re.compile(
    r"^(?P<locale>[a-z]{2,3}(?:_[A-Za-z0-9]+)*)/(?P<family>_?[a-z][a-z0-9_]*)"
    r"\.(?P<part>subject|txt|html|sms)\.j2$"
)
_PARTS_REQUIRED = ("subject", "txt")
_VARIANT_SEEDS = range(12)  # covers every choice of variant % n for n in 1..4 and 6
_MAX_RESOLVED = 256  # customer locales remembered per pack (fr_BE -> fr)
_BLANK_LINES = re.compile(r"\n{3,}")
_ASCII_SPACES = re.compile(r"[ \t\r\n]+")
_ASCII_WHITESPACE = " \t\r\n"


def _merge(
    sources: Mapping[str, str],
    base: TemplatePack | None,
    max_sms_segments: int | None,
    budget: RenderBudget | None,
) -> tuple[dict[str, str], int, RenderBudget]:
    """*sources* over *base*'s, and the limits (the base's unless given, else the defaults)."""
    merged = dict(base.sources) if base is not None else {}
    merged.update(sources)
    if max_sms_segments is None:
        max_sms_segments = base.max_sms_segments if base is not None else DEFAULT_MAX_SMS_SEGMENTS
    if budget is None:
        budget = base.budget if base is not None else DEFAULT_RENDER_BUDGET
    return merged, max_sms_segments, budget


def _content_key(sources: Mapping[str, str], max_sms_segments: int, budget: RenderBudget) -> str:
    content = [
        sorted(sources.items()),
        max_sms_segments,
        budget.max_seconds,
        budget.max_output_chars,
    ]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()


def _normalise(text: str) -> str:
    # Trailing spaces and runs of blank lines are template noise, never content.
    # Only ASCII whitespace is trimmed: Babel's no-break spaces are content.
    text = text.strip(_ASCII_WHITESPACE)
    text = "\n".join([line.rstrip(" \t") for line in text.split("\n")])
    return _BLANK_LINES.sub("\n\n", text) if "\n\n\n" in text else text


@dataclass(frozen=True, slots=True)
class _Lent:
    """What a base pack lends to a pack built over it with the same limits.

    Attributes:
        changed: the templates whose source differs from the base's (or only one pack has).
        code: the base's compiled code of a template, if the source is the same.
        references: what the base's templates include, as far as it has read them.
        affected: *changed* and every template that uses one (the base's references).
    """

    changed: set[str]
    code: Callable[[str, str], CodeType | None]
    references: Mapping[str, References]
    affected: Callable[[], set[str]]


@dataclass(frozen=True, eq=False)
class TemplatePack:
    """A validated set of templates, by locale and family. Build it with `from_mapping`.

    Attributes:
        sources: template sources by name (``fr/reminder.txt.j2``).
        max_sms_segments: the most SMS parts a message may take.
        budget: what one render may cost (time, output size); the load-time sample renders
            run under it too, so a runaway template fails when the pack is built.
        check_samples: keyword-only, at construction: render every template on sample
            contexts (the default). False skips those renders (and compiles on demand) for
            templates already checked that way, such as the built-in pack's.
        reuse: keyword-only, at construction: a pack with the same limits whose checks and
            compiled code this one reuses (`from_mapping` passes its *base*): only the
            templates whose source differs from it, and every template including, importing
            or extending one of those (transitively, see `dunning.core.render.references`; a
            name given by an expression counts as any), are compiled and
            rendered on the samples. The others stay exactly as checked, or as trusted
            (``check_samples=False``), as they were in *reuse*.

    Raises:
        TemplateError: when built, for a bad name, a syntax error, an unknown variable, a
            template failing on a sample context, a family without subject or text, or an
            SMS that cannot fit; ``render_budget_exceeded`` for a template that runs away on a
            sample context (see `dunning.core.render.budget`).

    Examples:
        >>> pack = builtin_pack()
        >>> sorted(pack.locales)
        ['en', 'fr']
        >>> pack.has("fr", "formal_notice", "subject"), pack.has("fr", "formal_notice", "sms")
        (True, False)
    """

    sources: Mapping[str, str]
    max_sms_segments: int = DEFAULT_MAX_SMS_SEGMENTS
    budget: RenderBudget = DEFAULT_RENDER_BUDGET
    _: KW_ONLY
    check_samples: InitVar[bool] = True
    reuse: InitVar[TemplatePack | None] = None
    _env: _Sandbox = field(init=False, repr=False)
    _resolved: dict[str, str] = field(init=False, repr=False, default_factory=dict)
    _references: dict[str, References] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self, check_samples: bool, reuse: TemplatePack | None) -> None:
        """Compile and check every template (see the module docstring).

        With ``check_samples=False`` (for templates whose sample renders already ran, as the
        built-in pack's do in the test suite), names and families are checked, each template
        is compiled (from one parse) the first time a message needs it, and the thousands of
        sample renders are left out, so a process renders its first message in a few tens of
        milliseconds instead of a second.

        With *reuse* (a base with the same limits), only what differs from it is checked, and
        the base's compiled code is shared: see `_lent`.
        """
        self._prepare(check_samples=check_samples, reuse=reuse)

    def _prepare(self, *, check_samples: bool, reuse: TemplatePack | None) -> None:
        """Compile every template and check it (syntax, variables), unless the pack is trusted.

        The checks run in the same order with or without *reuse* (names and compiling in name
        order, then families, then sample renders in name order), so a bad override fails with
        the error a full check would raise first: the templates left out would pass.
        """
        sources = MappingProxyType(dict(sorted(self.sources.items())))
        object.__setattr__(self, "sources", sources)
        if self.max_sms_segments < 1:
            msg = f"max_sms_segments must be at least 1, got {self.max_sms_segments}"
            raise TemplateError(msg, code="invalid_sms_limit")
        if reuse is not None and (
            reuse.max_sms_segments != self.max_sms_segments or reuse.budget != self.budget
        ):
            reuse = None  # other limits: every sample render may end otherwise
        lent = reuse._lent(sources) if reuse is not None else None  # noqa: SLF001  (same class)
        object.__setattr__(
            self, "_env", _make_environment(sources, lent.code if lent is not None else None)
        )
        changed = set(sources) if lent is None else lent.changed
        for name in sources:
            if name in changed:
                self._check_name(name)
                if check_samples:
                    self._compile(name)
        self._check_families()
        if check_samples:
            affected = changed if lent is None else lent.affected()
            for name in sources:
                if name in affected:
                    self._check_by_rendering(name)
        if lent is not None:  # read by the base (above): a pack built over this one reuses it
            self._references.update(
                (name, refs) for name, refs in lent.references.items() if name not in changed
            )

    @classmethod
    def from_mapping(
        cls,
        sources: Mapping[str, str],
        *,
        base: TemplatePack | None = None,
        max_sms_segments: int | None = None,
        budget: RenderBudget | None = None,
    ) -> TemplatePack:
        """Build a pack from ``{name: source}``, optionally merged over *base*.

        Args:
            sources: template sources named ``<locale>/<family>.<part>.j2``.
            base: a pack whose templates apply unless *sources* overrides them (e.g.
                `builtin_pack()`); None for a standalone pack.
            max_sms_segments: SMS ceiling; defaults to the base's, else
                `DEFAULT_MAX_SMS_SEGMENTS`.
            budget: what one render may cost; defaults to the base's, else `RenderBudget()`.

        Returns:
            The checked pack. Over *base* with the same limits, only the templates *sources*
            changes and those that include them are checked again (tens of milliseconds for
            one template over `builtin_pack()`, instead of about a second): every other
            template keeps the base's check. Another ``max_sms_segments`` or budget checks
            them all. Building is not cached: see `content_key_of` to keep one pack per
            content.

        Raises:
            TemplateError: see the class; a bad override fails with the error a full check
                of the merged pack would raise.

        Examples:
            >>> pack = TemplatePack.from_mapping({
            ...     "fr/reminder.subject.j2": "Facture {{ invoice.number }} : rappel"},
            ...     base=builtin_pack())
            >>> pack.sources["fr/reminder.subject.j2"]
            'Facture {{ invoice.number }} : rappel'
            >>> TemplatePack.from_mapping({"fr/reminder.subject.j2": "{{ amout }}",
            ...                            "fr/reminder.txt.j2": "x"})
            Traceback (most recent call last):
            ...
            dunning.exceptions.TemplateError: fr/reminder.subject.j2, line 1: unknown variable ...
        """
        merged, max_sms_segments, budget = _merge(sources, base, max_sms_segments, budget)
        return cls(merged, max_sms_segments, budget, reuse=base)

    @staticmethod
    def content_key_of(
        sources: Mapping[str, str],
        *,
        base: TemplatePack | None = None,
        max_sms_segments: int | None = None,
        budget: RenderBudget | None = None,
    ) -> str:
        """The `content_key` of the pack `from_mapping` would build, without building it.

        What a cache of packs (per tenant, per process) looks up before paying for a build.

        Args:
            sources: as for `from_mapping`.
            base: as for `from_mapping`.
            max_sms_segments: as for `from_mapping`.
            budget: as for `from_mapping`.

        Returns:
            A SHA-256 hex digest (64 characters).

        Examples:
            >>> override = {"fr/reminder.subject.j2": "Rappel {{ invoice.number }}"}
            >>> key = TemplatePack.content_key_of(override, base=builtin_pack())
            >>> key == TemplatePack.from_mapping(override, base=builtin_pack()).content_key
            True
            >>> key == TemplatePack.content_key_of(override, base=builtin_pack(),
            ...                                    max_sms_segments=1)
            False
        """
        return _content_key(*_merge(sources, base, max_sms_segments, budget))

    @cached_property
    def content_key(self) -> str:
        """What the pack is made of, as a SHA-256 hex digest: equal for equal content.

        It covers every template's name and source, ``max_sms_segments`` and the budget's
        limits (not its clock, which is left out of its repr and dumps too). Two packs with
        the same key render every message alike, so a host may keep one pack per key (see
        `content_key_of` to look one up before building it).

        Examples:
            >>> a = TemplatePack.from_mapping({"fr/t.subject.j2": "s", "fr/t.txt.j2": "x"})
            >>> b = TemplatePack.from_mapping({"fr/t.txt.j2": "x", "fr/t.subject.j2": "s"})
            >>> a.content_key == b.content_key, a is b
            (True, False)
        """
        return _content_key(self.sources, self.max_sms_segments, self.budget)

    def with_overrides(self, sources: Mapping[str, str]) -> TemplatePack:
        """A new pack: this one with *sources* added or replaced (see `from_mapping`)."""
        return TemplatePack.from_mapping(sources, base=self)

    @cached_property
    def locales(self) -> frozenset[str]:
        """The locales the pack has templates for."""
        return frozenset(name.split("/", 1)[0] for name in self.sources)

    def has(self, locale: str, family: str, part: str) -> bool:
        """Whether the pack has ``<locale>/<family>.<part>.j2``."""
        return f"{locale}/{family}.{part}.j2" in self.sources

    def families(self, locale: str) -> frozenset[str]:
        """The template families (not partials) the pack has for *locale*."""
        found = set()
        for name in self.sources:
            match = _NAME.match(name)
            if match and match["locale"] == locale and not match["family"].startswith("_"):
                found.add(match["family"])
        return frozenset(found)

    def resolve_locale(self, locale: str) -> str:
        """The pack locale for a customer locale: exact (``fr_CA``), else language (``fr``).

        Raises:
            TemplateError: ``locale_not_available``, listing the pack's locales.

        Examples:
            >>> builtin_pack().resolve_locale("fr_BE")
            'fr'
        """
        locales = self.locales
        if locale in locales:
            return locale
        known = self._resolved.get(locale)
        if known is not None:
            return known
        try:
            language = Locale.parse(locale).language
        except (UnknownLocaleError, ValueError):
            language = locale.split("_", 1)[0]
        if language in locales:
            if len(self._resolved) < _MAX_RESOLVED:
                self._resolved[locale] = language
            return language
        known = ", ".join(sorted(self.locales))
        msg = f"no templates for locale {locale!r}; the pack has: {known}"
        raise TemplateError(msg, code="locale_not_available")

    # -- building ---------------------------------------------------------------------------

    def _check_name(self, name: str) -> None:
        match = _NAME.match(name)
        if match is None:
            msg = (
                "a template name is <locale>/<family>.<part>.j2 with part one of subject, "
                "txt, html, sms (e.g. fr/reminder.txt.j2)"
            )
            raise TemplateError(msg, template=name, code="invalid_template_name")
        try:
            Locale.parse(match["locale"])
        except (UnknownLocaleError, ValueError):
            msg = f"{match['locale']!r} is not a locale Babel knows"
            raise TemplateError(msg, template=name, code="unknown_locale") from None

    def _compile(self, name: str) -> None:
        env = self._env
        try:
            ast = env.parse(self.sources[name], name=name, filename=name)
            # Compiled from this parse (not parsed again), and kept for get_template.
            code = env.compile(ast, name, name)
            template = env.template_class.from_code(env, code, env.make_globals(None), None)
            loader = env.loader
            if isinstance(loader, _PackLoader):
                loader.compiled[name] = template
                loader.codes[name] = code
        except jinja2.exceptions.TemplateSyntaxError as error:
            msg = f"syntax error: {error.message}"
            raise TemplateError(
                msg, template=error.name or name, line=error.lineno, code="template_syntax"
            ) from None
        except RecursionError:
            msg = "the template is nested too deeply to compile"
            raise TemplateError(msg, template=name, code="render_budget_exceeded") from None
        self._references[name] = referenced(ast)
        names = [(n.lineno, n.name) for n in ast.find_all(nodes.Name)]
        names += [(n.lineno, n.name) for n in ast.find_all(nodes.Macro)]
        reserved = sorted(n for n in names if n[1].startswith("_"))
        if reserved:
            # Names starting with "_" belong to the library (the render's meter is one).
            msg = f"names starting with '_' are reserved: {reserved[0][1]!r}"
            raise TemplateError(msg, template=name, line=reserved[0][0], code="reserved_name")
        unknown = meta.find_undeclared_variables(ast) - set(CONTEXT_VARIABLES)
        if unknown:
            first = min(
                (node.lineno, node.name)
                for node in ast.find_all(nodes.Name)
                if node.name in unknown
            )
            msg = (
                f"unknown variable {first[1]!r}; templates may use: "
                f"{', '.join(sorted(CONTEXT_VARIABLES))}"
            )
            raise TemplateError(msg, template=name, line=first[0], code="unknown_variable")

    def _changed_in(self, sources: Mapping[str, str]) -> set[str]:
        """The names whose source in *sources* is not this pack's (added, replaced or gone)."""
        mine = self.sources
        changed = {name for name, source in sources.items() if mine.get(name) != source}
        changed.update(name for name in mine if name not in sources)
        return changed

    def _lent(self, sources: Mapping[str, str]) -> _Lent:
        """What this pack lends to a pack of *sources* built over it (same limits)."""
        changed = self._changed_in(sources)
        return _Lent(
            changed=changed,
            code=self._lend,
            references=self._references,
            affected=partial(dependents, changed, sources, self._referenced_by),
        )

    def _lend(self, name: str, source: str) -> CodeType | None:
        """This pack's compiled code for *name*, if its source is *source* (for an override)."""
        loader = self._env.loader
        if self.sources.get(name) != source or not isinstance(loader, _PackLoader):
            return None
        return loader.code(self._env, name)

    def _referenced_by(self, name: str) -> References:
        """The templates *name* includes, imports or extends (None: any, by an expression).

        Read once per pack (from the built-in index, else parsed: `references_of`), and lent
        to the packs built over this one.
        """
        if name not in self._references:
            self._references[name] = references_of(self._env, name, self.sources[name])
        return self._references[name]

    def _check_families(self) -> None:
        parts: dict[tuple[str, str], set[str]] = {}
        for name in self.sources:
            match = _NAME.match(name)
            if match and not match["family"].startswith("_"):
                parts.setdefault((match["locale"], match["family"]), set()).add(match["part"])
        for (locale, family), have in sorted(parts.items()):
            for part in _PARTS_REQUIRED:
                if part not in have:
                    msg = f"family {family!r} has no {part} template ({locale}/{family}.{part}.j2)"
                    raise TemplateError(msg, template=f"{locale}/{family}", code="missing_template")

    def _check_by_rendering(self, name: str) -> None:
        match = _NAME.match(name)
        if match is None:  # pragma: no cover  (_compile rejected it)
            return
        locale, family, part = match["locale"], match["family"], match["part"]
        kind = family.removeprefix("_")
        for label, action, context in _samples(locale, family):
            for seed in _VARIANT_SEEDS:
                variables = _variables(action, context, locale=locale, kind=kind, variant=seed)
                text = self._render(name, variables, f"on the sample context {label!r}")
                if part == "sms":
                    self._check_sms(name, text, label)

    def _render(
        self,
        name: str,
        variables: Mapping[str, Any],
        during: str,
        budget: RenderBudget | None = None,
    ) -> str:
        meter = _Meter.start(budget if budget is not None else self.budget)
        try:
            try:
                template = self._env.get_template(name)
                context = template.new_context({**variables, METER_VARIABLE: meter})
                return meter.collect(template.root_render_func(context))
            except _RUNAWAYS:
                raise
            except Exception:  # noqa: BLE001  (re-raised at once, with the template's lines)
                self._env.handle_exception()
        except _RUNAWAYS as error:
            raise _budget_error(error, name, self._env, self.sources, during) from None
        except (
            jinja2.exceptions.TemplateError,
            TemplateError,
            TypeError,
            ValueError,
            ArithmeticError,
        ) as error:
            raise _render_error(error, name, self.sources, during) from error

    def _check_sms(self, name: str, text: str, label: str) -> str:
        sms = to_gsm7(_normalise(text), template=name)
        count = sms_segments(sms)
        if count > self.max_sms_segments:
            msg = (
                f"the SMS takes {count} parts on the sample context {label!r}, more than "
                f"max_sms_segments={self.max_sms_segments} ({len(sms)} characters)"
            )
            raise TemplateError(msg, template=name, code="sms_too_long")
        return sms

    # -- rendering --------------------------------------------------------------------------

    def render_part(
        self,
        locale: str,
        family: str,
        part: str,
        variables: Mapping[str, Any],
        *,
        budget: RenderBudget | None = None,
    ) -> str:
        """Render one part under *budget* (the pack's by default).

        Raises:
            TemplateError: naming the template and the line; ``render_budget_exceeded`` when
                the render runs past its budget.
        """
        name = f"{locale}/{family}.{part}.j2"
        if name not in self.sources:
            msg = f"the pack has no template {name}"
            raise TemplateError(msg, template=name, code="missing_template")
        return self._render(name, variables, "for this message", budget)


def _walk(folder: Any, prefix: str) -> Iterator[tuple[str, str]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".j2"):
            yield f"{prefix}{entry.name}", entry.read_text(encoding="utf-8")


def builtin_sources() -> dict[str, str]:
    """The sources of the templates shipped with the package, read from its data.

    Examples:
        >>> sources = builtin_sources()
        >>> len(sources), sources["fr/_closing.txt.j2"].startswith("Nous vous prions")
        (90, True)
    """
    return dict(_walk(resources.files("dunning.core.templates"), ""))


@cache
def builtin_pack() -> TemplatePack:
    """The French and English templates shipped with the package (checked once, then shared).

    Returns:
        The pack read from the package data ``dunning/core/templates/<locale>/``.

    Examples:
        >>> sorted(builtin_pack().families("en"))  # doctest: +NORMALIZE_WHITESPACE
        ['courtesy', 'firm', 'formal_notice', 'friendly', 'handover', 'internal_alert',
         'phone_call', 'reminder']
    """
    sources = builtin_sources()
    # The sample renders of these templates run in the test suite (tests/test_templates.py),
    # not on every process start; a pack built over this one checks them all again.
    return TemplatePack(sources, check_samples=False)
