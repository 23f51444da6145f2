"""Checks that need both a scenario and a template pack: the layer above `scenario` and `render`.

`dunning.core.scenario` knows the ladder and `dunning.core.render` the templates; neither
imports the other. `lint` reviews the ladder (`dunning.core.scenario.lint_steps`) and whether
the pack has every template the ladder needs (`dunning.core.render.missing_templates`).
"""

from __future__ import annotations

from datetime import time

from dunning.core.render import TemplatePack, missing_templates
from dunning.core.scenario import LintFinding, Scenario, lint_steps

__all__ = ["lint", "run_time_findings"]


def lint(
    scenario: Scenario,
    *,
    templates: TemplatePack | None = None,
    run_at: time | None = None,
    prepared_ahead: bool = False,
) -> tuple[LintFinding, ...]:
    """Review a scenario and return findings, in ladder order (empty when all is well).

    Codes: those of `dunning.core.scenario.lint_steps` (``steps_closer_than_gap``,
    ``deadline_overlaps_next_step``, ``too_many_reminders_before_formal_notice``,
    ``formal_notice_without_approval``, ``formal_notice_without_deadline``,
    ``formal_notice_not_in_writing``), ``missing_template`` (a step's template, or its SMS
    part, is not in *templates*), and with *run_at* ``run_time_outside_send_window``
    (`run_time_findings`). Whether a customer opted out of a channel is not checked here (it
    depends on the customer).

    Args:
        scenario: the scenario to review.
        templates: the template pack the scenario will be rendered with; the built-in pack
            by default. Each template's own variables are checked when its pack is built.
        run_at: the local time of the host's daily run, if it has one (a nightly batch).
        prepared_ahead: the runs prepare windowed messages ahead (``prepare_ahead``), with a
            sender that schedules or a delivery pass inside the windows.

    Returns:
        The findings, in ladder order.

    Examples:
        >>> from dunning.core.builtin import STANDARD
        >>> lint(STANDARD)
        ()
        >>> from dunning.core.scenario import scenario_from_mapping
        >>> s = scenario_from_mapping({"id": "x", "steps": [{"id": "a", "kind": "reminder",
        ...     "level": 1, "offset_days": 3, "channel": "sms", "template": "nope"}]})
        >>> [(f.code, f.step_id) for f in lint(s)][:2]
        [('missing_template', 'a'), ('missing_template', 'a')]
    """
    findings = lint_steps(scenario)
    if run_at is not None:
        findings.extend(run_time_findings(scenario, run_at, prepared_ahead=prepared_ahead))
    findings.extend(
        LintFinding("missing_template", f"{template}: step '{step_id}' {what}", step_id)
        for step_id, template, what in missing_templates(scenario, templates)
    )
    order = {s.id: n for n, s in enumerate(scenario.steps)}
    findings.sort(key=lambda f: order.get(f.step_id or "", len(scenario.steps)))
    return tuple(findings)


def run_time_findings(
    scenario: Scenario, run_at: time, *, prepared_ahead: bool = False
) -> list[LintFinding]:
    """The steps a daily run at *run_at* (local time) can never send: their windows miss it.

    A step whose channel has send windows goes only while one is open. A daily run at a time
    outside every window (02:00, for windows of 10:00-13:00 and 14:00-20:00) never finds it
    due: the ladder stops before it. Unless the runs prepare messages ahead
    (*prepared_ahead*: ``Dunner.run(prepare_ahead=...)`` with a sender that schedules, or a
    delivery pass, ``Dunner.deliver_due``, inside the windows), each such step (and the
    broken-promise step) gives ``run_time_outside_send_window``.

    Returns:
        One finding per step concerned, in ladder order (empty when all is well).

    Examples:
        >>> from dunning.core.builtin import STANDARD
        >>> [(f.code, f.step_id) for f in run_time_findings(STANDARD, time(2))]
        [('run_time_outside_send_window', 'phone_call')]
        >>> run_time_findings(STANDARD, time(10, 30)), run_time_findings(
        ...     STANDARD, time(2), prepared_ahead=True)
        ([], [])
    """
    if prepared_ahead:
        return []
    findings = []
    steps = [*scenario.steps]
    if scenario.broken_promise_step is not None:
        steps.append(scenario.broken_promise_step)
    for step in steps:
        windows = scenario.send_windows.get(step.channel)
        if not windows or any(w.start <= run_at < w.end for w in windows):
            continue
        spans = ", ".join(f"{w.start:%H:%M}-{w.end:%H:%M}" for w in windows)
        message = (
            f"{step.channel.value} goes only {spans} on business days: a daily run at "
            f"{run_at:%H:%M} never sends it, and the ladder stops there; run with "
            "prepare_ahead (dunning run --prepare-ahead) and a sender that schedules, or a "
            "delivery pass inside the window (dunning run --deliver-due)"
        )
        findings.append(LintFinding("run_time_outside_send_window", message, step.id))
    return findings
