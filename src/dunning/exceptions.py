"""The errors `dunning` raises, each with a stable machine-readable code.

The tree separates what a host must do about an error:

- `ConfigurationError`: something the integrator or its user wrote is wrong (a scenario, a
  template, a rate table). It is raised when the thing is loaded, never halfway through a run.
- `InvoiceHistoryError`: the invoice and its events cannot be true together (a payment before
  the invoice was issued, a payment in another currency). Fix the data, then decide again.
- `MissingDataError`: a fact the library refuses to guess is missing (a rate for a half-year
  that the table does not cover).

Every error carries `code`, a snake_case string that never changes between releases, so a host
can map errors to its own messages without parsing text. `ErrorCode` lists every one of them.
An unknown invoice id or message key raises `NotFoundError`, which is also a `KeyError`.

Examples:
    >>> from dunning.exceptions import DunningError, ScenarioError
    >>> err = ScenarioError("steps[1].offset_days: steps must be in order", source="mine.toml")
    >>> err.code
    'invalid_scenario'
    >>> isinstance(err, DunningError), isinstance(err, ValueError)
    (True, True)
    >>> str(err)
    'mine.toml: steps[1].offset_days: steps must be in order'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ConfigurationError",
    "DunningError",
    "EInvoiceError",
    "ErrorCode",
    "ErrorDetail",
    "InvoiceHistoryError",
    "InvoiceImportError",
    "MissingDataError",
    "NotFoundError",
    "PortfolioOrderError",
    "ProvisionalRateWarning",
    "RateNotAvailableError",
    "RateTableError",
    "RunInThePastError",
    "ScenarioError",
    "StaleApprovalError",
    "StoredDataError",
    "TemplateError",
]


class ErrorCode(StrEnum):
    """Every code an error of this library carries (`DunningError.code`): stable across releases.

    A member equals its text, so ``error.code == ErrorCode.STALE_PREVIEW`` and
    ``error.code == "stale_preview"`` are both true.

    Examples:
        >>> ErrorCode("unknown_variable") is ErrorCode.UNKNOWN_VARIABLE
        True
        >>> StaleApprovalError("m", seen="a", current="b").code == ErrorCode.STALE_PREVIEW
        True
    """

    # One per error class.
    DUNNING_ERROR = "dunning_error"
    CUSTOMER_NOT_GROUPED = "customer_not_grouped"
    INVALID_CONFIGURATION = "invalid_configuration"
    INVALID_SCENARIO = "invalid_scenario"
    INVALID_IMPORT = "invalid_import"
    INVALID_EINVOICE = "invalid_einvoice"
    INVALID_INVOICE_HISTORY = "invalid_invoice_history"
    MISSING_DATA = "missing_data"
    RATE_NOT_AVAILABLE = "rate_not_available"
    INVALID_RATE_TABLE = "invalid_rate_table"
    INVALID_TEMPLATE = "invalid_template"
    RUN_IN_THE_PAST = "run_in_the_past"
    BAD_STORED_ROW = "bad_stored_row"
    STALE_PREVIEW = "stale_preview"
    NOT_FOUND = "not_found"
    # What is wrong with an invoice's history (`InvoiceHistoryError.code`).
    EVENT_BEFORE_ISSUE = "event_before_issue"
    CURRENCY_MISMATCH = "currency_mismatch"
    DUPLICATE_INVOICE = "duplicate_invoice"
    PAYMENTS_EXCEED_AMOUNT = "payments_exceed_amount"
    DUPLICATE_FACT_ID = "duplicate_fact_id"
    UNKNOWN_FACT = "unknown_fact"
    ALREADY_REVERSED = "already_reversed"
    NOT_REVERSIBLE = "not_reversible"
    # What is wrong with an electronic invoice or status message (`EInvoiceError.code`).
    NOT_XML = "not_xml"
    UNKNOWN_DOCUMENT = "unknown_document"
    NO_INVOICE_IN_PDF = "no_invoice_in_pdf"
    MISSING_ELEMENT = "missing_element"
    BAD_VALUE = "bad_value"
    # What is wrong with a template (`TemplateError.code`).
    TEMPLATE_SYNTAX = "template_syntax"
    UNKNOWN_VARIABLE = "unknown_variable"
    UNDEFINED_VARIABLE = "undefined_variable"
    UNSAFE_TEMPLATE = "unsafe_template"
    RENDER_FAILED = "render_failed"
    RENDER_BUDGET_EXCEEDED = "render_budget_exceeded"
    MISSING_TEMPLATE = "missing_template"
    UNREADABLE_TEMPLATE = "unreadable_template"
    INVALID_TEMPLATE_NAME = "invalid_template_name"
    RESERVED_NAME = "reserved_name"
    SMS_TOO_LONG = "sms_too_long"
    SMS_NOT_GSM7 = "sms_not_gsm7"
    INVALID_SMS_LIMIT = "invalid_sms_limit"
    UNKNOWN_LOCALE = "unknown_locale"
    LOCALE_NOT_AVAILABLE = "locale_not_available"


def _listed(code: str) -> str:
    """*code* if `ErrorCode` lists it (a code nobody listed is a bug: it fails loudly)."""
    return ErrorCode(code).value


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One problem found in an input: where it is, what is wrong, and its stable code.

    Attributes:
        location: dotted path to the offending field, e.g. ``steps[2].offset_days``.
        message: what is wrong, in plain English.
        code: stable snake_case code, e.g. ``steps_not_in_order``.
    """

    location: str
    message: str
    code: str

    def __str__(self) -> str:
        """Return ``location: message``."""
        return f"{self.location}: {self.message}" if self.location else self.message


