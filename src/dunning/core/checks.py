"""Checks that need both a scenario and a template pack: the layer above `scenario` and `render`.

`dunning.core.scenario` knows the ladder and `dunning.core.render` the templates; neither
imports the other. `lint` reviews the ladder (`dunning.core.scenario.lint_steps`) and whether
the pack has every template the ladder needs (`dunning.core.render.missing_templates`).
"""

from __future__ import annotations

from dunning.core.render import TemplatePack, missing_templates
from dunning.core.scenario import LintFinding, Scenario, lint_steps

__all__ = ["lint"]


def lint(scenario: Scenario, *, templates: TemplatePack | None = None) -> tuple[LintFinding, ...]:
    """Review a scenario and return findings, in ladder order (empty when all is well).

    Codes: those of `dunning.core.scenario.lint_steps` (``steps_closer_than_gap``,
    ``deadline_overlaps_next_step``, ``too_many_reminders_before_formal_notice``,
    ``formal_notice_without_approval``, ``formal_notice_without_deadline``,
    ``formal_notice_not_in_writing``), and ``missing_template`` (a step's template, or its SMS
    part, is not in *templates*). Whether a customer opted out of a channel is not checked here
    (it depends on the customer).

    Args:
        scenario: the scenario to review.
        templates: the template pack the scenario will be rendered with; the built-in pack
            by default. Each template's own variables are checked when its pack is built.

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
    findings.extend(
        LintFinding("missing_template", f"{template}: step '{step_id}' {what}", step_id)
        for step_id, template, what in missing_templates(scenario, templates)
    )
    order = {s.id: n for n, s in enumerate(scenario.steps)}
    findings.sort(key=lambda f: order.get(f.step_id or "", len(scenario.steps)))
    return tuple(findings)
