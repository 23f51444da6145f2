"""Scenarios and policies: loading, errors with locations, JSON Schema, lint, built-ins."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dunning import (
    FIRM,
    GENTLE,
    STANDARD,
    Channel,
    ConfigurationError,
    Customer,
    Policy,
    Scenario,
    load_policy,
    load_scenario,
)
from dunning.exceptions import ErrorDetail, ScenarioError
from dunning.scenarios import (
    BUILTIN_SCENARIOS,
    DEFAULT_POLICY,
    CatchUp,
    LintFinding,
    PolicyRule,
    StepKind,
    lint,
    policy_from_mapping,
    scenario_from_json,
    scenario_from_mapping,
    scenario_from_toml,
    scenario_json_schema,
)


def _step(step_id: str, offset: int, level: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "id": step_id,
        "kind": extra.pop("kind", "reminder"),
        "level": level,
        "offset_days": offset,
        "channel": extra.pop("channel", "email"),
        **extra,
    }


def _scenario(*steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "mine", "name": "Mine", "steps": list(steps), **extra}


def _details(error: ScenarioError) -> list[tuple[str, str]]:
    return [(d.location, d.code) for d in error.details]


TOML_TEXT = """
id = "short"
name = "Short ladder"
minimum_gap_days = 7
catch_up = "jump_to_due_level"

[[steps]]
id = "reminder"
kind = "reminder"
level = 1
offset_days = 3
channel = "email"
fallback_channel = "letter"
deadline_days = 5

[[steps]]
id = "notice"
kind = "formal_notice"
level = 2
offset_days = 20
channel = "registered_letter"
deadline_days = 8
"""


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def test_scenario_from_mapping_with_defaults() -> None:
    """A minimal scenario gets the documented defaults for its timing rules and steps."""
    s = scenario_from_mapping(
        _scenario(_step("a", 1), _step("notice", 20, 2, kind="formal_notice", deadline_days=8))
    )
    assert s.minimum_gap_days == 5
    assert s.business_days_only is True
    assert s.catch_up is CatchUp.ONE_LEVEL_AT_A_TIME
    assert s.grace_days == 2
    assert s.broken_promise_step is None
    assert set(s.send_windows) == {Channel.SMS, Channel.PHONE_TASK}
    first, notice = s.steps
    assert (first.name, first.template, first.requires_approval) == ("reminder", "reminder", False)
    assert (notice.name, notice.template, notice.requires_approval) == (
        "formal notice",
        "formal_notice",
        True,
    )


def test_approval_default_can_be_overridden() -> None:
    """A formal notice may explicitly skip approval; a handover needs it by default."""
    s = scenario_from_mapping(
        _scenario(
            _step("notice", 1, kind="formal_notice", requires_approval=False),
            _step("handover", 30, 2, kind="handover", channel="handover"),
        )
    )
    assert [st.requires_approval for st in s.steps] == [False, True]


def test_scenario_from_json_text() -> None:
    """JSON text gives the same scenario as the mapping it encodes."""
    data = _scenario(_step("a", 1, fallback_channel="letter"), _step("b", 8, 2))
    assert scenario_from_json(json.dumps(data)) == scenario_from_mapping(data)
    assert scenario_from_json(json.dumps(data).encode()) == scenario_from_mapping(data)


def test_scenario_from_toml_text() -> None:
    """TOML text is read field by field."""
    s = scenario_from_toml(TOML_TEXT)
    assert (s.id, s.name, s.minimum_gap_days, s.catch_up) == (
        "short",
        "Short ladder",
        7,
        CatchUp.JUMP_TO_DUE_LEVEL,
    )
    assert [(st.id, st.offset_days, st.channel, st.deadline_days) for st in s.steps] == [
        ("reminder", 3, Channel.EMAIL, 5),
        ("notice", 20, Channel.REGISTERED_LETTER, 8),
    ]
    assert s.steps[0].fallback_channel is Channel.LETTER


def test_step_lookup_includes_broken_promise_step() -> None:
    """Scenario.step finds ladder steps and the broken-promise step by id."""
    assert STANDARD.step("firm") is STANDARD.steps[2]
    assert STANDARD.step("broken_promise") is STANDARD.broken_promise_step
    assert STANDARD.step("nope") is None


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_steps_not_in_order_named_with_location() -> None:
    """A step planned before the previous one is refused at steps[1].offset_days."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(_scenario(_step("a", 10), _step("b", 3)), source="x.json")
    assert _details(info.value) == [("steps[1].offset_days", "steps_not_in_order")]
    assert info.value.details[0].message == (
        "offset 3 must be greater than the previous step's (10); steps are listed in the order "
        "they happen"
    )
    assert info.value.source == "x.json"
    assert info.value.code == "invalid_scenario"
    assert str(info.value).startswith("x.json: invalid scenario: steps[1].offset_days: ")