class DunningError(Exception):
    """Root of every error this library raises on purpose.

    Attributes:
        code: stable snake_case code identifying the kind of error.
    """

    code: str = "dunning_error"


class PortfolioOrderError(DunningError, ValueError):
    """A portfolio stream was not sorted (or grouped) by customer id as the call requires.

    A customer id came back after its group ended, or (for a stream required sorted) an id was
    not above the previous one. Planning it again would send that customer a second, partial
    message the same day, so the stream stops instead. Give the entries sorted by customer id.
    """

    code = "customer_not_grouped"


class ConfigurationError(DunningError, ValueError):
    """A scenario, template pack or rate table is invalid. Raised when it is loaded."""

    code = "invalid_configuration"


class ScenarioError(ConfigurationError):
    """A scenario or policy could not be loaded.

    Attributes:
        details: every problem found, each with its location (``steps[2].offset_days``).
        source: the file or label the scenario came from, if known.
    """

    code = "invalid_scenario"

    def __init__(
        self,
        message: str,
        *,
        details: tuple[ErrorDetail, ...] = (),
        source: str | None = None,
    ) -> None:
        """Build the error; the text starts with the source when one is given."""
        self.details = details
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class InvoiceImportError(ConfigurationError):
    """A file of invoices could not be imported; nothing was.

    Attributes:
        details: every bad row, each located by its line (``line 3: total``).
        source: the file.
    """

    code = "invalid_import"

    def __init__(self, message: str, *, details: tuple[ErrorDetail, ...] = (), source: str) -> None:
        """Build the error; the text starts with the file name."""
        self.details = details
        self.source = source
        super().__init__(f"{source}: {message}")


class EInvoiceError(ConfigurationError):
    """An electronic invoice (Factur-X, CII, UBL) or a CDAR status message cannot be read.

    Nothing was read from it: the text names the file and the element at fault, as an XPath,
    so the sender can be told what to fix.

    Attributes:
        source: the file, or ``<bytes>``.
        xpath: the element at fault (``/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID``),
            or None when the document as a whole is at fault (not XML, not a PDF).
        code: stable snake_case code: ``not_xml`` (not well-formed, or with a DTD),
            ``unknown_document`` (not an invoice or status message this library reads),
            ``no_invoice_in_pdf`` (a PDF with no readable XML attachment),
            ``missing_element`` or ``bad_value`` (an element absent, or not a date, an
            amount or a code).

    Examples:
        >>> err = EInvoiceError("no such element", source="f.xml", code="missing_element",
        ...                     xpath="/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID")
        >>> print(err)
        f.xml: /rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID: no such element
        >>> err.code, isinstance(err, ConfigurationError)
        ('missing_element', True)
    """

    code = "invalid_einvoice"

    def __init__(self, message: str, *, source: str, code: str, xpath: str | None = None) -> None:
        """Build the error; the text starts with the source and the XPath when known."""
        self.source = source
        self.xpath = xpath
        self.code = _listed(code)
        where = f"{source}: {xpath}" if xpath else source
        super().__init__(f"{where}: {message}")


class InvoiceHistoryError(DunningError, ValueError):
    """An invoice and its events contradict each other.

    Attributes:
        invoice_id: the invoice concerned.
        location: the offending field, e.g. ``events[3].currency``.
    """

    code = "invalid_invoice_history"

    def __init__(self, message: str, *, invoice_id: str, location: str, code: str) -> None:
        """Build the error; the text names the invoice and the field."""
        self.invoice_id = invoice_id
        self.location = location
        self.code = _listed(code)
        super().__init__(f"invoice {invoice_id!r}: {location}: {message}")


class MissingDataError(DunningError, LookupError):
    """A fact needed for a computation is not known, and the library will not guess it."""

    code = "missing_data"


class RateNotAvailableError(MissingDataError):
    """No rate is known for the half-year a computation needs; pass your own rather than guess.

    Attributes:
        half_year: the half-year concerned, e.g. ``2027 H1``.
    """

    code = "rate_not_available"

    def __init__(self, message: str, *, half_year: str) -> None:
        """Build the error; *message* should name the half-year and say how to supply a rate."""
        self.half_year = half_year
        super().__init__(message)


