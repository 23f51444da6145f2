"""Override packs: only what an override changes is checked again, and packs have a content key.

A pack built over a base (`TemplatePack.from_mapping(..., base=...)`, `with_overrides`) renders
on the sample contexts the templates it changes and every template that includes, imports or
extends one of them (transitively); the others keep the base's check. A spy on
`TemplatePack._check_by_rendering` lists the templates whose sample renders ran.
"""

from __future__ import annotations

import pytest

from dunning.core.render import RenderBudget, TemplatePack, builtin_pack, references
from dunning.core.render.builtin_references import BUILTIN_REFERENCES
from dunning.core.render.references import reference_index
from dunning.exceptions import TemplateError

SMALL = {
    "fr/t.subject.j2": "Rappel",
    "fr/t.txt.j2": 'Bonjour,\n{% include "fr/_tail.txt.j2" %}',
    "fr/t.sms.j2": '{% include "fr/_tail.txt.j2" %}',
    "fr/u.subject.j2": "Autre",
    "fr/u.txt.j2": "Rien à voir.",
    "fr/_tail.txt.j2": "Merci.",
}
"""A small base: family t includes the partial _tail in its text and its SMS; u uses nothing."""

# An SMS holds at most 2 parts of 153 GSM-7 characters (the default max_sms_segments).
TOO_LONG_FOR_AN_SMS = "x" * 400


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates whose sample renders run, in order."""
    names: list[str] = []
    check = TemplatePack._check_by_rendering

    def spy(pack: TemplatePack, name: str) -> None:
        names.append(name)
        check(pack, name)

    monkeypatch.setattr(TemplatePack, "_check_by_rendering", spy)
    return names


def test_an_override_of_a_leaf_renders_only_that_template(rendered: list[str]) -> None:
    """Overriding fr/reminder.txt.j2 (nothing includes it) renders that one template only."""
    base = builtin_pack()
    override = base.sources["fr/reminder.txt.j2"].replace("Cordialement", "Bien à vous")
    pack = base.with_overrides({"fr/reminder.txt.j2": override})
    assert rendered == ["fr/reminder.txt.j2"]
    assert pack.sources["fr/reminder.txt.j2"] == override


def test_an_override_of_a_partial_renders_every_template_using_it(rendered: list[str]) -> None:
    """fr/_signature.txt.j2 is included by five texts and by _signatory, which two more include."""
    base = builtin_pack()
    override = base.sources["fr/_signature.txt.j2"] + "\n--"
    base.with_overrides({"fr/_signature.txt.j2": override})
    assert rendered == [
        "fr/_signatory.txt.j2",
        "fr/_signature.txt.j2",
        "fr/courtesy.txt.j2",
        "fr/firm.txt.j2",  # through fr/_signatory.txt.j2
        "fr/formal_notice.txt.j2",  # through fr/_signatory.txt.j2
        "fr/friendly.txt.j2",
        "fr/handover.txt.j2",
        "fr/reminder.txt.j2",
    ]


def test_an_unchanged_override_renders_nothing(rendered: list[str]) -> None:
    """An 'override' with the base's own source changes nothing, so nothing is rendered."""
    base = builtin_pack()
    pack = base.with_overrides({"fr/reminder.txt.j2": base.sources["fr/reminder.txt.j2"]})
    assert rendered == []
    assert dict(pack.sources) == dict(base.sources)


def test_other_limits_check_every_template_again(rendered: list[str]) -> None:
    """Another SMS ceiling or budget than the base's: every sample render may end otherwise."""
    base = TemplatePack(SMALL)
    rendered.clear()
    TemplatePack.from_mapping({"fr/u.txt.j2": "Autre chose."}, base=base, max_sms_segments=1)
    assert rendered == sorted(SMALL)
    rendered.clear()
    TemplatePack.from_mapping({}, base=base, budget=RenderBudget(max_seconds=2))
    assert rendered == sorted(SMALL)


def test_a_partial_override_fails_in_the_sms_that_includes_it() -> None:
    """A partial that fits nowhere in an SMS fails the SMS template that includes it."""
    base = TemplatePack(SMALL)
    with pytest.raises(TemplateError) as caught:
        base.with_overrides({"fr/_tail.txt.j2": TOO_LONG_FOR_AN_SMS})
    assert (caught.value.code, caught.value.template) == ("sms_too_long", "fr/t.sms.j2")
    assert "the SMS takes 3 parts" in str(caught.value)