def test_same_offset_is_not_in_order() -> None:
    """Two steps on the same offset are refused too (offsets strictly increase)."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(_scenario(_step("a", 7), _step("b", 14, 2), _step("c", 14, 3)))
    assert _details(info.value) == [("steps[2].offset_days", "steps_not_in_order")]


def test_levels_not_in_order() -> None:
    """A ladder whose level goes down is refused at steps[n].level."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(_scenario(_step("a", 1, 2), _step("b", 7, 1)))
    assert _details(info.value) == [("steps[1].level", "levels_not_in_order")]


def test_duplicate_step_id() -> None:
    """Two steps with one id are refused at the second one's id."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(_scenario(_step("a", 1), _step("a", 7)))
    assert _details(info.value) == [("steps[1].id", "duplicate_step_id")]
    assert info.value.details[0].message == "step id 'a' is used twice"


def test_broken_promise_step_id_must_differ_from_ladder() -> None:
    """The broken-promise step may not reuse a ladder step's id."""
    data = _scenario(_step("a", 1), broken_promise_step=_step("a", 0))
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(data)
    assert _details(info.value) == [("broken_promise_step.id", "duplicate_step_id")]


def test_fallback_same_channel() -> None:
    """A fallback channel equal to the channel is refused at the step."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(_scenario(_step("a", 1), _step("b", 7, fallback_channel="email")))
    assert _details(info.value) == [("steps[1]", "fallback_same_channel")]


def test_unknown_field_rejected_with_location() -> None:
    """A typo in a step's field name fails loudly (extra_forbidden) where it is."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(_scenario(_step("a", 1), _step("b", 7, offset_day=7)))
    assert _details(info.value) == [("steps[1].offset_day", "extra_forbidden")]
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(_scenario(_step("a", 1), minimum_gap=3))
    assert _details(info.value) == [("minimum_gap", "extra_forbidden")]


def test_every_field_error_listed() -> None:
    """Several field errors are all listed, each with its location and code."""
    data = {"id": "bad id!", "steps": [_step("a", 1), _step("b", 7, channel="pigeon", level=0)]}
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(data)
    assert _details(info.value) == [
        ("id", "string_pattern_mismatch"),
        ("steps[1].level", "greater_than_equal"),
        ("steps[1].channel", "enum"),
    ]
    assert all(isinstance(d, ErrorDetail) for d in info.value.details)


def test_single_invalid_step_reports_only_its_problem() -> None:
    """A one-step scenario whose step has a typo reports the typo, not a missing step."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(_scenario(_step("a", 1, fallback_channel="email")))
    assert _details(info.value) == [("steps[0]", "fallback_same_channel")]


def test_scenario_needs_steps() -> None:
    """A scenario without steps is refused."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping({"id": "empty", "steps": []})
    assert _details(info.value) == [("steps", "too_short")]
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping({"id": "empty"})
    assert _details(info.value) == [("steps", "missing")]


def test_malformed_json() -> None:
    """Malformed JSON is a ScenarioError naming the line and column, not a JSONDecodeError."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_json('{"id": "x",\n "steps": [}', source="mine.json")
    assert str(info.value).startswith("mine.json: not valid JSON: line 2 column ")
    assert info.value.details == ()
    with pytest.raises(ScenarioError, match="must be a JSON object, got list"):
        scenario_from_json("[1, 2]")


def test_malformed_toml() -> None:
    """Malformed TOML is a ScenarioError, not a TOMLDecodeError."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_toml('id = "x"\nsteps = [', source="mine.toml")
    assert str(info.value).startswith("mine.toml: not valid TOML: ")
    assert isinstance(info.value, ConfigurationError)
    assert isinstance(info.value, ValueError)


