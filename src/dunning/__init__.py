"""dunning: chase unpaid invoices the way a careful French credit controller would.

The public API is what this module exports in `__all__` (the names most programs need), and
the `__all__` of its public namespaces: `dunning.model`, `dunning.scenarios`,
`dunning.engine`, `dunning.penalties`, `dunning.render`, `dunning.metrics`,
`dunning.simulate`, `dunning.ports`, `dunning.runner`, `dunning.exceptions`,
`dunning.notebook`, `dunning.dask`, `dunning.testing` and `dunning.adapters.*`.
Everything else is private.

Examples:
    >>> from datetime import date, datetime
    >>> from zoneinfo import ZoneInfo
    >>> import dunning
    >>> inv = dunning.Invoice(id="F-1", number="2026-0001",
    ...     customer=dunning.Customer(id="C1", name="ACME SARL"),
    ...     issued_on=date(2026, 1, 2), due_on=date(2026, 2, 2), total="1200.00")
    >>> dunning.decide(inv, [], dunning.STANDARD,
    ...     at=datetime(2026, 2, 9, 10, tzinfo=ZoneInfo("Europe/Paris"))).action.step_id
    'informative'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The one table of the top-level names: where each lives. `__all__` is its keys; at run time a
# name is imported the first time it is used (PEP 562), so `import dunning` loads none of these
# modules, and a command or a notebook that only decides never loads SMTP, SQLite, pandas or
# the templates. tests/test_public_api.py checks that the imports below say the same.
_PUBLIC: dict[str, str] = {
    "FIRM": "dunning.core.builtin",
    "GENTLE": "dunning.core.builtin",
    "STANDARD": "dunning.core.builtin",
    "Action": "dunning.core.engine",
    "ActionLog": "dunning.ports",
    "Channel": "dunning.core.model",
    "ConfigurationError": "dunning.exceptions",
    "CreditNote": "dunning.core.model",
    "Creditor": "dunning.core.render",
    "Customer": "dunning.core.model",
    "Decision": "dunning.core.engine",
    "DecisionStatus": "dunning.core.engine",
    "DisputeOpened": "dunning.core.model",
    "DisputeResolved": "dunning.core.model",
    "Dunner": "dunning.runner",
    "DunningError": "dunning.exceptions",
    "ErrorCode": "dunning.exceptions",
    "Event": "dunning.core.model",
    "HoldLifted": "dunning.core.model",
    "HoldPlaced": "dunning.core.model",
    "Installment": "dunning.core.model",
    "Invoice": "dunning.core.model",
    "InvoiceHistory": "dunning.core.portfolio",
    "InvoiceHistoryError": "dunning.exceptions",
    "InvoiceImportError": "dunning.exceptions",
    "InvoiceSource": "dunning.ports",
    "MissingDataError": "dunning.exceptions",
    "NotFoundError": "dunning.exceptions",
    "Payment": "dunning.core.model",
    "PaymentPlanAgreed": "dunning.core.model",
    "Policy": "dunning.core.policy",
    "PromiseToPay": "dunning.core.model",
    "Reversal": "dunning.core.model",
    "ReversalReason": "dunning.core.model",
    "RunReport": "dunning.runner",
    "Scenario": "dunning.core.scenario",
    "SendContext": "dunning.ports",
    "SendError": "dunning.ports",
    "Sender": "dunning.ports",
    "Step": "dunning.core.scenario",
    "decide": "dunning.core.engine",
    "decide_many": "dunning.core.engine",
    "load_policy": "dunning.loading",
    "load_scenario": "dunning.loading",
}

# The public namespaces, loaded on first use too (``dunning.penalties.compute_penalties``).
_NAMESPACES = frozenset(
    {
        "einvoice",
        "engine",
        "exceptions",
        "metrics",
        "model",
        "notebook",
        "penalties",
        "ports",
        "render",
        "runner",
        "scenarios",
        "simulate",
    }
)

__all__ = [*_PUBLIC, "__version__"]  # noqa: PLE0604  (the keys of _PUBLIC are names)

if TYPE_CHECKING:  # what type checkers and editors read; the same names as _PUBLIC
    __version__: str

    from dunning import (
        einvoice as einvoice,
    )
    from dunning import (
        engine as engine,
    )
    from dunning import (
        exceptions as exceptions,
    )
    from dunning import (
        metrics as metrics,
    )
    from dunning import (
        model as model,
    )
    from dunning import (
        notebook as notebook,
    )
    from dunning import (
        penalties as penalties,
    )
    from dunning import (
        ports as ports,
    )
    from dunning import (
        render as render,
    )
    from dunning import (
        runner as runner,
    )
    from dunning import (
        scenarios as scenarios,
    )
    from dunning import (
        simulate as simulate,
    )
    from dunning.core.builtin import (
        FIRM as FIRM,
    )
    from dunning.core.builtin import (
        GENTLE as GENTLE,
    )
    from dunning.core.builtin import (
        STANDARD as STANDARD,
    )
    from dunning.core.engine import (
        Action as Action,
    )
    from dunning.core.engine import (
        Decision as Decision,
    )
    from dunning.core.engine import (
        DecisionStatus as DecisionStatus,
    )
    from dunning.core.engine import (
        decide as decide,
    )
    from dunning.core.engine import (
        decide_many as decide_many,
    )
    from dunning.core.model import (
        Channel as Channel,
    )
    from dunning.core.model import (
        CreditNote as CreditNote,
    )
    from dunning.core.model import (
        Customer as Customer,
    )
    from dunning.core.model import (
        DisputeOpened as DisputeOpened,
    )
    from dunning.core.model import (
        DisputeResolved as DisputeResolved,
    )
    from dunning.core.model import (
        Event as Event,
    )
    from dunning.core.model import (
        HoldLifted as HoldLifted,
    )
    from dunning.core.model import (
        HoldPlaced as HoldPlaced,
    )
    from dunning.core.model import (
        Installment as Installment,
    )
    from dunning.core.model import (
        Invoice as Invoice,
    )
    from dunning.core.model import (
        Payment as Payment,
    )
    from dunning.core.model import (
        PaymentPlanAgreed as PaymentPlanAgreed,
    )
    from dunning.core.model import (
        PromiseToPay as PromiseToPay,
    )
    from dunning.core.model import (
        Reversal as Reversal,
    )
    from dunning.core.model import (
        ReversalReason as ReversalReason,
    )
    from dunning.core.policy import (
        Policy as Policy,
    )
    from dunning.core.portfolio import (
        InvoiceHistory as InvoiceHistory,
    )
    from dunning.core.render import (
        Creditor as Creditor,
    )
    from dunning.core.scenario import (
        Scenario as Scenario,
    )
    from dunning.core.scenario import (
        Step as Step,
    )
    from dunning.exceptions import (
        ConfigurationError as ConfigurationError,
    )
    from dunning.exceptions import (
        DunningError as DunningError,
    )
    from dunning.exceptions import (
        ErrorCode as ErrorCode,
    )
    from dunning.exceptions import (
        InvoiceHistoryError as InvoiceHistoryError,
    )
    from dunning.exceptions import (
        InvoiceImportError as InvoiceImportError,
    )
    from dunning.exceptions import (
        MissingDataError as MissingDataError,
    )
    from dunning.exceptions import (
        NotFoundError as NotFoundError,
    )
    from dunning.loading import (
        load_policy as load_policy,
    )
    from dunning.loading import (
        load_scenario as load_scenario,
    )
    from dunning.ports import (
        ActionLog as ActionLog,
    )
    from dunning.ports import (
        InvoiceSource as InvoiceSource,
    )
    from dunning.ports import (
        SendContext as SendContext,
    )
    from dunning.ports import (
        Sender as Sender,
    )
    from dunning.ports import (
        SendError as SendError,
    )
    from dunning.runner import (
        Dunner as Dunner,
    )
    from dunning.runner import (
        RunReport as RunReport,
    )
else:

    def __getattr__(name: str) -> Any:
        """Import a public name or namespace on first use (PEP 562) and keep it here."""
        module = _PUBLIC.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module), name)
        elif name in _NAMESPACES:
            value = importlib.import_module(f"dunning.{name}")
        elif name == "__version__":
            value = _version()
        else:
            msg = f"module 'dunning' has no attribute {name!r}"
            raise AttributeError(msg)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        """The public names, loaded or not (for tab completion)."""
        return sorted({*globals(), *__all__, *_NAMESPACES})


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("dunning")
    except PackageNotFoundError:  # pragma: no cover  (running from a source tree)
        return "0+unknown"
