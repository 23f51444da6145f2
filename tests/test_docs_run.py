"""Every shell and Python block of README.md and docs/*.md runs as a reader would paste it.

Each page runs in a fresh temporary folder, its blocks in page order sharing that folder and one
Python namespace (a reader's terminal and Python session): ``python`` blocks are executed,
``pycon`` blocks run as doctests (ELLIPSIS, NORMALIZE_WHITESPACE), and each command line of a
``sh``/``bash``/``shell``/``console`` block must exit with 0 (``dunning ...`` through
``dunning.cli.main``, as tests/test_cli*.py call it; ``python ...`` with this interpreter).

Not run here, each for a stated reason:

- a block marked ``<!-- docs-test: fragment (why) -->`` on the line just before its fence: a
  piece of a larger program on purpose (``FRAGMENTS`` pins how many each page has, so a new
  fragment is a deliberate edit);
- the pages of ``COVERED``, whose blocks another test already runs and checks the output of;
- ``pip install`` and ``nox`` command lines (``SKIPPED_COMMANDS``): they install packages or run
  the whole test suite.

Pages also include files with pymdownx.snippets (``--8<-- "path:section"``); a marker it does
not recognise is left on the page as text, so the markers are checked here too.
"""

from __future__ import annotations

import doctest
import io
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from dunning.cli import main

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = {"sh", "bash", "shell", "console"}
RUN = {"python", "pycon"} | SHELL

# Pages whose runnable blocks another test runs (with the outputs they show), and how many
# blocks that is: a new block on one of these pages fails `test_covered_pages_are_covered`
# until the test named here runs it too (or this page is taken off the list).
COVERED: dict[str, tuple[str, int]] = {
    # the install block's demo, the walkthrough and the two python blocks
    "README.md": ("tests/test_readme.py", 4),
    # the two python blocks, each with the output it prints; the install block is pip lines
    "docs/index.md": ("tests/test_docs_snippets.py", 2),
    # the three blocks included from docs/examples/own_store.py, which the test loads whole,
    # and the contract-suite block, which it runs as its test class
    "docs/own-database.md": ("tests/test_docs_own_store.py", 4),
    # every pycon block, on the TOML and JSON files the page shows
    "docs/scenarios.md": ("tests/test_docs_snippets.py", 5),
}

# The blocks marked as fragments, per page (see each marker's reason in the page).
FRAGMENTS = {
    "docs/concepts.md": 1,
    "docs/einvoicing.md": 1,
    "docs/ledger.md": 2,
    "docs/many-creditors.md": 4,
    "docs/messages.md": 3,
    "docs/metrics.md": 1,
    "docs/penalties.md": 2,
    "docs/performance.md": 1,
    "docs/postgres.md": 2,
    "docs/running.md": 4,
    "docs/web-console.md": 3,
}

# Command lines a reader runs once, not examples: skipped wherever they appear.
SKIPPED_COMMANDS = (("pip", "install"), ("-m", "pip"), ("nox",), ("-m", "nox"))

