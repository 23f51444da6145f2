"""The README runs: its command-line walkthrough (with the outputs it shows) and its snippets."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from dunning.cli import main

GOLDEN = Path(__file__).parent / "golden"
README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.DOTALL)


def blocks(language: str) -> list[str]:
    """The README's code blocks in *language*, in order."""
    return [text for lang, text in BLOCKS if lang == language]


def test_the_install_block_runs_the_demo() -> None:
    """Past the installs and nox, the first block runs `python3 -m dunning demo`: the golden."""
    [install] = [b for b in blocks("sh") if "pip install" in b]
    commands = [
        part.strip()
        for line in install.splitlines()
        for part in line.split("#")[0].split("&&")
        if "pip install" not in part and "nox" not in part
    ]
    assert commands == ["python3 -m dunning demo"]
    done = subprocess.run(
        [sys.executable, "-m", "dunning", "demo"], capture_output=True, text=True, check=True
    )
    assert done.stdout == (GOLDEN / "demo.txt").read_text(encoding="utf-8")


def test_the_walkthrough_runs_and_shows_what_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every command succeeds with the README's dates; approvals and history print as shown."""
    [walkthrough] = [b for b in blocks("sh") if "dunning init demo.db" in b]
    monkeypatch.chdir(tmp_path)
    outputs: dict[str, str] = {}
    for line in walkthrough.splitlines():
        argv = shlex.split(line, comments=True)
        assert argv[0] == "dunning", line
        capsys.readouterr()
        assert main(argv[1:]) == 0, line
        outputs[argv[1]] = capsys.readouterr().out
    approvals, history = (b for b in blocks("text") if b.startswith(("msg_", "invoice ")))
    assert outputs["approvals"] == approvals
    assert outputs["history"] == history
    assert "decided by claire" in history  # the approval, and the history it leaves


def test_the_python_snippets_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The quickstart prints what its comments say; the host loop runs on an empty database."""
    quickstart, host = blocks("python")
    monkeypatch.chdir(tmp_path)
    exec(quickstart, {})  # noqa: S102  (the README's own code)
    printed = capsys.readouterr().out.splitlines()
    said = [line[2:] for line in quickstart.splitlines() if line.startswith("# ")]
    assert printed[0] == "action_due informative email"
    assert said[0].startswith(printed[0])
    assert printed[1:] == said[1:]
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(host, {})  # noqa: S102
    assert out.getvalue().startswith("run at ")
    assert out.getvalue().rstrip().endswith("nothing to do")
    assert (tmp_path / "dunning.db").exists()
