"""Which template includes, imports or extends which: what an override pack checks again.

A pack built over a base renders on the sample contexts only the templates it changes and
those that use one of them (`dependents`). What a template uses is read from its parse
(``jinja2.meta.find_referenced_templates``), once per pack, or, for a built-in template whose
source is the one shipped, from `BUILTIN_REFERENCES`: a fresh process then parses none of
the 90 built-in templates to learn it (about 50 ms). An entry is used only when the source's
digest matches it, so a stale entry costs a parse and never a missed check;
``tests/test_template_overrides.py`` recomputes the index and fails when it is stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping

import jinja2
import jinja2.exceptions
from jinja2 import meta, nodes
from jinja2.parser import Parser

from dunning.core.render.builtin_references import BUILTIN_REFERENCES
from dunning.core.render.sandbox import _make_environment

References = frozenset[str] | None
"""The templates one template uses; None when one is named by an expression (any could be)."""

_REFERENCE_WORDS = ("include", "import", "extends")


def referenced(ast: nodes.Template) -> References:
    """The template names *ast* uses, or None when one is an expression (any could be).

    Examples:
        >>> env = _make_environment({})
        >>> sorted(referenced(env.parse('{% include "fr/_a.txt.j2" %}')))
        ['fr/_a.txt.j2']
        >>> referenced(env.parse("{% include name %}")) is None
        True
    """
    found = list(meta.find_referenced_templates(ast))
    if None in found:
        return None
    return frozenset(name for name in found if name is not None)


def source_digest(source: str) -> str:
    """A short digest of a template's source: what ties an index entry to that source.

    Examples:
        >>> len(source_digest("Bonjour")), source_digest("Bonjour") == source_digest("Bonjour ")
        (16, False)
    """
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


def parse_references(env: jinja2.Environment, name: str, source: str) -> References:
    """What *source* uses, read from its parse (a template naming no keyword uses nothing).

    A source that does not parse counts as using any template: a trusted pack's broken
    template is then checked again with any change.

    Examples:
        >>> env = _make_environment({})
        >>> sorted(parse_references(env, "fr/x.txt.j2", '{% import "fr/_m.txt.j2" as m %}'))
        ['fr/_m.txt.j2']
        >>> parse_references(env, "fr/x.txt.j2", "{% include %}") is None
        True
    """
    if not any(word in source for word in _REFERENCE_WORDS):  # a tag names its keyword
        return frozenset()
    try:
        # Jinja's own parser: the sandbox's rewriting of loops and ``~`` changes no include,
        # and costs a quarter of the parse.
        return referenced(Parser(env, source, name, name).parse())
    except (jinja2.exceptions.TemplateSyntaxError, RecursionError):
        return None


def references_of(env: jinja2.Environment, name: str, source: str) -> References:
    """What template *name* of *source* uses: from `BUILTIN_REFERENCES` if it is the one read.

    Examples:
        >>> from dunning.core.render import builtin_pack
        >>> source = builtin_pack().sources["fr/_closing.txt.j2"]
        >>> env = _make_environment({})
        >>> sorted(references_of(env, "fr/_closing.txt.j2", source))
        ['fr/_appellation.txt.j2']
        >>> references_of(env, "fr/_closing.txt.j2", "Salutations.")
        frozenset()
    """
    known = BUILTIN_REFERENCES.get(name)
    if known is not None and known[0] == source_digest(source):
        return known[1]
    return parse_references(env, name, source)


def dependents(
    changed: Iterable[str], names: Iterable[str], references: Callable[[str], References]
) -> set[str]:
    """*changed*, and every template of *names* using one through includes or imports.

    Any chain of includes, imports and extends counts: their sample renders may end otherwise.
    A template using any (an expression) counts as using every one.

    Args:
        changed: the templates added, replaced or removed.
        names: every template of the pack.
        references: what a template of *names* not in *changed* uses.

    Returns:
        The templates whose sample renders must run again.

    Examples:
        >>> uses = {"a": frozenset({"_p"}), "b": frozenset({"a"}), "c": frozenset()}
        >>> sorted(dependents({"_p"}, ["_p", "a", "b", "c"], uses.__getitem__))
        ['_p', 'a', 'b']
    """
    affected = set(changed)
    if not affected:
        return affected
    users: dict[str, list[str]] = {}
    todo = sorted(affected)
    for name in names:
        if name in affected:
            continue
        refs = references(name)
        if refs is None:
            affected.add(name)
            todo.append(name)
            continue
        for used in refs:
            users.setdefault(used, []).append(name)
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in affected:
                affected.add(user)
                todo.append(user)
    return affected


def reference_index(sources: Mapping[str, str]) -> dict[str, tuple[str, References]]:
    """The index `BUILTIN_REFERENCES` holds for *sources*, every template parsed.

    What ``tests/write_builtin_references.py`` writes, and what the test that the shipped
    index is fresh compares it with.

    Examples:
        >>> index = reference_index({"fr/t.txt.j2": '{% include "fr/_p.txt.j2" %}'})
        >>> index["fr/t.txt.j2"][1]
        frozenset({'fr/_p.txt.j2'})
    """
    env = _make_environment(sources)
    return {
        name: (source_digest(source), parse_references(env, name, source))
        for name, source in sorted(sources.items())
    }
