"""Write src/dunning/core/render/builtin_references.py from the built-in templates.

Run ``python tests/write_builtin_references.py`` (or ``nox -s golden``) after changing a
built-in template's includes; ``tests/test_template_overrides.py`` fails until then. The file
is formatted with ruff, and its diff reviewed like any golden output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dunning.core.render.pack import builtin_sources
from dunning.core.render.references import reference_index

TARGET = (
    Path(__file__).parent.parent / "src" / "dunning" / "core" / "render" / "builtin_references.py"
)

HEADER = '''"""Which built-in template includes, imports or extends which (generated: do not edit).

Written by ``tests/write_builtin_references.py`` (``nox -s golden``) from the templates under
``dunning/core/templates/``; ``tests/test_template_overrides.py`` fails when it is stale. Each
entry holds the digest of the source it was read from (`references.source_digest`) and the
templates that source uses, so an entry is used only for that very source (see
`dunning.core.render.references`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

BUILTIN_REFERENCES: Mapping[str, tuple[str, frozenset[str] | None]] = MappingProxyType(
    {
'''


def text() -> str:
    """The module's text, before ruff formats it."""
    sources = builtin_sources()
    lines = [HEADER]
    for name, (digest, refs) in reference_index(sources).items():
        used = (
            "None"
            if refs is None
            else (
                f"frozenset({{{', '.join(repr(r) for r in sorted(refs))}}})"
                if refs
                else "frozenset()"
            )
        )
        lines.append(f"        {name!r}: ({digest!r}, {used}),\n")
    lines.append("    }\n)\n")
    return "".join(lines)


def main() -> None:
    TARGET.write_text(text(), encoding="utf-8")
    subprocess.run(  # noqa: S603 - our own formatter, on our own file
        [sys.executable, "-m", "ruff", "format", "--quiet", str(TARGET)], check=True
    )
    print(f"wrote {TARGET}")  # noqa: T201


if __name__ == "__main__":
    main()
