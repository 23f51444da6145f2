"""The `dunning` command: demo, lint, schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dunning.cli import main

GOLDEN = Path(__file__).parent / "golden"


def test_demo_matches_the_reviewed_golden_output(capsys: pytest.CaptureFixture[str]) -> None:
    """`dunning demo` prints the reviewed timeline (regenerate with `nox -s golden`)."""
    assert main(["demo"]) == 0
    assert capsys.readouterr().out == (GOLDEN / "demo.txt").read_text(encoding="utf-8")


def test_demo_golden_tells_the_stories(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo shows a late payment, a dispute, a broken promise and a pending formal notice."""
    main(["demo"])
    out = capsys.readouterr().out
    # Boulangerie Martin, due Mon 2 March: J+1 Tue 3, J+7 Mon 9, J+14 Mon 16 with a 5-day
    # deadline (21 March), paid 20 March.
    assert "2026-03-16  2026-0001  Boulangerie Martin    standard  3 firm" in out
    assert "2026-03-20  2026-0001  Boulangerie Martin    standard" in out
    assert "dispute opened on 2026-03-12" in out
    # Café des Arts promised 20 March; with 2 days of grace the break is Mon 23 March.
    assert "2026-03-23  2026-0004  Café des Arts         standard  3 firm" in out
    assert out.count("awaiting approval") == 4


def test_demo_accepts_a_shorter_period(capsys: pytest.CaptureFixture[str]) -> None:
    """--days limits the replay."""
    assert main(["demo", "--days", "3"]) == 0
    out = capsys.readouterr().out
    assert "from 2026-03-02 to 2026-03-04" in out
    assert "2026-03-05" not in out


def test_lint_reports_warnings_with_exit_code_0_and_1_when_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A formal notice lacking approval is flagged as a warning: exit 0, or 1 with --strict."""
    file = tmp_path / "s.toml"
    file.write_text(
        'id = "s"\n[[steps]]\nid = "n"\nkind = "formal_notice"\nlevel = 1\n'
        'offset_days = 10\nchannel = "letter"\nrequires_approval = false\ndeadline_days = 8\n',
        encoding="utf-8",
    )
    assert main(["lint", str(file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("formal_notice_without_approval (step n): warning: ")
    assert out.endswith(f"{file}: 1 findings, 0 errors\n")
    assert main(["lint", str(file), "--strict"]) == 1


def test_lint_clean_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A clean scenario exits 0 and says so."""
    file = tmp_path / "s.json"
    file.write_text(
        json.dumps(
            {
                "id": "s",
                "steps": [
                    {
                        "id": "a",
                        "kind": "reminder",
                        "level": 1,
                        "offset_days": 1,
                        "channel": "email",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    assert main(["lint", str(file)]) == 0
    assert "scenario 's' is valid, no findings" in capsys.readouterr().out


def test_lint_invalid_file_names_the_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid scenario prints every problem with its location and code, exit code 1."""
    file = tmp_path / "bad.toml"
    file.write_text('id = "s"\n[[steps]]\nid = "a"\nkind = "shout"\n', encoding="utf-8")
    assert main(["lint", str(file)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {file}: invalid scenario: ")
    assert "  steps[0].kind: " in err
    assert "[enum]" in err
    assert "  steps[0].level: Field required [missing]" in err


def test_schema_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`dunning schema` prints the scenario JSON Schema."""
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Scenario"
    assert "Step" in schema["$defs"]


def test_unknown_command_is_a_usage_error() -> None:
    """An unknown command is a usage error (exit code 2)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2


_CUSTOM_STEP = (
    'id = "s"\n[[steps]]\nid = "n"\nkind = "reminder"\nlevel = 1\n'
    'offset_days = 10\nchannel = "email"\ntemplate = "overdue_notice"\n'
)


_SECOND_STEP = (
    '[[steps]]\nid = "m"\nkind = "firm"\nlevel = 2\noffset_days = 20\nchannel = "email"\n'
)


def test_lint_checks_the_templates_a_step_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A template the built-in pack lacks is an error finding, listed with the other findings."""
    file = tmp_path / "s.toml"
    file.write_text(_CUSTOM_STEP + "deadline_days = 20\n" + _SECOND_STEP, encoding="utf-8")
    assert main(["lint", str(file)]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    # Step n's ladder finding, then its subject and text templates missing in en and fr.
    assert [line.split(": error: ")[-1].split(":")[0] for line in lines[1:-1]] == [
        "en/overdue_notice.subject.j2",
        "en/overdue_notice.txt.j2",
        "fr/overdue_notice.subject.j2",
        "fr/overdue_notice.txt.j2",
    ]
    assert lines[0].startswith("deadline_overlaps_next_step (step n): warning: ")
    assert lines[1].startswith("missing_template (step n): error: ")
    assert lines[-1] == f"{file}: 5 findings, 4 errors"


def test_lint_uses_the_host_template_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --templates, the host's own template family makes the scenario valid."""
    file = tmp_path / "s.toml"
    file.write_text(_CUSTOM_STEP, encoding="utf-8")
    for locale, subject, body in (
        ("fr", "Facture {{ invoice.number }}", "Bonjour {{ customer.name }},"),
        ("en", "Invoice {{ invoice.number }}", "Dear {{ customer.name }},"),
    ):
        folder = tmp_path / "pack" / locale
        folder.mkdir(parents=True)
        (folder / "overdue_notice.subject.j2").write_text(subject, encoding="utf-8")
        (folder / "overdue_notice.txt.j2").write_text(body, encoding="utf-8")
    assert main(["lint", str(file), "--templates", str(tmp_path / "pack")]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "scenario 's' is valid, no findings" in out