class RateTableError(ConfigurationError):
    """A rate table is malformed (unsorted or duplicate dates, a value that is not a decimal).

    Attributes:
        source: the file or label the table came from.
        location: the offending row, e.g. ``line 12`` or ``rows[3]``.
    """

    code = "invalid_rate_table"

    def __init__(self, message: str, *, source: str, location: str) -> None:
        """Build the error; the text starts with the source and the row."""
        self.source = source
        self.location = location
        super().__init__(f"{source}: {location}: {message}")


class ProvisionalRateWarning(UserWarning):
    """A rate used in a computation is provisional: not yet confirmed by an official publication."""


class TemplateError(ConfigurationError):
    """A message template cannot be used: bad syntax, unknown variable, unsafe code, bad SMS.

    An SMS is bad when it is too long or uses characters outside the GSM-7 alphabet. Raised when
    a template pack is loaded (each template is compiled, its variables checked and rendered
    against sample contexts), so a broken template never reaches a customer. Rendering raises it
    too when the real data break a channel limit the samples could not foresee.

    Attributes:
        template: the template's name, e.g. ``fr/reminder.txt.j2``, if known.
        line: the line in that template, if known.
        code: stable snake_case code, e.g. ``template_syntax``, ``unknown_variable``,
            ``unsafe_template``, ``sms_too_long``, ``sms_not_gsm7``.

    Examples:
        >>> err = TemplateError("unknown variable 'amout'", template="fr/reminder.txt.j2",
        ...                     line=3, code="unknown_variable")
        >>> str(err)
        "fr/reminder.txt.j2, line 3: unknown variable 'amout'"
        >>> err.code, isinstance(err, ConfigurationError)
        ('unknown_variable', True)
    """

    code = "invalid_template"

    def __init__(
        self,
        message: str,
        *,
        template: str | None = None,
        line: int | None = None,
        code: str = "invalid_template",
    ) -> None:
        """Build the error; the text starts with the template's name and line when known."""
        self.template = template
        self.line = line
        self.code = _listed(code)
        where = template or ""
        if template and line is not None:
            where = f"{template}, line {line}"
        super().__init__(f"{where}: {message}" if where else message)


class RunInThePastError(DunningError, ValueError):
    """A run was asked for an instant earlier than one the action log has already seen.

    Time only moves forward for the runner: a run at an earlier instant could send what a later
    fact forbids. Replay the past read-only with ``allow_past=True`` instead.

    Attributes:
        at: the instant asked for.
        latest: the latest run instant the log has seen.
    """

    code = "run_in_the_past"

    def __init__(self, message: str, *, at: object, latest: object) -> None:
        """Build the error with both instants."""
        super().__init__(message)
        self.at = at
        self.latest = latest


class StoredDataError(DunningError, ValueError):
    """A row the host's store returned cannot be read (a bad JSON, an unknown kind or status).

    The runner reports it as an error for that customer and goes on with the others.

    Attributes:
        where: the table and key of the row, e.g. ``action_log['msg_1']``.
    """

    code = "bad_stored_row"

    def __init__(self, message: str, *, where: str) -> None:
        """Build the error; the text starts with where the row is."""
        self.where = where
        super().__init__(f"{where}: {message}")


class StaleApprovalError(DunningError, ValueError):
    """An approval (or rejection) was given for a preview that has changed since it was shown.

    The message's preview (invoices, amounts, channel, address, deadline or text) is no longer
    the version the approver saw, so the decision would cover something nobody saw. Nothing was
    recorded: show the current preview (``dunning approvals``) and decide again with its
    version.

    Attributes:
        key: the message key.
        seen: the version the approver saw.
        current: the entry's version now.

    Examples:
        >>> err = StaleApprovalError("msg_1", seen="0a1b2c3d4e5f", current="9f8e7d6c5b4a")
        >>> err.code
        'stale_preview'
        >>> print(err)
        message 'msg_1' changed since its preview was shown (version 0a1b2c3d4e5f, now ...
    """

    code = "stale_preview"

    def __init__(self, key: str, *, seen: str, current: str) -> None:
        """Build the error with the key and both versions; the text says what to do."""
        self.key = key
        self.seen = seen
        self.current = current
        super().__init__(
            f"message {key!r} changed since its preview was shown (version {seen}, now "
            f"{current}): nothing was recorded; see the new preview (dunning approvals) and "
            f"decide again with --seen {current}"
        )


class NotFoundError(DunningError, KeyError):
    """No invoice, customer or message has the id or key given.

    A `KeyError` too, so ``except KeyError`` in a host keeps working; its text is the message
    itself (a plain `KeyError` would print it in quotes).

    Examples:
        >>> err = NotFoundError("no invoice with id 'F-9'")
        >>> print(err), err.code, isinstance(err, KeyError)
        no invoice with id 'F-9'
        (None, 'not_found', True)
    """

    code = "not_found"

    def __str__(self) -> str:
        """The message, without the quotes `KeyError` adds."""
        return str(self.args[0]) if self.args else ""
