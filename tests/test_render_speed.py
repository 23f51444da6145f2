"""The shortcuts that make a render fast keep its meaning: budget, sandbox lookups, summaries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from dunning.core.render import PenaltySummary, TemplatePack, builtin_pack, render
from dunning.core.render.budget import CLOCK_EVERY, RenderBudget, RenderBudgetError, _Meter
from dunning.core.render.context import _combine
from dunning.exceptions import TemplateError
from tests.reference_case import PENALTIES, FakeAction, context


class _Clock:
    """A clock that reads 0 until it is told to jump past every deadline."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


def _chunks(clock: _Clock, jump_after: int, seen: list[int]) -> Iterator[str]:
    """Forty one-character chunks; the clock jumps past the deadline after *jump_after*."""
    for index in range(40):
        seen.append(index)
        if index == jump_after:
            clock.now = 10.0
        yield "x"


def test_collect_reads_the_clock_every_clock_every_chunks() -> None:
    """A deadline passed at chunk 3 is seen at chunk 16 (the 16th), not later, not at once."""
    assert CLOCK_EVERY == 16
    clock = _Clock()
    meter = _Meter.start(RenderBudget(max_seconds=1, clock=clock))
    seen: list[int] = []
    with pytest.raises(RenderBudgetError, match="the render took more than 1 s"):
        meter.collect(_chunks(clock, 3, seen))
    assert len(seen) == 16  # chunks 0..15 drawn, then the 16th reading of the output fails
    assert clock.reads == 2  # the start, then the 16th chunk


def test_collect_reads_the_clock_at_the_end() -> None:
    """A deadline passed after the last full batch of chunks is still caught at the end."""
    clock = _Clock()
    meter = _Meter.start(RenderBudget(max_seconds=1, clock=clock))
    with pytest.raises(RenderBudgetError):
        meter.collect(_chunks(clock, 35, []))  # 32 read at chunk 32: fine; 35 jumps; end reads


def test_collect_counts_the_size_at_every_chunk() -> None:
    """The size limit stops the output at the first chunk beyond it, not a batch later."""
    clock = _Clock()
    meter = _Meter.start(RenderBudget(max_output_chars=5, clock=clock))
    seen: list[int] = []
    with pytest.raises(RenderBudgetError, match="longer than 5 characters"):
        meter.collect(_chunks(clock, 99, seen))
    assert len(seen) == 6
    assert meter.produced == 6


def test_collect_joins_within_budget() -> None:
    """Within budget, the chunks are joined in order and counted."""
    clock = _Clock()
    meter = _Meter.start(RenderBudget(max_output_chars=40, clock=clock))
    assert meter.collect(iter(["ab", "", "c"])) == "abc"
    assert meter.produced == 3


def _pack(source: str) -> TemplatePack:
    return TemplatePack.from_mapping({"fr/t.subject.j2": "s", "fr/t.txt.j2": source})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ customer.name }}", "ACME SARL"),
        ("{{ invoice.number }} {{ invoice['number'] }}", "2026-0042 2026-0042"),
        # A name a dict has as an attribute is the method, as in Jinja: not the item.
        ("{{ customer.keys()|list|length }}", "9"),
        ("{{ customer.get('id') }}", "C-1"),
        ("{{ 'yes' if customer.nothing is undefined else 'no' }}", "yes"),
    ],
)
def test_attribute_lookups_on_variables_keep_jinja_meaning(source: str, expected: str) -> None:
    """``x.name`` on the message's dicts: the item, a dict method, or undefined, as in Jinja."""
    assert render(FakeAction("t"), context(), pack=_pack(source)).text == expected


def test_undefined_attribute_is_named() -> None:
    """Printing a missing field of a variable fails (at load), with Jinja's own wording."""
    with pytest.raises(TemplateError, match="'dict object' has no attribute 'nickname'"):
        _pack("{{ customer.nickname }}")


def test_sandbox_still_refuses_dunder_attributes_of_dicts() -> None:
    """``customer.__class__`` is a dict attribute: the sandbox's rules apply and refuse it."""
    with pytest.raises(TemplateError, match="attribute '__class__' of 'dict' object") as caught:
        _pack("{{ customer.__class__ }}")
    assert caught.value.code == "unsafe_template"


def test_trusted_pack_compiles_each_template_once() -> None:
    """After one render, the built-in pack serves its includes from what it compiled."""
    pack = builtin_pack()
    render(FakeAction("reminder", penalty_wording="amounts"), context(), pack=pack)
    compiled = pack._env.loader.compiled  # type: ignore[union-attr]
    assert {"fr/reminder.html.j2", "fr/_invoices.html.j2", "fr/_payment.txt.j2"} <= set(compiled)
    first = compiled["fr/_invoices.html.j2"]
    render(FakeAction("reminder", penalty_wording="amounts"), context(), pack=pack)
    assert pack._env.get_template("fr/_invoices.html.j2") is first


def test_one_summary_combined_is_itself_and_two_are_added() -> None:
    """_combine of one summary gives it back; of two, the sums (7.40+2.60, 40+40) by hand."""
    assert _combine([None, PENALTIES]) is PENALTIES
    other = PenaltySummary(
        interest=Decimal("2.60"),
        indemnity=Decimal("40.00"),
        total=Decimal("42.60"),
        rate_description="12,15 % (taux BCE + 10 points)",
        interest_from=date(2026, 2, 1),
    )
    both = _combine([PENALTIES, other])
    assert both is not None
    assert (both.interest, both.indemnity, both.total) == (
        Decimal("10.00"),
        Decimal("80.00"),
        Decimal("90.00"),
    )
    assert both.interest_from == date(2026, 2, 1)
    assert both.rate_description == "12,15 % (taux BCE + 10 points)"
