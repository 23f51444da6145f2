"""Read template packs from a directory (the shell side of `dunning.core.render`).

A pack directory holds one folder per locale, each with templates named
``<family>.<part>.j2`` (``fr/reminder.txt.j2``, ``de/reminder.subject.j2``...), exactly like the
built-in pack in ``dunning/core/templates/``. Loading merges the files over the built-in pack
by default, so a host overrides one template, adds a locale or ships a whole pack alike.
"""

from __future__ import annotations

from pathlib import Path

from dunning.core.render import RenderBudget, TemplatePack, builtin_pack
from dunning.exceptions import TemplateError

__all__ = ["load_template_pack"]


def load_template_pack(
    directory: str | Path,
    *,
    merge: bool = True,
    max_sms_segments: int | None = None,
    budget: RenderBudget | None = None,
) -> TemplatePack:
    """Load the templates under *directory* into a checked `TemplatePack`.

    Args:
        directory: a folder with one sub-folder per locale (``fr/``, ``en/``, ``de/``...).
        merge: merge over the built-in pack (default); False for a standalone pack.
        max_sms_segments: SMS ceiling; defaults to the built-in pack's.
        budget: what one render may cost (time, output size); the load-time checks run under
            it too. Defaults to `RenderBudget()`.

    Returns:
        The checked pack (merged over the built-in pack, only the files that change it, and
        the templates including them, are checked again: see `TemplatePack.from_mapping`).

    Raises:
        TemplateError: if the directory cannot be read (``unreadable_template``), or for any
            template problem (the error names the template and the line).

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = (Path(tmp) / "fr").mkdir()
        ...     _ = (Path(tmp) / "fr" / "reminder.subject.j2").write_text(
        ...         "Rappel : {{ invoice.number }}", encoding="utf-8")
        ...     pack = load_template_pack(tmp)
        >>> pack.sources["fr/reminder.subject.j2"]
        'Rappel : {{ invoice.number }}'
        >>> "en/reminder.txt.j2" in pack.sources     # the rest comes from the built-in pack
        True
    """
    root = Path(directory)
    if not root.is_dir():
        msg = f"{root} is not a directory"
        raise TemplateError(msg, template=str(root), code="unreadable_template")
    sources: dict[str, str] = {}
    for file in sorted(root.rglob("*.j2")):
        name = file.relative_to(root).as_posix()
        try:
            sources[name] = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            msg = f"cannot read the template: {error}"
            raise TemplateError(msg, template=name, code="unreadable_template") from None
    base = builtin_pack() if merge else None
    return TemplatePack.from_mapping(
        sources, base=base, max_sms_segments=max_sms_segments, budget=budget
    )
