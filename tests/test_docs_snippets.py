"""The Python snippets of docs/scenarios.md and docs/index.md run and print what they show.

docs/scenarios.md's examples read files the page itself shows (``builders.toml``,
``builders.json``, ``bad.toml``, ``bad2.toml``): they are written from the page into a
temporary folder, then every ``pycon`` block runs as a doctest there.
"""

from __future__ import annotations

import doctest
import itertools
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).parent.parent / "docs"


def code_blocks(page: str) -> list[tuple[str, str]]:
    """(language, text) of each fenced block of a docs page, in order."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(r"```(\w+)\n(.*?)```", text, flags=re.DOTALL)


def test_scenarios_page_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pycon block of scenarios.md passes as a doctest, on the files the page shows."""
    blocks = code_blocks("scenarios.md")
    files: dict[str, str] = {}
    for language, text in blocks:
        found = re.search(r'^(?:id = |  "id": )"(\w+)"', text, flags=re.MULTILINE)
        if language in {"toml", "json"} and found:
            files.setdefault(f"{found[1]}.{language}", text)
    assert sorted(files) == ["bad.toml", "bad2.toml", "builders.json", "builders.toml"]
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs: dict[str, object] = {}
    examples = 0
    for n, (language, text) in enumerate(blocks):
        if language != "pycon":
            continue
        test = parser.get_doctest(text, globs, f"scenarios.md block {n}", "scenarios.md", 0)
        examples += len(test.examples)
        runner.run(test, clear_globs=False)
        globs.update(test.globs)  # a page's blocks share their names, as a reader's session
    assert examples > 0
    assert runner.summarize(verbose=False).failed == 0


def test_index_page_quickstart_prints_its_output(capsys: pytest.CaptureFixture[str]) -> None:
    """Each python block of index.md prints the text block that follows it."""
    blocks = code_blocks("index.md")
    globs: dict[str, object] = {}
    checked = 0
    for (language, text), (next_language, shown) in itertools.pairwise(blocks):
        if language != "python":
            continue
        exec(text, globs)  # noqa: S102  (the page's own code)
        assert next_language == "text"
        assert capsys.readouterr().out == shown
        checked += 1
    assert checked == 2
