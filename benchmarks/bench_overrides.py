"""Override packs: what one tenant's template overrides cost to build over the built-in pack.

An override pack checks only what it changes and what includes it (see
`dunning.core.render.pack`); its floor here is the same pack checked in full, which is what
every override cost before. Figures:

- one override of a leaf (``fr/reminder.txt.j2``, which nothing includes) and of a partial
  included by many (``fr/_signature.txt.j2``: seven texts), each the first in a fresh
  interpreter (it also compiles the partials the checks render, and Babel loads its French
  locale data for the first French amount: the figure is given without that too) and then in a
  warm process (median);
- 200 tenants' packs with one override each, built one after another in one process;
- the same 200 packs looked up again by `TemplatePack.content_key_of` in a host's dict.

Run with ``python benchmarks/bench_overrides.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from functools import partial

from babel.numbers import format_decimal
from fresh import in_fresh_interpreter

from dunning.render import TemplatePack, builtin_pack

RUNS = 5
TENANTS = 200
LEAF = "fr/reminder.txt.j2"
PARTIAL = "fr/_signature.txt.j2"


def override(name: str, n: int) -> dict[str, str]:
    """A harmless override of *name*, different for each *n* (so no two packs are alike)."""
    return {name: builtin_pack().sources[name] + "\n" * (n % 2) + f"{{# tenant {n} #}}"}


def best(build: Callable[[int], object], runs: int = RUNS) -> float:
    """Best of *runs* builds, in seconds."""
    times = []
    for n in range(runs):
        start = time.perf_counter()
        build(n)
        times.append(time.perf_counter() - start)
    return min(times)


def median(build: Callable[[int], object], runs: int = 15) -> float:
    """Median of *runs* builds (after the first, which pays the process's one-off costs)."""
    build(-1)
    times = []
    for n in range(runs):
        start = time.perf_counter()
        build(n)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build_over(base: TemplatePack, name: str, n: int) -> TemplatePack:
    """The pack of override *n* of *name* over *base*."""
    return base.with_overrides(override(name, n))


def first_in_process(name: str, *, babel_loaded: bool = False) -> float:
    """Best time of the first override of *name* in RUNS fresh interpreters, in seconds.

    With *babel_loaded*, Babel has loaded its French locale data before (as the first French
    message of a process makes it do, whatever the pack).
    """
    args = (name, "babel") if babel_loaded else (name,)
    return min(float(in_fresh_interpreter(__file__, *args)[0]) for _ in range(RUNS))


def measure(name: str, *options: str) -> None:
    """In a fresh interpreter: build the built-in pack, then time one override of *name*."""
    base = builtin_pack()
    if "babel" in options:
        format_decimal(1, locale="fr")  # Babel reads its French locale data, once per process
    start = time.perf_counter()
    base.with_overrides(override(name, 0))
    print(time.perf_counter() - start)


def tenants() -> tuple[float, float]:
    """Seconds to build TENANTS packs (one override each), then to find them again by key."""
    base = builtin_pack()
    names = [LEAF, "fr/reminder.subject.j2", "en/reminder.txt.j2", "fr/firm.txt.j2"]
    overrides = [override(names[n % len(names)], n) for n in range(TENANTS)]
    packs: dict[str, TemplatePack] = {}

    def tenant_pack(sources: dict[str, str]) -> TemplatePack:
        key = TemplatePack.content_key_of(sources, base=base)
        pack = packs.get(key)
        if pack is None:
            pack = packs[key] = base.with_overrides(sources)
        return pack

    start = time.perf_counter()
    built = [tenant_pack(sources) for sources in overrides]
    middle = time.perf_counter()
    again = [tenant_pack(sources) for sources in overrides]
    end = time.perf_counter()
    if not all(a is b for a, b in zip(built, again, strict=True)):
        msg = "the cache did not return the packs it holds"
        raise RuntimeError(msg)
    return middle - start, end - middle


def main() -> None:
    base = builtin_pack()
    full = best(lambda n: TemplatePack({**base.sources, **override(LEAF, n)}), runs=2)
    print(f"bench_overrides: over builtin_pack() ({len(base.sources)} templates)")
    print(f"  full check of the merged pack (floor, as before):   {full * 1e3:8.1f} ms")
    for label, name in (("leaf " + LEAF, LEAF), ("partial " + PARTIAL, PARTIAL)):
        cold = first_in_process(name)
        babel = first_in_process(name, babel_loaded=True)
        warm = median(partial(build_over, base, name))
        print(f"  one override, {label}:")
        print(f"    first in a fresh process:  {cold * 1e3:8.1f} ms  ({full / cold:.0f}x faster)")
        print(f"      same, Babel's French data already loaded: {babel * 1e3:8.1f} ms")
        print(f"    warm process, median:      {warm * 1e3:8.1f} ms  ({full / warm:.0f}x faster)")
    built, cached = tenants()
    print(f"  {TENANTS} tenants, one override each:  {built:8.2f} s  (full checks: ", end="")
    print(f"{full * TENANTS:.0f} s)")
    print(f"  the same {TENANTS} from a host's cache:  {cached * 1e3:8.1f} ms (content_key_of)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(*sys.argv[2:])
    else:
        main()