def test_toml_error_names_the_location() -> None:
    """An invalid step in TOML names steps[n].field."""
    bad = TOML_TEXT.replace("offset_days = 20", "offset_days = 2")
    with pytest.raises(ScenarioError) as info:
        scenario_from_toml(bad, source="short.toml")
    assert _details(info.value) == [("steps[1].offset_days", "steps_not_in_order")]


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def test_load_scenario_from_toml_and_json_files(tmp_path: Path) -> None:
    """load_scenario picks the format from the file suffix."""
    toml_file = tmp_path / "short.toml"
    toml_file.write_text(TOML_TEXT, encoding="utf-8")
    json_file = tmp_path / "short.JSON"
    json_file.write_text(json.dumps(scenario_from_toml(TOML_TEXT).model_dump(mode="json")))
    assert load_scenario(toml_file) == scenario_from_toml(TOML_TEXT)
    assert load_scenario(str(json_file)) == scenario_from_toml(TOML_TEXT)


def test_load_scenario_errors_start_with_the_path(tmp_path: Path) -> None:
    """Every error from a file starts with its path, then says what and where."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_scenario(_step("a", 10), _step("b", 3))), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert str(info.value).startswith(f"{bad}: invalid scenario: steps[1].offset_days: ")
    assert info.value.source == str(bad)
    assert _details(info.value) == [("steps[1].offset_days", "steps_not_in_order")]

    broken = tmp_path / "broken.toml"
    broken.write_text("id = ", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(broken)
    assert str(info.value).startswith(f"{broken}: not valid TOML: ")

    broken_json = tmp_path / "broken.json"
    broken_json.write_text("{", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(broken_json)
    assert str(info.value).startswith(f"{broken_json}: not valid JSON: line 1 column 2")

    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(listed)
    assert str(info.value) == f"{listed}: a scenario or a policy must be a JSON object, got list"

    yaml = tmp_path / "mine.yaml"
    yaml.write_text("id: x", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(yaml)
    assert str(info.value) == f"{yaml}: unknown format .yaml: use .json or .toml"

    missing = tmp_path / "missing.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(missing)
    assert str(info.value).startswith(f"{missing}: cannot read the file: ")


POLICY_TOML = """
default = "short"
history_size = 3

[[rules]]
scenario = "short"
segment = "good"

[[rules]]
scenario = "long"
min_average_days_late = 20

[scenarios.short]
id = "short"
[[scenarios.short.steps]]
id = "reminder"
kind = "reminder"
level = 1
offset_days = 3
channel = "email"

