"""Scenarios (the reminder ladder), policies (which ladder for which customer), step review.

A `Scenario` is data: an ordered list of `Step` objects, each at an offset in days from the
due date, with a channel, a template and optionally a payment deadline stated in the message,
plus the timing rules the engine applies (minimum gap, business days only, send windows,
catch-up mode, tolerance, grace days for promises and plans).

Scenarios load from a mapping, JSON text or TOML text (files are read by
`dunning.load_scenario`, in the shell). Every error names its location, e.g.
``steps[2].offset_days``, and carries a stable code. `lint_steps` reports what is legal but
unwise in the ladder itself (`dunning.scenarios.lint` adds the templates' checks).

Examples:
    >>> s = scenario_from_toml('''
    ... id = "short"
    ... name = "Short ladder"
    ... [[steps]]
    ... id = "reminder"
    ... kind = "reminder"
    ... level = 1
    ... offset_days = 7
    ... channel = "email"
    ... deadline_days = 8
    ... [[steps]]
    ... id = "notice"
    ... kind = "formal_notice"
    ... level = 2
    ... offset_days = 10
    ... channel = "registered_letter"
    ... ''')
    >>> s.steps[1].requires_approval     # formal notices need a human by default
    True
    >>> [f.code for f in lint_steps(s)]
    ['deadline_overlaps_next_step', 'steps_closer_than_gap', 'formal_notice_without_deadline']
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from dunning.core._types import MODEL_CONFIG, Amount
from dunning.core.calendar import DEFAULT_SEND_WINDOWS, SendWindow, SendWindows
from dunning.core.ledger import ImputationRule
from dunning.core.model import Channel, PenaltyWording, default_penalty_wording
from dunning.exceptions import ErrorDetail, ScenarioError

__all__ = [
    "MAX_NESTING",
    "CatchUp",
    "ConversationRules",
    "LintFinding",
    "Scenario",
    "ScenarioPlan",
    "Step",
    "StepKind",
    "lint_steps",
    "parse_document",
    "scenario_from_json",
    "scenario_from_mapping",
    "scenario_from_toml",
    "scenario_json_schema",
]

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class StepKind(StrEnum):
    """What a step is, from the gentlest to the firmest; template packs have one per kind."""

    COURTESY = "courtesy"
    """Before the due date: a friendly heads-up."""
    FRIENDLY = "friendly"
    """Just after the due date: "perhaps an oversight"."""
    REMINDER = "reminder"
    FIRM = "firm"
    """States a payment deadline and the penalties owed."""
    PHONE_CALL = "phone_call"
    """A task for a person: call the customer, with a script."""
    INTERNAL_ALERT = "internal_alert"
    FORMAL_NOTICE = "formal_notice"
    """Mise en demeure (Code civil 1344): makes interest run for consumers, precedes court."""
    HANDOVER = "handover"
    """Hand the file to a collection agency or a lawyer."""


_APPROVAL_BY_DEFAULT = frozenset({StepKind.FORMAL_NOTICE, StepKind.HANDOVER})

_LEGAL_ACTS = frozenset({StepKind.FORMAL_NOTICE, StepKind.HANDOVER})
"""Steps that are legal acts: only a step of the same kind may stand for one (`_reached`)."""


class CatchUp(StrEnum):
    """What to do when several steps became due while the host was not running."""

    ONE_LEVEL_AT_A_TIME = "one_level_at_a_time"
    """Take the first step not yet taken (what SAP and Odoo do): no level is skipped."""
    JUMP_TO_DUE_LEVEL = "jump_to_due_level"
    """Take the last step already due, skipping the lower ones."""


class Step(BaseModel):
    """One rung of the ladder.

    Attributes:
        id: unique within the scenario; part of every action id, so keep it stable.
        kind: what the step is (selects the template family).
        level: escalation level (1, 2, ...); levels never go down along the ladder.
        name: the level's display name; defaults to the kind.
        offset_days: calendar days from the due date (negative = before it).
        channel: how the action reaches the customer.
        fallback_channel: where to retry when delivery fails or the customer opted out.
        template: template name; defaults to the kind.
        deadline_days: payment deadline stated in the message ("within 8 days"). The engine never
            sends the next step before it has passed.
        requires_approval: a human must approve before it is sent (default: formal notices and
            handovers).
        penalty_wording: what the message says about penalties: ``none`` (default for
            courtesy and friendly steps), ``mention`` (that they apply; default for reminders)
            or ``amounts`` (the amounts owed; default for firm steps and later).
    """

    model_config = MODEL_CONFIG

    id: Identifier
    kind: StepKind
    level: Annotated[int, Field(ge=1)]
    name: str = ""
    offset_days: Annotated[int, Field(ge=-365, le=3650)]
    channel: Channel
    fallback_channel: Channel | None = None
    template: str = ""
    deadline_days: Annotated[int, Field(ge=1, le=365)] | None = None
    requires_approval: bool = False
    penalty_wording: PenaltyWording = PenaltyWording.AMOUNTS

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_kind(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            kind = data.get("kind")
            if isinstance(kind, str) and kind in set(StepKind):
                kind = StepKind(kind)
                data.setdefault("requires_approval", kind in _APPROVAL_BY_DEFAULT)
                data.setdefault("name", kind.value.replace("_", " "))
                data.setdefault("template", kind.value)
                data.setdefault("penalty_wording", default_penalty_wording(kind.value))
        return data

    @model_validator(mode="after")
    def _check_fallback(self) -> Step:
        if self.fallback_channel == self.channel:
            raise PydanticCustomError(
                "fallback_same_channel",
                "fallback_channel must differ from channel ({channel})",
                {"channel": self.channel.value},
            )
        return self


class ConversationRules(BaseModel):
    """How one customer's invoices make one conversation (DOMAIN 9; `dunning.core.conversation`).

    The defaults are what a French SME's credit controller would choose; change them where
    your practice differs. Every rule counts only messages the customer receives (email, SMS,
    letter, registered letter); staff tasks (call, alert, handover) have their own ladder gap.

    Attributes:
        customer_gap_days: at least this many days between two messages to the customer,
            whatever invoices they concern (the scenario's ``minimum_gap_days`` if larger).
        messages_per_30_days: at most this many messages to a business or public customer in
            any 30 rolling days.
        consumer_messages_per_30_days: the same for a consumer.
        pull_forward_days: a formal notice also demands the overdue invoices at least this
            many days late that were already named in a delivered message.
        notice_spacing_days: at most one automatic formal notice per account in this many days.
        notice_minimum: no formal notice for less than this principal (the invoices it demands).
        minimum_overdue: no message while the net overdue balance is under this amount.
        complementary_notice: after a formal notice, a second one may be proposed (always for
            a person's approval) for invoices not yet on notice.
        complementary_gap_days: a complementary notice comes at least this many days after the
            first notice's deadline.
        quiet_days: a conversation closes (its tone resets) after this many days without a
            message to the customer.
        quiet_days_after_notice: the same when the conversation reached a formal notice.
        imputation: how money on account and unallocated credit notes are imputed to the
            invoices: ``civil_code`` (C. civ. 1342-10, default) or ``oldest_first`` (see
            `dunning.core.ledger.ImputationRule`).

    Examples:
        >>> ConversationRules().customer_gap_days, ConversationRules().notice_minimum
        (7, Decimal('150'))
    """

    model_config = MODEL_CONFIG

    customer_gap_days: Annotated[int, Field(ge=0, le=365)] = 7
    messages_per_30_days: Annotated[int, Field(ge=1, le=30)] = 3
    consumer_messages_per_30_days: Annotated[int, Field(ge=1, le=30)] = 2
    pull_forward_days: Annotated[int, Field(ge=0, le=365)] = 15
    notice_spacing_days: Annotated[int, Field(ge=0, le=3650)] = 60
    notice_minimum: Amount = Decimal(150)
    minimum_overdue: Amount = Decimal(30)
    complementary_notice: bool = True
    complementary_gap_days: Annotated[int, Field(ge=0, le=365)] = 15
    quiet_days: Annotated[int, Field(ge=1, le=3650)] = 90
    quiet_days_after_notice: Annotated[int, Field(ge=1, le=3650)] = 180
    imputation: ImputationRule = ImputationRule.CIVIL_CODE


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class ScenarioPlan:
    """What the engine reads from a scenario, worked out once: `Scenario.plan` holds it.

    Compared by identity (``eq=False``): a plan belongs to its scenario, and two equal
    scenarios compare equal whatever their cached plans. Its mappings are plain dicts, read
    only (typed `Mapping`): the engine reads them for every invoice.

    Attributes:
        scenario: the scenario it was worked out from.
        steps: the ladder.
        offsets: each step's ``offset_days``, as a timedelta.
        by_id: every step by id, the broken-promise step included (the first step of an id
            wins, as in `Scenario.step`).
        index: the position in ``steps`` a step taken brings the invoice to: a ladder step's
            own (its last), and the broken-promise step's, the last ladder step of its level
            or below (a formal notice or a handover only if it is one too). The firm letter
            sent on a broken promise stands for the milder steps not yet taken: the ladder
            resumes above it, never with a reminder after it.
        gap: ``minimum_gap_days`` as a timedelta.
        jump: whether the catch-up is ``jump_to_due_level``.
        business_days_only: the scenario's setting.
        windows: the send windows of the channels that have some.
        tolerance: the scenario's tolerance.
    """

    scenario: Scenario
    steps: tuple[Step, ...]
    offsets: tuple[timedelta, ...]
    by_id: Mapping[str, Step]
    index: Mapping[str, int]
    gap: timedelta
    jump: bool
    business_days_only: bool
    windows: Mapping[Channel, tuple[SendWindow, ...]]
    tolerance: Decimal

    @classmethod
    def of(cls, scenario: Scenario) -> ScenarioPlan:
        """Work out the plan of *scenario* (`Scenario.plan` keeps it; use that)."""
        by_id: dict[str, Step] = {}
        if scenario.broken_promise_step is not None:
            by_id[scenario.broken_promise_step.id] = scenario.broken_promise_step
        for step in reversed(scenario.steps):  # the first step of an id wins
            by_id[step.id] = step
        return cls(
            scenario=scenario,
            steps=tuple(scenario.steps),
            offsets=tuple(timedelta(days=step.offset_days) for step in scenario.steps),
            by_id=by_id,
            index=_reached(scenario),
            gap=timedelta(days=scenario.minimum_gap_days),
            jump=scenario.catch_up is CatchUp.JUMP_TO_DUE_LEVEL,
            business_days_only=scenario.business_days_only,
            windows={channel: tuple(w) for channel, w in scenario.send_windows.items() if w},
            tolerance=scenario.tolerance,
        )


def _reached(scenario: Scenario) -> dict[str, int]:
    """`ScenarioPlan.index`: where each step taken leaves the invoice on the ladder."""
    index = {step.id: n for n, step in enumerate(scenario.steps)}
    broken = scenario.broken_promise_step
    if broken is not None:
        # A legal act (a formal notice, a handover) is stood for only by one of its kind: a
        # firm letter of the notice's level must not pass for the notice.
        below = [
            n
            for n, step in enumerate(scenario.steps)
            if step.level <= broken.level
            and (step.kind not in _LEGAL_ACTS or step.kind is broken.kind)
        ]
        if below:
            index[broken.id] = below[-1]
    return index


class Scenario(BaseModel):
    """A reminder ladder and the timing rules the engine applies to it.

    Attributes:
        id: stable identifier, e.g. ``standard``.
        name: display name.
        steps: the ladder, in order of offset (strictly increasing) and level (non-decreasing).
        minimum_gap_days: no two actions on one invoice (or, grouped, one customer) closer than
            this many days.
        business_days_only: roll each step to the next business day of the customer's calendar.
        send_windows: local-time windows per channel; channels not listed may be used any time
            of a business day. Default: SMS and phone 10:00-13:00 and 14:00-20:00.
        catch_up: see `CatchUp`.
        tolerance: a balance at or below this is treated as paid (rounding differences).
        grace_days: days after a promised date or plan installment before it counts as broken.
        broken_promise_step: optional step taken when a promise or plan is broken; its
            ``offset_days`` counts from the day the break is established.
        conversation: how the invoices of one customer make one conversation (see
            `ConversationRules`); applied when messages are grouped per customer.
    """

    model_config = MODEL_CONFIG

    id: Identifier
    name: str = ""
    description: str = ""
    steps: Annotated[tuple[Step, ...], Field(min_length=1)]
    minimum_gap_days: Annotated[int, Field(ge=0, le=365)] = 5
    business_days_only: bool = True
    send_windows: Mapping[Channel, SendWindows] = Field(
        default_factory=lambda: dict(DEFAULT_SEND_WINDOWS)
    )
    catch_up: CatchUp = CatchUp.ONE_LEVEL_AT_A_TIME
    tolerance: Amount = Decimal("0.00")
    grace_days: Annotated[int, Field(ge=0, le=60)] = 2
    broken_promise_step: Step | None = None
    conversation: ConversationRules = Field(default_factory=ConversationRules)

    @model_validator(mode="after")
    def _check_ladder(self) -> Scenario:
        seen: set[str] = set()
        all_steps = [*self.steps, *([self.broken_promise_step] if self.broken_promise_step else [])]
        for n, step in enumerate(all_steps):
            where = f"steps[{n}]" if n < len(self.steps) else "broken_promise_step"
            if step.id in seen:
                raise PydanticCustomError(
                    "duplicate_step_id",
                    "{location}: step id '{step_id}' is used twice",
                    {"location": f"{where}.id", "step_id": step.id},
                )
            seen.add(step.id)
        for n in range(1, len(self.steps)):
            before, step = self.steps[n - 1], self.steps[n]
            if step.offset_days <= before.offset_days:
                raise PydanticCustomError(
                    "steps_not_in_order",
                    "{location}: offset {offset} must be greater than the previous step's "
                    "({previous}); steps are listed in the order they happen",
                    {
                        "location": f"steps[{n}].offset_days",
                        "offset": step.offset_days,
                        "previous": before.offset_days,
                    },
                )
            if step.level < before.level:
                raise PydanticCustomError(
                    "levels_not_in_order",
                    "{location}: level {level} is below the previous step's ({previous}); "
                    "a ladder only goes up",
                    {
                        "location": f"steps[{n}].level",
                        "level": step.level,
                        "previous": before.level,
                    },
                )
        return self

    @cached_property
    def plan(self) -> ScenarioPlan:
        """What the engine reads from this scenario, worked out on first use and kept.

        A `functools.cached_property`, which pydantic supports on frozen models: the value is
        stored in the instance's ``__dict__``, is not a field (not dumped, not compared, not
        hashed) and lives as long as the scenario. ``model_copy`` copies it with the rest of
        ``__dict__`` (a documented pydantic caveat), so a copy with changed fields holds its
        original's plan: ``scenario.plan.scenario is scenario`` tells, and the engine then
        works the copy's plan out afresh.

        Examples:
            >>> from dunning.core.builtin import STANDARD
            >>> STANDARD.plan is STANDARD.plan
            True
            >>> STANDARD.plan.gap.days == STANDARD.minimum_gap_days
            True
        """
        return ScenarioPlan.of(self)

    def step(self, step_id: str) -> Step | None:
        """The step with this id (including the broken-promise step), or None."""
        for step in self.steps:
            if step.id == step_id:
                return step
        bp = self.broken_promise_step
        return bp if bp is not None and bp.id == step_id else None


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _details(error: ValidationError) -> tuple[ErrorDetail, ...]:
    items = error.errors(include_url=False)
    # pydantic checks a list's length after dropping the items that failed, so a scenario whose
    # only step is wrong would also get "steps: too short". That is noise: drop it when an error
    # inside the same list explains it.
    inner = {tuple(item["loc"][:-1]) for item in items} | {
        tuple(item["loc"][:-2]) for item in items if len(item["loc"]) > 1
    }
    details = []
    for item in items:
        if item["type"] == "too_short" and tuple(item["loc"]) in inner:
            continue
        ctx = item.get("ctx") or {}
        location = ctx.get("location") or _location(item["loc"])
        message = item["msg"]
        prefix = f"{location}: "
        message = message.removeprefix(prefix)
        details.append(ErrorDetail(location=location, message=message, code=item["type"]))
    return tuple(details)


def raise_scenario_error(error: ValidationError, what: str, source: str | None) -> None:
    details = _details(error)
    lines = "; ".join(str(d) for d in details)
    msg = f"invalid {what}: {lines}"
    raise ScenarioError(msg, details=details, source=source) from None


def scenario_from_mapping(data: Mapping[str, Any], *, source: str | None = None) -> Scenario:
    """Build a `Scenario` from plain data (parsed JSON/TOML, a dict from a vendor's UI).

    Args:
        data: the scenario as a mapping.
        source: where it came from (a file name), quoted in errors.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: listing every problem with its location and code in ``details``.

    Examples:
        >>> step = {"kind": "reminder", "level": 1, "channel": "email"}
        >>> try:
        ...     scenario_from_mapping({"id": "x", "steps": [
        ...         {**step, "id": "a", "offset_days": 10},
        ...         {**step, "id": "b", "offset_days": 3}]}, source="x.json")
        ... except ScenarioError as error:
        ...     print(error)
        ...     print(error.details[0].location, error.details[0].code)
        x.json: invalid scenario: steps[1].offset_days: offset 3 must be greater than the
        previous step's (10); steps are listed in the order they happen
        steps[1].offset_days steps_not_in_order
    """
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise_scenario_error(error, "scenario", source)
        raise  # pragma: no cover  (unreachable: the line above always raises)


MAX_NESTING = 32
"""How deep a scenario or policy document may nest (a real one nests about 5 levels)."""


def parse_document(
    text: str | bytes, form: Literal["json", "toml"], *, source: str | None = None
) -> dict[str, Any]:
    """The mapping a JSON or TOML scenario (or policy) document holds.

    Malformed text, a top level that is not an object, and nesting deeper than `MAX_NESTING`
    (which would otherwise exhaust Python's recursion in the parser or the validation) raise
    `ScenarioError`, naming the source.

    Examples:
        >>> parse_document('id = "x"', "toml")
        {'id': 'x'}
        >>> parse_document('{"id": ' + "[" * 40 + "]" * 40 + "}", "json", source="deep.json")
        Traceback (most recent call last):
        ...
        dunning.exceptions.ScenarioError: deep.json: nested more than 32 levels deep: ...
    """
    too_deep = f"nested more than {MAX_NESTING} levels deep: a scenario nests about 5"
    try:
        if form == "json":
            data = json.loads(text)
        else:
            data = tomllib.loads(text if isinstance(text, str) else text.decode("utf-8"))
    except json.JSONDecodeError as error:
        msg = f"not valid JSON: line {error.lineno} column {error.colno}: {error.msg}"
        raise ScenarioError(msg, source=source) from None
    except tomllib.TOMLDecodeError as error:
        msg = f"not valid TOML: {error}"
        raise ScenarioError(msg, source=source) from None
    except RecursionError:
        raise ScenarioError(too_deep, source=source) from None
    if not isinstance(data, dict):
        msg = f"a scenario or a policy must be a JSON object, got {type(data).__name__}"
        raise ScenarioError(msg, source=source)
    if _depth(data) > MAX_NESTING:
        raise ScenarioError(too_deep, source=source)
    return data


def _depth(value: object) -> int:
    """How deep *value* nests (a scalar is 0), without recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            pending.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            pending.extend((v, level + 1) for v in item)
    return deepest


def scenario_from_json(text: str | bytes, *, source: str | None = None) -> Scenario:
    """Parse a scenario from JSON text. Raises `ScenarioError` (also for malformed JSON).

    Examples:
        >>> scenario_from_json('{"id": "x", "steps": [{"id": "a", "kind": "reminder", '
        ...     '"level": 1, "offset_days": 1, "channel": "email"}]}').steps[0].template
        'reminder'
    """
    data = parse_document(text, "json", source=source)
    return scenario_from_mapping(data, source=source)


def scenario_from_toml(text: str, *, source: str | None = None) -> Scenario:
    """Parse a scenario from TOML text. Raises `ScenarioError` (also for malformed TOML)."""
    data = parse_document(text, "toml", source=source)
    return scenario_from_mapping(data, source=source)


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario, for editors and vendors' UIs.

    Examples:
        >>> scenario_json_schema()["required"]
        ['id', 'steps']
    """
    return Scenario.model_json_schema()


# ---------------------------------------------------------------------------------------------
# Lint
# ---------------------------------------------------------------------------------------------

MAX_REMINDERS_BEFORE_NOTICE = 5
"""More reminders than this before a formal notice teach customers to wait for the last one."""


@dataclass(frozen=True, slots=True)
class LintFinding:
    """Something legal but unwise in a scenario, for the vendor to show its user.

    Attributes:
        code: stable snake_case code.
        message: plain-English explanation.
        step_id: the step concerned, if any.
    """

    code: str
    message: str
    step_id: str | None = None


_NOT_IN_WRITING = frozenset({Channel.SMS, Channel.PHONE_TASK})


def lint_steps(scenario: Scenario) -> list[LintFinding]:
    """Review a scenario's ladder and return findings, in ladder order (empty when all is well).

    Codes: ``steps_closer_than_gap``, ``deadline_overlaps_next_step``,
    ``too_many_reminders_before_formal_notice``, ``formal_notice_without_approval``,
    ``formal_notice_without_deadline``, ``formal_notice_not_in_writing`` (by SMS or phone: a
    formal notice must be a writing the debtor can be shown to have received, Code civil 1344).
    `dunning.scenarios.lint` (`dunning.core.checks.lint`) adds the templates' findings; whether a
    customer opted out of a channel is not checked here (it depends on the customer).

    Args:
        scenario: the scenario to review.

    Returns:
        The findings, in ladder order.

    Examples:
        >>> from dunning.core.builtin import STANDARD
        >>> lint_steps(STANDARD)
        []
    """
    findings: list[LintFinding] = []
    steps = scenario.steps
    gap = scenario.minimum_gap_days
    for before, step in pairwise(steps):
        distance = step.offset_days - before.offset_days
        if distance < gap:
            findings.append(
                LintFinding(
                    "steps_closer_than_gap",
                    f"'{step.id}' is planned {distance} days after '{before.id}', less than the "
                    f"minimum gap of {gap} days: it will be sent later than its offset says",
                    step.id,
                )
            )
        if before.deadline_days is not None and before.deadline_days >= distance:
            findings.append(
                LintFinding(
                    "deadline_overlaps_next_step",
                    f"'{before.id}' gives {before.deadline_days} days to pay but '{step.id}' is "
                    f"planned {distance} days later: it will wait for the deadline to pass",
                    before.id,
                )
            )
    notices = [n for n, s in enumerate(steps) if s.kind is StepKind.FORMAL_NOTICE]
    if notices and notices[0] > MAX_REMINDERS_BEFORE_NOTICE:
        first = steps[notices[0]]
        findings.append(
            LintFinding(
                "too_many_reminders_before_formal_notice",
                f"{notices[0]} reminders come before the formal notice '{first.id}' "
                f"(more than {MAX_REMINDERS_BEFORE_NOTICE})",
                first.id,
            )
        )
    for n in notices:
        step = steps[n]
        if not step.requires_approval:
            findings.append(
                LintFinding(
                    "formal_notice_without_approval",
                    f"formal notice '{step.id}' would be sent without a human approving it",
                    step.id,
                )
            )
        if step.deadline_days is None:
            findings.append(
                LintFinding(
                    "formal_notice_without_deadline",
                    f"formal notice '{step.id}' states no final deadline (8 or 15 days are usual)",
                    step.id,
                )
            )
        if step.channel in _NOT_IN_WRITING:
            findings.append(
                LintFinding(
                    "formal_notice_not_in_writing",
                    f"formal notice '{step.id}' goes by {step.channel}: send it as a letter "
                    "(registered, ideally) or at least an email, so its receipt can be proved",
                    step.id,
                )
            )
    order = {s.id: n for n, s in enumerate(steps)}
    findings.sort(key=lambda f: order.get(f.step_id or "", len(steps)))
    return findings
