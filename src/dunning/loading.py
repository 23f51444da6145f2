"""Read scenarios and policies from files (the shell side of `dunning.core.scenario`).

The format follows the file's suffix: ``.json`` or ``.toml``. Every error names the file and
the location inside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dunning.core.builtin import BUILTIN_SCENARIOS
from dunning.core.policy import Policy, policy_from_mapping
from dunning.core.render import TemplatePack, check_scenario_templates
from dunning.core.scenario import Scenario, parse_document, scenario_from_mapping
from dunning.exceptions import ScenarioError

__all__ = ["load_policy", "load_scenario"]


def _read(path: str | Path) -> tuple[dict[str, Any], str]:
    file = Path(path)
    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        msg = f"cannot read the file: {error.strerror or error}"
        raise ScenarioError(msg, source=source) from None
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        msg = (
            f"not UTF-8 text: byte {error.object[error.start]:#04x} on line {line} "
            "cannot be read; save the file as UTF-8"
        )
        raise ScenarioError(msg, source=source) from None
    suffix = file.suffix.lower()
    if suffix not in {".json", ".toml"}:
        msg = f"unknown format {suffix or '(no suffix)'}: use .json or .toml"
        raise ScenarioError(msg, source=source)
    data = parse_document(text, "json" if suffix == ".json" else "toml", source=source)
    return data, source


def load_scenario(path: str | Path, *, templates: TemplatePack | None = None) -> Scenario:
    """Load and validate a scenario from a ``.json`` or ``.toml`` file.

    Args:
        path: the file.
        templates: a template pack to check the scenario against (every step's template
            exists in every locale, with an SMS part where a step may go by SMS), so a missing
            template fails here rather than in the middle of a run. Pass `builtin_pack()` for
            the built-in templates.

    Raises:
        ScenarioError: if the file cannot be read or parsed, or the scenario is invalid; the
            message starts with the file name and each detail names its location.
        TemplateError: if *templates* lacks a template a step needs.

    Examples:
        >>> load_scenario("no/such/file.toml")
        Traceback (most recent call last):
        ...
        dunning.exceptions.ScenarioError: no/such/file.toml: cannot read the file: ...
    """
    data, source = _read(path)
    scenario = scenario_from_mapping(data, source=source)
    if templates is not None:
        check_scenario_templates(scenario, templates)
    return scenario


def load_policy(path: str | Path, *, templates: TemplatePack | None = None) -> Policy:
    """Load and validate a policy (scenarios and rules) from a ``.json`` or ``.toml`` file.

    The policy may name the built-in scenarios (``gentle``, ``standard``, ``firm``) without
    defining them; a scenario the file defines under the same id replaces the built-in one.

    Args:
        path: the file.
        templates: a template pack to check every scenario of the policy against.

    Raises:
        ScenarioError: as `load_scenario`.
        TemplateError: if *templates* lacks a template a step needs.
    """
    data, source = _read(path)
    own = data.get("scenarios", {})
    if isinstance(own, dict):
        data = {**data, "scenarios": {**BUILTIN_SCENARIOS, **own}}
    policy = policy_from_mapping(data, source=source)
    if templates is not None:
        for scenario in policy.scenarios.values():
            check_scenario_templates(scenario, templates)
    return policy