FENCE = re.compile(r"^(`{3,})(\w*)[^\n`]*$")
MARKER = re.compile(r"^<!-- docs-test: fragment \((?P<why>.+)\) -->$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: where it starts, its language and text, why it is not run."""

    page: str
    line: int  # 1-based line of the opening fence
    language: str
    text: str
    fragment: str | None


def page_name(path: Path) -> str:
    """A page's path from the repository root, as COVERED and FRAGMENTS name it."""
    return path.relative_to(ROOT).as_posix()


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a page, in order, each with the fragment reason marked before it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    n = 0
    while n < len(lines):
        fence = FENCE.match(lines[n])
        if fence is None:
            n += 1
            continue
        end = n + 1
        while end < len(lines) and lines[end] != fence[1]:
            end += 1
        assert end < len(lines), f"{page_name(path)}:{n + 1}: unclosed fence"
        marker = MARKER.match(lines[n - 1]) if n else None
        found.append(
            Block(
                page=page_name(path),
                line=n + 1,
                language=fence[2],
                text="\n".join(lines[n + 1 : end]) + "\n",
                fragment=marker["why"] if marker else None,
            )
        )
        n = end + 1
    return found


def command_lines(block: Block) -> list[str]:
    """The commands of a shell block: continued lines joined, prompts and comments dropped."""
    text = block.text.replace("\\\n", " ")
    commands = []
    for raw in text.splitlines():
        line = raw.strip()
        if block.language == "console":
            if not line.startswith("$ "):
                continue  # output shown after a prompt
            line = line[2:]
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def argvs(command: str) -> list[list[str]]:
    """The argument lists of a command line, split at ``&&``, without the skipped commands."""
    words = shlex.split(command, comments=True)
    parts: list[list[str]] = [[]]
    for word in words:
        if word == "&&":
            parts.append([])
        else:
            parts[-1].append(word)
    return [
        argv
        for argv in parts
        if argv
        and not any(
            argv[i : i + len(skip)] == list(skip)
            for skip in SKIPPED_COMMANDS
            for i in range(len(argv))
        )
    ]


def runnable(block: Block) -> bool:
    """Whether the block has something to run: a runnable language, not a fragment, not empty."""
    if block.language not in RUN or block.fragment is not None:
        return False
    if block.language in SHELL:
        return any(argvs(command) for command in command_lines(block))
    return True


def run_command(argv: list[str], where: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Run one command line as a reader would in their terminal; it must exit with 0."""
    if argv[0] == "dunning":
        capsys.readouterr()
        try:
            code: int | str | None = main(argv[1:])
        except SystemExit as exit_:  # bad usage: argparse exits with 2
            code = exit_.code
        out, err = capsys.readouterr()
    elif argv[0] in {"python", "python3"}:
        done = subprocess.run(  # noqa: S603  (our own interpreter, a line of our docs)
            [sys.executable, *argv[1:]], capture_output=True, text=True, check=False, timeout=120
        )
        code, out, err = done.returncode, done.stdout, done.stderr
    else:
        pytest.fail(f"{where}: no way to run {argv[0]!r} here: mark the block as a fragment")
    assert code == 0, f"{where}: {shlex.join(argv)} exited with {code}\n{out}{err}"


def run_python(block: Block, namespace: dict[str, object]) -> None:
    """Execute a python block in the page's namespace, with tracebacks naming page lines."""
    code = compile("\n" * block.line + block.text, block.page, "exec")
    exec(code, namespace)  # noqa: S102  (the page's own code)


def run_pycon(block: Block, namespace: dict[str, object]) -> None:
    """Run a pycon block as a doctest in the page's namespace."""
    test = doctest.DocTestParser().get_doctest(
        block.text, namespace, f"{block.page}:{block.line}", block.page, block.line
    )
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    runner.run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)  # the next blocks of the page see its names
    assert runner.failures == 0, report.getvalue()


ALL_BLOCKS = {page_name(path): blocks(path) for path in PAGES}
TO_RUN = [page for page, found in ALL_BLOCKS.items() if any(map(runnable, found))]


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(
            page,
            marks=pytest.mark.skip(reason=f"run by {COVERED[page][0]}") if page in COVERED else (),
        )
        for page in TO_RUN
    ],
)
def test_page_runs(
    page: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every block of the page, fragments aside, runs in page order in one fresh folder."""
    monkeypatch.chdir(tmp_path)
    for name in ("DUNNING_DB", "DUNNING_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in ALL_BLOCKS[page]:
        if not runnable(block):
            continue
        where = f"{page}:{block.line}"
        if block.language == "python":
            run_python(block, namespace)
        elif block.language == "pycon":
            run_pycon(block, namespace)
        else:
            for command in command_lines(block):
                for argv in argvs(command):
                    run_command(argv, where, capsys)


def test_command_lines_are_read_as_a_terminal_would() -> None:
    """Continued lines join, output and comments go, ``&&`` splits, installs are skipped."""
    text = """\
$ dunning run \\
    --db demo.db  # a run
run at 2026-03-03T10:00:00+01:00: 1 sent
$ pip install nox && python -m dunning demo
$ nox
"""
    block = Block(page="page.md", line=1, language="console", text=text, fragment=None)
    assert [argvs(command) for command in command_lines(block)] == [
        [["dunning", "run", "--db", "demo.db"]],
        [["python", "-m", "dunning", "demo"]],
        [],
    ]
    assert runnable(block)
    assert not runnable(Block("page.md", 1, "sh", "pip install dunning\nnox\n", None))


def test_covered_pages_are_covered() -> None:
    """A covered page has exactly the runnable blocks its test is known to run."""
    counts = {page: sum(map(runnable, ALL_BLOCKS[page])) for page in COVERED}
    assert counts == {page: count for page, (_, count) in COVERED.items()}


def test_fragments_are_few_and_deliberate() -> None:
    """The fragments marked per page are the ones listed here, each of a runnable language."""
    marked: dict[str, int] = {}
    for page, found in ALL_BLOCKS.items():
        for block in found:
            if block.fragment is not None:
                assert block.language in RUN, f"{page}:{block.line}: {block.language} never runs"
                marked[page] = marked.get(page, 0) + 1
    assert marked == FRAGMENTS


def test_every_marker_is_well_formed() -> None:
    """A line mentioning docs-test is exactly a fragment marker, just before a fence."""
    for path in PAGES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines):
            if "docs-test" in line:
                where = f"{page_name(path)}:{n + 1}"
                assert MARKER.match(line), f"{where}: write <!-- docs-test: fragment (why) -->"
                assert n + 1 < len(lines), where
                assert FENCE.match(lines[n + 1]), f"{where}: the fence must follow the marker"


# ---- included files (pymdownx.snippets) ---------------------------------------------------

SNIPPET_LIKE = re.compile(r"^\s*;*-{2,}\s*8")  # `--8` then anything; not a list item "- 8 days"
SNIPPET = re.compile(r'^[ \t]*--8<-- "(?P<path>[^":]+)(?::(?P<section>[a-z][-_0-9a-z]*))?"$')


def snippet_problems(page: str, text: str) -> list[str]:
    """What is wrong with each line of a page that looks like a snippet marker."""
    problems = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not SNIPPET_LIKE.match(line):
            continue
        where = f"{page}:{n}"
        marker = SNIPPET.match(line)
        if marker is None:
            problems.append(f'{where}: write --8<-- "path:section", not {line.strip()}')
            continue
        included = ROOT / marker["path"]
        if not included.is_file():
            problems.append(f"{where}: no file {marker['path']}")
            continue
        if marker["section"]:
            source = included.read_text(encoding="utf-8")
            start = source.find(f"--8<-- [start:{marker['section']}]")
            end = source.find(f"--8<-- [end:{marker['section']}]")
            if not 0 <= start < end:
                problems.append(f"{where}: no section {marker['section']} in {marker['path']}")
    return problems


def test_snippet_markers_name_existing_sections() -> None:
    """Every snippet marker of the docs has the exact form and names a file and section."""
    problems = [
        problem
        for path in PAGES
        for problem in snippet_problems(page_name(path), path.read_text(encoding="utf-8"))
    ]
    assert problems == []


def test_a_bad_snippet_marker_is_reported() -> None:
    """A spaced-out marker, a missing file, a missing section are reported; good ones are not."""
    page = """\
--8<-- "CHANGELOG.md"
--8<-- "docs/examples/own_store.py:swap"
--8 < --"docs/examples/own_store.py:source"
--8<-- "docs/examples/nowhere.py:source"
--8<-- "docs/examples/own_store.py:nowhere"
---
- 8 days after the due date
"""
    assert snippet_problems("page.md", page) == [
        'page.md:3: write --8<-- "path:section", not --8 < --"docs/examples/own_store.py:source"',
        "page.md:4: no file docs/examples/nowhere.py",
        "page.md:5: no section nowhere in docs/examples/own_store.py",
    ]
