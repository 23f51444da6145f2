"""The errors' codes: one list (`ErrorCode`), every code in it, `NotFoundError` a `KeyError`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dunning import exceptions
from dunning.exceptions import (
    DunningError,
    ErrorCode,
    InvoiceHistoryError,
    NotFoundError,
    TemplateError,
)

SOURCE = Path(exceptions.__file__).parent


def _subclasses(cls: type[DunningError]) -> set[type[DunningError]]:
    found: set[type[DunningError]] = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_error_class_code_is_listed() -> None:
    classes = _subclasses(DunningError) | {DunningError}
    assert {c.__name__ for c in classes} >= {"StaleApprovalError", "NotFoundError"}
    for cls in classes:
        listed = {member.value for member in ErrorCode}
        assert cls.code in listed, f"{cls.__name__}.code {cls.code!r} is not listed"


def test_every_listed_code_is_used_somewhere_in_the_library() -> None:
    """A code nobody raises any more must leave the list (the list is the contract)."""
    text = "\n".join(
        p.read_text(encoding="utf-8") for p in SOURCE.rglob("*.py") if p.name != "exceptions.py"
    )
    text += "\n".join(f'code = "{c.code}"' for c in _subclasses(DunningError) | {DunningError})
    for member in ErrorCode:
        assert re.search(rf'"{member.value}"', text), f"{member.value} is raised nowhere"


def test_a_code_nobody_listed_fails_loudly() -> None:
    with pytest.raises(ValueError, match="'no_such_code' is not a valid ErrorCode"):
        TemplateError("bad", code="no_such_code")
    with pytest.raises(ValueError, match="'no_such_code' is not a valid ErrorCode"):
        InvoiceHistoryError("bad", invoice_id="F-1", location="events[0]", code="no_such_code")


def test_a_listed_code_compares_equal_to_its_text() -> None:
    err = TemplateError("unknown variable 'amout'", code="unknown_variable")
    assert err.code == ErrorCode.UNKNOWN_VARIABLE
    assert err.code == "unknown_variable"
    assert type(err.code) is str  # stays a plain string for hosts that serialise it


def test_not_found_is_a_key_error_whose_text_has_no_quotes() -> None:
    err = NotFoundError("no invoice with id 'F-9'")
    assert isinstance(err, KeyError)
    assert isinstance(err, DunningError)
    assert err.code == "not_found"
    assert str(err) == "no invoice with id 'F-9'"
    assert str(KeyError("no invoice")) == "'no invoice'"  # what NotFoundError avoids
    with pytest.raises(KeyError):
        raise err