[scenarios.long]
id = "long"
[[scenarios.long.steps]]
id = "reminder"
kind = "reminder"
level = 1
offset_days = 1
channel = "email"
"""


def test_load_policy_from_file(tmp_path: Path) -> None:
    """A policy file holds its scenarios and its rules."""
    path = tmp_path / "policy.toml"
    path.write_text(POLICY_TOML, encoding="utf-8")
    policy = load_policy(path)
    # Its own two, next to the built-ins it may name.
    assert sorted(policy.scenarios) == ["firm", "gentle", "long", "short", "standard"]
    assert policy.history_size == 3
    assert policy.scenario_for(Customer(id="c", name="c", segment="good")).id == "short"
    # Average of the last three: (30 + 20 + 10) / 3 = 20 -> long; the 0 before them is dropped.
    late = Customer(id="c", name="c")
    assert policy.scenario_for(late, recent_days_late=[0, 30, 20, 10]).id == "long"
    assert policy.scenario_for(late, recent_days_late=[30, 20, 10, 0]).id == "short"


def test_load_policy_with_unknown_scenario(tmp_path: Path) -> None:
    """A rule naming a scenario that does not exist fails at load time, naming the rule."""
    path = tmp_path / "policy.toml"
    path.write_text(POLICY_TOML.replace('scenario = "long"', 'scenario = "longg"'))
    with pytest.raises(ScenarioError) as info:
        load_policy(path)
    assert _details(info.value) == [("rules[1].scenario", "unknown_scenario")]
    assert str(info.value).startswith(f"{path}: invalid policy: rules[1].scenario: ")


# --------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------


def test_json_schema_export() -> None:
    """The JSON Schema names the required fields, steps and the enumerations a UI needs."""
    schema = scenario_json_schema()
    assert schema["required"] == ["id", "steps"]
    assert schema["additionalProperties"] is False
    for name in ("id", "steps", "minimum_gap_days", "catch_up", "send_windows", "grace_days"):
        assert name in schema["properties"]
    step = schema["$defs"]["Step"]
    assert step["additionalProperties"] is False
    assert set(step["required"]) == {"id", "kind", "level", "offset_days", "channel"}
    assert set(schema["$defs"]["Channel"]["enum"]) == {c.value for c in Channel}
    assert set(schema["$defs"]["StepKind"]["enum"]) == {k.value for k in StepKind}
    json.dumps(schema)  # serialisable as is


# --------------------------------------------------------------------------------------------
# Lint
# --------------------------------------------------------------------------------------------


def _codes(findings: tuple[LintFinding, ...]) -> list[tuple[str, str | None]]:
    return [(f.code, f.step_id) for f in findings]


def _notice(offset: int, level: int = 9, **extra: Any) -> dict[str, Any]:
    extra.setdefault("deadline_days", 8)
    return _step(
        "notice", offset, level, kind="formal_notice", channel="registered_letter", **extra
    )


def test_lint_steps_closer_than_gap() -> None:
    """Steps 3 days apart with a 5-day minimum gap are reported on the later step."""
    s = scenario_from_mapping(_scenario(_step("a", 1), _step("b", 4), _notice(30)))
    assert _codes(lint(s)) == [("steps_closer_than_gap", "b")]
    # Exactly the gap is fine.
    s = scenario_from_mapping(_scenario(_step("a", 1), _step("b", 6), _notice(30)))
    assert lint(s) == ()


def test_lint_deadline_overlaps_next_step() -> None:
    """An 8-day deadline with the next step 8 days later is reported on the step stating it."""
    s = scenario_from_mapping(_scenario(_step("a", 1, deadline_days=8), _step("b", 9), _notice(30)))
    assert _codes(lint(s)) == [("deadline_overlaps_next_step", "a")]
    # Next step 9 days after an 8-day deadline: the deadline has passed.
    s = scenario_from_mapping(
        _scenario(_step("a", 1, deadline_days=8), _step("b", 10), _notice(30))
    )
    assert lint(s) == ()


def test_lint_too_many_reminders_before_formal_notice() -> None:
    """Six reminders before the formal notice are too many; five are not."""
    six = [_step(f"r{n}", 10 * n) for n in range(6)]
    s = scenario_from_mapping(_scenario(*six, _notice(70)))
    assert _codes(lint(s)) == [("too_many_reminders_before_formal_notice", "notice")]
    s = scenario_from_mapping(_scenario(*six[:5], _notice(70)))
    assert lint(s) == ()


def test_lint_formal_notice_without_approval() -> None:
    """A formal notice sent without a human approving it is reported."""
    s = scenario_from_mapping(_scenario(_step("a", 1), _notice(30, requires_approval=False)))
    assert _codes(lint(s)) == [("formal_notice_without_approval", "notice")]


def test_lint_formal_notice_without_deadline() -> None:
    """A formal notice that states no final deadline is reported."""
    s = scenario_from_mapping(_scenario(_step("a", 1), _notice(30, deadline_days=None)))
    assert _codes(lint(s)) == [("formal_notice_without_deadline", "notice")]


def test_lint_formal_notice_not_in_writing() -> None:
    """A formal notice by phone cannot be proved received: reported; by letter it is fine."""
    notice = _notice(30)
    s = scenario_from_mapping(_scenario(_step("a", 1), {**notice, "channel": "phone_task"}))
    assert _codes(lint(s)) == [("formal_notice_not_in_writing", "notice")]
    s = scenario_from_mapping(_scenario(_step("a", 1), {**notice, "channel": "letter"}))
    assert lint(s) == ()


def test_lint_missing_template() -> None:
    """A step naming a template the pack lacks is reported once per locale, naming the file."""
    s = scenario_from_mapping(_scenario(_step("a", 1, template="overdue_notice")))
    findings = lint(s)
    assert _codes(findings) == [("missing_template", "a")] * 4
    assert [f.message.split(":")[0] for f in findings] == [
        "en/overdue_notice.subject.j2",
        "en/overdue_notice.txt.j2",
        "fr/overdue_notice.subject.j2",
        "fr/overdue_notice.txt.j2",
    ]


def test_lint_findings_in_ladder_order() -> None:
    """Findings come in the order of the steps they concern."""
    s = scenario_from_mapping(
        _scenario(
            _step("a", 1, deadline_days=8),
            _step("b", 3),
            _notice(5, requires_approval=False, deadline_days=None),
        )
    )
    assert _codes(lint(s)) == [
        ("deadline_overlaps_next_step", "a"),
        ("steps_closer_than_gap", "b"),
        ("steps_closer_than_gap", "notice"),
        ("formal_notice_without_approval", "notice"),
        ("formal_notice_without_deadline", "notice"),
    ]
    assert all(f.message for f in lint(s))


@pytest.mark.parametrize("scenario", [GENTLE, STANDARD, FIRM], ids=lambda s: s.id)
def test_builtin_scenarios_lint_clean(scenario: Scenario) -> None:
    """The built-in scenarios have no lint findings."""
    assert lint(scenario) == ()


# --------------------------------------------------------------------------------------------
# Built-in scenarios (the product spec)
# --------------------------------------------------------------------------------------------


def _ladder(s: Scenario) -> list[tuple[int, str, Channel, int | None, bool]]:
    return [
        (st.offset_days, st.kind.value, st.channel, st.deadline_days, st.requires_approval)
        for st in s.steps
    ]


def test_gentle_ladder() -> None:
    """Gentle: J-3 courtesy, J+5 friendly, J+15 reminder, J+30 firm (8 d), J+45 notice."""
    assert _ladder(GENTLE) == [
        (-3, "courtesy", Channel.EMAIL, None, False),
        (5, "friendly", Channel.EMAIL, None, False),
        (15, "reminder", Channel.EMAIL, None, False),
        (30, "firm", Channel.EMAIL, 8, False),
        (45, "formal_notice", Channel.REGISTERED_LETTER, 8, True),
    ]


def test_standard_ladder() -> None:
    """Standard: J+1 email, J+7 email, J+14 firm (5 d), J+21 phone task, J+30 notice (8 d)."""
    assert _ladder(STANDARD) == [
        (1, "friendly", Channel.EMAIL, None, False),
        (7, "reminder", Channel.EMAIL, None, False),
        (14, "firm", Channel.EMAIL, 5, False),
        (21, "phone_call", Channel.PHONE_TASK, None, False),
        (30, "formal_notice", Channel.REGISTERED_LETTER, 8, True),
    ]
    assert [st.id for st in STANDARD.steps] == [
        "informative",
        "reminder",
        "firm",
        "phone_call",
        "formal_notice",
    ]


def test_firm_ladder() -> None:
    """Firm: J+1 email, J+7 SMS, J+15 formal notice with approval."""
    assert [(st.offset_days, st.channel, st.requires_approval) for st in FIRM.steps] == [
        (1, Channel.EMAIL, False),
        (7, Channel.SMS, False),
        (15, Channel.REGISTERED_LETTER, True),
    ]
    assert FIRM.steps[-1].kind is StepKind.FORMAL_NOTICE


def test_builtin_scenarios_share_the_default_timing() -> None:
    """Built-ins use the 5-day gap, business days, one level at a time, grace of 2 days."""
    assert sorted(BUILTIN_SCENARIOS) == ["firm", "gentle", "standard"]
    for s in BUILTIN_SCENARIOS.values():
        assert (s.minimum_gap_days, s.business_days_only, s.catch_up, s.grace_days) == (
            5,
            True,
            CatchUp.ONE_LEVEL_AT_A_TIME,
            2,
        )
        assert s.broken_promise_step is not None
        assert s.broken_promise_step.id == "broken_promise"
        levels = [st.level for st in s.steps]
        assert levels == sorted(levels)


# --------------------------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "expected"),
    [("good", "gentle"), ("default", "standard"), ("late", "firm"), (None, "standard")],
)
def test_default_policy_segments(segment: str | None, expected: str) -> None:
    """Segments good / default / late map to gentle / standard / firm; none -> standard."""
    customer = Customer(id="c", name="c", segment=segment)
    assert DEFAULT_POLICY.scenario_for(customer).id == expected


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([0, 2, 1], "gentle"),  # average 1
        ([5, 5], "gentle"),  # average 5: at most 5 -> good payer
        ([6, 5], "standard"),  # average 5.5
        ([29, 30], "standard"),  # average 29.5
        ([30, 30], "firm"),  # average 30: at least 30 -> repeatedly late
        ([90, 0, 0, 0, 0, 0, 0], "gentle"),  # only the last 6 count: average 0
        ([], "standard"),  # no history: no history rule matches
    ],
)
def test_default_policy_history_rules(history: list[int], expected: str) -> None:
    """Without a segment, the average days late of the last 6 invoices chooses."""
    customer = Customer(id="c", name="c")
    assert DEFAULT_POLICY.scenario_for(customer, recent_days_late=history).id == expected


def test_segment_wins_over_history() -> None:
    """The first matching rule wins: an explicit segment comes before the history rules."""
    customer = Customer(id="c", name="c", segment="late")
    assert DEFAULT_POLICY.scenario_for(customer, recent_days_late=[0, 0]).id == "firm"


def test_policy_rule_conditions() -> None:
    """A rule matches only when each condition given holds."""
    rule = PolicyRule(scenario="x", segment="vip", max_average_days_late=Decimal(10))
    vip = Customer(id="c", name="c", segment="vip")
    assert rule.matches(vip, Decimal(10))
    assert not rule.matches(vip, Decimal("10.5"))
    assert not rule.matches(vip, None)
    assert not rule.matches(Customer(id="c", name="c"), Decimal(0))
    assert PolicyRule(scenario="x").matches(vip, None)


def test_policy_unknown_scenario_reference() -> None:
    """A default naming an unknown scenario is refused at 'default' with the known ones."""
    with pytest.raises(ScenarioError) as info:
        policy_from_mapping({"scenarios": {"standard": STANDARD}, "default": "strict"})
    assert _details(info.value) == [("default", "unknown_scenario")]
    assert info.value.details[0].message == "no scenario 'strict' (known: standard)"


def test_policy_key_must_match_scenario_id() -> None:
    """A scenario filed under another key than its id is refused."""
    with pytest.raises(ScenarioError) as info:
        policy_from_mapping({"scenarios": {"std": STANDARD}, "default": "std"})
    assert _details(info.value) == [("scenarios.std", "scenario_key_mismatch")]


def test_policy_built_directly() -> None:
    """A Policy built in code works like one loaded from data."""
    policy = Policy(scenarios={"firm": FIRM}, default="firm")
    assert policy.scenario_for(Customer(id="c", name="c", segment="good")) is FIRM


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".json", '{"id": "x", "steps": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        (".toml", 'id = "x"\nsteps = ' + "[" * 100_000 + "]" * 100_000),
        (".json", '{"id": "x", "steps": ' + "[" * 33 + "]" * 33 + "}"),
    ],
    ids=["json-past-the-parser", "toml-past-the-parser", "json-just-too-deep"],
)
def test_a_deeply_nested_document_is_a_scenario_error(
    tmp_path: Path, suffix: str, text: str
) -> None:
    """Nesting that would exhaust Python's recursion is refused with the file's name.

    100,000 brackets overflow the parsers (a RecursionError before issue 19); 33 nested lists
    parse, and are refused before validation recurses into them.
    """
    path = tmp_path / f"deep{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"deep\.(json|toml): nested more than 32 levels"):
        load_scenario(path)
    parse = scenario_from_json if suffix == ".json" else scenario_from_toml
    with pytest.raises(ScenarioError, match="nested more than 32 levels"):
        parse(text)


def test_a_document_32_levels_deep_is_read() -> None:
    """The limit is inclusive: 32 levels parse (and then fail validation as a bad step list)."""
    text = '{"id": "x", "steps": ' + "[" * 32 + "]" * 32 + "}"  # the innermost list: level 32
    with pytest.raises(ScenarioError) as info:
        scenario_from_json(text)
    assert "nested more than" not in str(info.value)
