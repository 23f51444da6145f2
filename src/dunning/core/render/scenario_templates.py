"""The templates a scenario needs: every step's family, in every locale of a pack.

A scenario is checked against a pack when it is loaded with one (`dunning.loading`) and by
`dunning.scenarios.lint`, which lists what is missing without raising.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from dunning.core.model import Channel
from dunning.core.render.pack import _PARTS_REQUIRED, TemplatePack, builtin_pack
from dunning.exceptions import TemplateError


class StepTemplates(Protocol):
    """What the template checks read from a scenario step (a `dunning.core.scenario.Step`)."""

    @property
    def id(self) -> str:
        """The step id."""

    @property
    def template(self) -> str:
        """The template family."""

    @property
    def channel(self) -> Channel:
        """The channel."""

    @property
    def fallback_channel(self) -> Channel | None:
        """The fallback channel, if any."""


class ScenarioTemplates(Protocol):
    """What the template checks read from a scenario (a `dunning.core.scenario.Scenario`).

    A protocol rather than the class, so rendering does not depend on scenarios:
    `dunning.scenarios.lint` (in `dunning.core.checks`) is the layer that brings both together.
    """

    @property
    def steps(self) -> Sequence[StepTemplates]:
        """The ladder's steps."""

    @property
    def broken_promise_step(self) -> StepTemplates | None:
        """The step taken on a broken promise, if any."""


def check_scenario_templates(scenario: ScenarioTemplates, pack: TemplatePack | None = None) -> None:
    """Check that *pack* has, in every locale, the templates a scenario's steps need.

    Each step's template family needs a subject and a text body, and an SMS part when the
    step's channel or fallback channel is SMS.

    Args:
        scenario: a `dunning.core.scenario.Scenario`.
        pack: the pack to check; the built-in pack by default.

    Raises:
        TemplateError: ``missing_template``, naming the step and the template.

    Examples:
        >>> from dunning.core.builtin import BUILTIN_SCENARIOS
        >>> for s in BUILTIN_SCENARIOS.values():
        ...     check_scenario_templates(s)
        >>> from dunning.core.scenario import scenario_from_mapping
        >>> s = scenario_from_mapping({"id": "x", "steps": [{"id": "a", "kind": "formal_notice",
        ...     "level": 1, "offset_days": 30, "channel": "sms"}]})
        >>> check_scenario_templates(s)
        Traceback (most recent call last):
        ...
        dunning.exceptions.TemplateError: en/formal_notice.sms.j2: step 'a' is sent by SMS ...
    """
    for step_id, template, message in missing_templates(scenario, pack):
        msg = f"step {step_id!r} {message}"
        raise TemplateError(msg, template=template, code="missing_template")


def missing_templates(
    scenario: ScenarioTemplates, pack: TemplatePack | None = None
) -> list[tuple[str, str, str]]:
    """The templates *pack* lacks for *scenario*, as ``(step id, template, what)`` triples.

    The non-raising form of `check_scenario_templates`, used by `dunning.scenarios.lint`.

    Examples:
        >>> from dunning.core.builtin import STANDARD
        >>> missing_templates(STANDARD)
        []
    """
    pack = pack if pack is not None else builtin_pack()
    steps: list[StepTemplates] = [*scenario.steps]
    if scenario.broken_promise_step is not None:
        steps.append(scenario.broken_promise_step)
    found: list[tuple[str, str, str]] = []
    for locale in sorted(pack.locales):
        for step in steps:
            for part in _PARTS_REQUIRED:
                if not pack.has(locale, step.template, part):
                    name = f"{locale}/{step.template}.{part}.j2"
                    found.append((step.id, name, "needs this template, which the pack lacks"))
            if Channel.SMS in (step.channel, step.fallback_channel) and not pack.has(
                locale, step.template, "sms"
            ):
                name = f"{locale}/{step.template}.sms.j2"
                found.append((step.id, name, "is sent by SMS but the pack has no SMS template"))
    return found
