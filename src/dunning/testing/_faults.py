"""A fault-injecting wrapper around any action log: the storage failures a host will see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FaultyLog", "StorageFault"]


class StorageFault(Exception):  # noqa: N818  (named for what it simulates)
    """An injected storage failure (a lock held too long, a full disk, a lost connection)."""


_METHODS = frozenset(
    {
        "get",
        "reserve",
        "begin_attempt",
        "cancel",
        "revise",
        "finish",
        "finish_and_reserve",
        "decide_approval",
        "resolve_uncertain",
        "entries_with",
        "last_message_at",
        "latest_run",
        "record_run",
    }
)


@dataclass
class FaultyLog:
    """Wraps an `dunning.ports.ActionLog` and makes chosen calls fail (a test double).

    Every method of the log passes through, except that the next calls of a method listed in
    ``fail`` raise instead: ``fail["finish"] = 2`` makes the next two ``finish`` calls raise
    `StorageFault` *without* reaching the log (the write never happens). ``fail_after`` does
    the same *after* the call reached the log (the write happened, the answer was lost).
    ``when`` narrows a fault to the calls whose first argument (the key) it accepts.

    Attributes:
        inner: the log wrapped.
        fail: method name -> how many of its next calls fail before reaching the log.
        fail_after: method name -> how many of its next calls fail after reaching it.
        when: method name -> a test on the call's key; other calls pass untouched.
        calls: every call made, as ``(method, key or "")``, in order.

    Examples:
        >>> from dunning.testing import MemoryStore
        >>> log = FaultyLog(MemoryStore(), fail={"get": 1})
        >>> log.get("k")
        Traceback (most recent call last):
        ...
        dunning.testing._faults.StorageFault: get: injected storage fault
        >>> log.get("k") is None
        True
    """

    inner: Any
    fail: dict[str, int] = field(default_factory=dict)
    fail_after: dict[str, int] = field(default_factory=dict)
    when: dict[str, Callable[[str], bool]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        """The inner log's attribute; log methods wrapped with the faults asked for."""
        target = getattr(self.inner, name)
        if name not in _METHODS:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            key = str(args[0]) if args else ""
            self.calls.append((name, key))
            test = self.when.get(name)
            selected = test is None or test(key)
            if selected and self.fail.get(name, 0) > 0:
                self.fail[name] -= 1
                msg = f"{name}: injected storage fault"
                raise StorageFault(msg)
            result = target(*args, **kwargs)
            if selected and self.fail_after.get(name, 0) > 0:
                self.fail_after[name] -= 1
                msg = f"{name}: injected storage fault after the write"
                raise StorageFault(msg)
            return result

        return call