def test_a_partial_override_fails_in_the_family_it_breaks() -> None:
    """A partial fine on its own samples but failing inside fr/reminder.txt.j2 fails the build.

    The error is the one a full check of the merged pack raises (the pack as built before
    override packs were checked incrementally).
    """
    base = builtin_pack()
    broken = (
        base.sources["fr/_signature.txt.j2"]
        + '\n{% if action.kind == "reminder" %}{{ invoices|length // 0 }}{% endif %}'
    )
    override = {"fr/_signature.txt.j2": broken}
    with pytest.raises(TemplateError) as caught:
        base.with_overrides(override)
    error = caught.value
    assert (error.code, error.template) == ("render_failed", "fr/_signature.txt.j2")
    line = broken.count("\n") + 1
    assert error.line == line
    with pytest.raises(TemplateError) as full:
        TemplatePack({**base.sources, **override})
    assert (str(full.value), full.value.code, full.value.line) == (str(error), error.code, line)


@pytest.mark.parametrize(
    ("override", "code", "template", "line"),
    [
        ({"fr/reminder.txt.j2": "ok\n{{ customer.nom }}"}, "undefined_variable", None, 2),
        ({"fr/reminder.txt.j2": "ok\n{{ montant }}"}, "unknown_variable", None, 2),
        ({"fr/reminder.txt.j2": "ok\n{% if %}"}, "template_syntax", None, 2),
        ({"fr/reminder.sms.j2": TOO_LONG_FOR_AN_SMS}, "sms_too_long", None, None),
        ({"fr/nouveau.txt.j2": "x"}, "missing_template", "fr/nouveau", None),
        ({"fr/reminder.mail.j2": "x"}, "invalid_template_name", None, None),
    ],
    ids=["undefined", "unknown", "syntax", "sms", "family", "name"],
)
def test_a_bad_override_fails_at_build_as_before(
    override: dict[str, str], code: str, template: str | None, line: int | None
) -> None:
    """A broken override fails when merged, with the code, template and line as before."""
    with pytest.raises(TemplateError) as caught:
        builtin_pack().with_overrides(override)
    expected_template = template if template is not None else next(iter(override))
    assert (caught.value.code, caught.value.template, caught.value.line) == (
        code,
        expected_template,
        line,
    )


def test_a_template_naming_its_include_by_an_expression_is_always_checked_again(
    rendered: list[str],
) -> None:
    """`{% include "fr/_" ~ "tail.txt.j2" %}` may use any template: any change re-checks it."""
    base = TemplatePack({**SMALL, "fr/u.txt.j2": '{% include "fr/_" ~ "tail.txt.j2" %}'})
    rendered.clear()
    base.with_overrides({"fr/t.subject.j2": "Relance"})
    assert rendered == ["fr/t.subject.j2", "fr/u.txt.j2"]
    with pytest.raises(TemplateError) as caught:
        base.with_overrides({"fr/_tail.txt.j2": "{{ invoices|length // 0 }}"})
    assert caught.value.code == "render_failed"


def test_an_override_is_as_trusted_as_its_base(rendered: list[str]) -> None:
    """A trusted base's template keeps its trust until something it includes changes.

    The base is built with check_samples=False over a partial that fails on the samples: an
    override elsewhere leaves it as trusted as it was; an override of the family using it
    checks it (and fails).
    """
    failing = {**SMALL, "fr/_tail.txt.j2": "{{ invoices|length // 0 }}"}
    base = TemplatePack(failing, check_samples=False)
    base.with_overrides({"fr/u.txt.j2": "Autre chose."})
    assert rendered == ["fr/u.txt.j2"]
    with pytest.raises(TemplateError) as caught:
        base.with_overrides({"fr/_tail.txt.j2": "{{ invoices|length // 0 }} "})
    assert (caught.value.code, caught.value.template) == ("render_failed", "fr/_tail.txt.j2")


def test_an_override_pack_over_an_override_pack() -> None:
    """A pack built over an override pack checks what changed from that pack, not the first."""
    first = TemplatePack(SMALL).with_overrides({"fr/_tail.txt.j2": "Merci !"})
    second = first.with_overrides({"fr/u.txt.j2": "Autre."})
    assert (second.sources["fr/_tail.txt.j2"], second.sources["fr/u.txt.j2"]) == (
        "Merci !",
        "Autre.",
    )
    with pytest.raises(TemplateError) as caught:
        second.with_overrides({"fr/_tail.txt.j2": TOO_LONG_FOR_AN_SMS})
    assert (caught.value.code, caught.value.template) == ("sms_too_long", "fr/t.sms.j2")


def test_an_override_pack_renders_like_a_fully_checked_one() -> None:
    """Code shared with the base renders what the same pack built from scratch renders."""
    override = {"fr/_tail.txt.j2": "Merci de votre confiance."}
    cheap = TemplatePack(SMALL).with_overrides(override)
    full = TemplatePack({**SMALL, **override})
    variables = {"invoices": [], "action": {"kind": "t"}}
    for part in ("subject", "txt", "sms"):
        assert cheap.render_part("fr", "t", part, variables) == full.render_part(
            "fr", "t", part, variables
        )
    assert cheap.render_part("fr", "t", "txt", variables) == "Bonjour,\nMerci de votre confiance."


def test_the_content_key_is_equal_for_equal_content() -> None:
    """Same sources and limits, however given: same key; one character or a limit: another."""
    base = TemplatePack(SMALL)
    over = base.with_overrides({"fr/u.txt.j2": "Autre."})
    alone = TemplatePack({**SMALL, "fr/u.txt.j2": "Autre."})
    assert over.content_key == alone.content_key
    assert len(over.content_key) == 64
    assert TemplatePack.content_key_of({"fr/u.txt.j2": "Autre."}, base=base) == over.content_key
    assert TemplatePack.content_key_of({"fr/u.txt.j2": "Autre!"}, base=base) != over.content_key
    assert base.with_overrides({"fr/u.txt.j2": "Autre,"}).content_key != over.content_key
    assert TemplatePack.content_key_of({}, base=over, max_sms_segments=3) != over.content_key
    budget = RenderBudget(max_output_chars=10_000)
    assert TemplatePack.content_key_of({}, base=over, budget=budget) != over.content_key
    # The name counts, not only the text: the same source under another name differs.
    moved = TemplatePack({**SMALL, "fr/u.txt.j2": "Rien à voir!"})
    assert moved.content_key != base.content_key


def test_a_host_caches_packs_by_content_key(rendered: list[str]) -> None:
    """Looking the key up first, a second tenant with the same overrides costs no build."""
    base = builtin_pack()
    packs: dict[str, TemplatePack] = {}

    def tenant_pack(overrides: dict[str, str]) -> TemplatePack:
        key = TemplatePack.content_key_of(overrides, base=base)
        if key not in packs:
            packs[key] = base.with_overrides(overrides)
        return packs[key]

    first = tenant_pack({"fr/reminder.subject.j2": "Rappel {{ invoice.number }}"})
    again = tenant_pack({"fr/reminder.subject.j2": "Rappel {{ invoice.number }}"})
    assert again is first
    assert rendered == ["fr/reminder.subject.j2"]


def test_the_shipped_index_of_built_in_includes_is_fresh() -> None:
    """The index of which built-in template uses which is what parsing every one gives.

    When it fails, run ``python tests/write_builtin_references.py`` and review the diff.
    """
    assert dict(BUILTIN_REFERENCES) == reference_index(builtin_pack().sources)
    # Spot checks written by hand from the templates.
    assert BUILTIN_REFERENCES["fr/_signatory.txt.j2"][1] == frozenset({"fr/_signature.txt.j2"})
    assert BUILTIN_REFERENCES["fr/courtesy.txt.j2"][1] == frozenset(
        {"fr/_greeting.txt.j2", "fr/_invoices.txt.j2", "fr/_payment.txt.j2", "fr/_signature.txt.j2"}
    )
    assert BUILTIN_REFERENCES["fr/reminder.subject.j2"][1] == frozenset()


def test_an_override_of_the_built_in_pack_parses_no_template_for_its_includes(
    rendered: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a fresh copy of the built-in pack, what includes what comes from the shipped index."""

    def no_parse(*args: object) -> None:
        msg = f"parsed for its includes: {args[1]}"
        raise AssertionError(msg)

    monkeypatch.setattr(references, "parse_references", no_parse)
    fresh = TemplatePack(builtin_pack().sources, check_samples=False)
    fresh.with_overrides({"fr/_signature.txt.j2": fresh.sources["fr/_signature.txt.j2"] + "\n"})
    assert rendered == [
        "fr/_signatory.txt.j2",
        "fr/_signature.txt.j2",
        "fr/courtesy.txt.j2",
        "fr/firm.txt.j2",
        "fr/formal_notice.txt.j2",
        "fr/friendly.txt.j2",
        "fr/handover.txt.j2",
        "fr/reminder.txt.j2",
    ]


def test_a_built_in_name_with_another_source_is_read_from_its_source(rendered: list[str]) -> None:
    """The index serves only the source it was read from: a changed template is parsed.

    fr/courtesy.txt.j2 is replaced in the base by one including fr/_level.txt.j2, which the
    built-in one does not: an override of that partial checks it again.
    """
    base = TemplatePack(
        {**builtin_pack().sources, "fr/courtesy.txt.j2": '{% include "fr/_level.txt.j2" %}'},
        check_samples=False,
    )
    base.with_overrides({"fr/_level.txt.j2": base.sources["fr/_level.txt.j2"] + " "})
    assert "fr/courtesy.txt.j2" in rendered
