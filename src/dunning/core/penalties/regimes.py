"""The legal regimes of late-payment interest: which rate, from when, and whether 40 EUR is owed.

How this works: every rule that depends on who the debtor is lives here, as constants citing
their article and as `LatePaymentTerms`, a frozen description of the regime that applies to one
invoice. `compute.py` only slices time into periods; for each period it asks `RatePlan` (built
from the terms and the rate tables) for the annual rate and the text explaining it.

- **B2B default** (Code de commerce L441-10 II): ECB main refinancing rate in force on 1 January
  (for January-June) or 1 July (for July-December) + 10 points, from the day after the due date.
  The delay is split at every half-year boundary, each part at its own half-year's rate.
- **B2B contractual**: a fixed annual rate, or "N x the legal rate" (then split per half-year).
  It may not be below 3 x the legal rate "autres cas": a lower rate is reported as a
  `PenaltyFinding`, not refused, since the computation is still what the contract says.
- **Consumer** (Code civil 1231-6, 1344; CMF L313-2): the legal rate, column chosen by the
  creditor ("autres cas" for a business), from the formal notice (or from the due date if the
  contract says so). No recovery indemnity: L441-10 and D441-5 bind professional debtors only
  (and no other collection fee may be charged without an enforceable title, CPCE L111-8).
- **Public buyer** (Code de la commande publique R2192-31, D2192-35): ECB rate in force on the
  first day of the half-year in which the delay started + 8 points, one rate for the whole delay.

Options for every regime: +5 points from two months after a judgment is served (CMF L313-3) and
yearly compounding (Code civil 1343-2, off by default). L313-3 raises *the legal rate* only: the
+5 points apply to the consumer regime at the legal rate, never to the L441-10 rate, a
contractual (or stipulated) rate or the public-buyer rate, unless the judgment itself orders it
(``judgment_increase_applies_to="all"``).

Examples:
    >>> from decimal import Decimal
    >>> terms = LatePaymentTerms(regime="b2b_contractual", contractual_rate="12%")
    >>> terms.contractual_rate
    Decimal('12')
    >>> LatePaymentTerms(regime=PenaltyRegime.PUBLIC_BUYER).splits_at_half_years
    False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple

from dateutil.relativedelta import relativedelta
from pydantic import AfterValidator, BaseModel, BeforeValidator, model_validator
from pydantic_core import PydanticCustomError

from dunning.core._types import MODEL_CONFIG, Amount
from dunning.core.model import CustomerKind, Invoice
from dunning.core.penalties.rates import HalfYear, LegalRateColumn, PenaltyRates, RateTable
from dunning.exceptions import RateNotAvailableError

__all__ = [
    "B2B_DEFAULT_MARGIN",
    "CONTRACTUAL_FLOOR_MULTIPLE",
    "JUDGMENT_MARGIN",
    "PUBLIC_BUYER_MARGIN",
    "RECOVERY_INDEMNITY",
    "BelowLegalFloor",
    "JudgmentIncrease",
    "LatePaymentTerms",
    "PenaltyFinding",
    "PenaltyRegime",
    "Percent",
    "RatePlan",
    "RateQuote",
]

B2B_DEFAULT_MARGIN = Decimal(10)
"""Points added to the ECB rate for the B2B default rate (Code de commerce L441-10 II)."""

PUBLIC_BUYER_MARGIN = Decimal(8)
"""Points added to the ECB rate for public buyers (Code de la commande publique R2192-31)."""

CONTRACTUAL_FLOOR_MULTIPLE = Decimal(3)
"""A contractual B2B rate may not be below 3 x the legal rate (Code de commerce L441-10 II)."""

JUDGMENT_MARGIN = Decimal(5)
"""Points added two months after a judgment is served (Code monétaire et financier L313-3)."""

JUDGMENT_DELAY = relativedelta(months=2)
"""The +5 points apply once two months have passed since the judgment was served (L313-3)."""

RECOVERY_INDEMNITY = Decimal("40.00")
"""Fixed recovery indemnity per late invoice, in EUR (Code de commerce D441-5; CCP D2192-35)."""

COMPOUNDING_PERIOD = relativedelta(years=1)
"""Only interest owed for at least a whole year may be capitalised (Code civil 1343-2)."""

_HUNDRED = Decimal(100)
_TIMES = "\N{MULTIPLICATION SIGN}"
_ONE_DAY = timedelta(days=1)
_BOOKS = 256
"""Most quote books kept: one per distinct rate tables and terms (about 60 quotes each)."""


class BelowLegalFloor(StrEnum):
    """What to do with a B2B contractual rate below 3 x the legal rate (L441-10 II)."""

    REPORT = "report"
    """Compute at the rate the creditor's own terms state, and report each half-year below the
    floor (`rate_below_legal_floor`): the creditor decides (the default)."""
    APPLY_FLOOR = "apply_floor"
    """Compute at the floor wherever the contractual rate is below it: the clause is
    ineffective below the public-policy minimum (the reading of docs/penalties.md)."""


class JudgmentIncrease(StrEnum):
    """Which rates the +5 points of a judgment raise (Code monétaire et financier L313-3)."""

    LEGAL_RATE = "legal_rate"
    """The legal rate only (the text of L313-3): the consumer regime at the legal rate. The
    L441-10 rate, a contractual or stipulated rate and the public-buyer rate are unchanged."""
    ALL = "all"
    """Every rate: the judgment expressly orders the increase on the rate it applies."""


class PenaltyRegime(StrEnum):
    """Which law sets the late-payment interest of an invoice."""

    B2B_DEFAULT = "b2b_default"
    """Business debtor, no rate in the contract: ECB + 10 points, per half-year (L441-10 II)."""
    B2B_CONTRACTUAL = "b2b_contractual"
    """Business debtor, rate agreed in the contract (floor 3 x the legal rate, L441-10 II)."""
    CONSUMER = "consumer"
    """Consumer debtor: legal rate from the formal notice (Code civil 1231-6, 1344)."""
    PUBLIC_BUYER = "public_buyer"
    """Public buyer: ECB + 8 points, one rate for the whole delay (CCP R2192-31)."""


def _to_percent(value: Any) -> Any:
    """Accept Decimal, int or a string such as ``"12.5"`` or ``"12.5%"``; refuse floats."""
    if isinstance(value, bool):
        raise PydanticCustomError("invalid_rate", "a rate must be a number, not a boolean")
    if isinstance(value, float):
        raise PydanticCustomError(
            "float_rate",
            "rates must be Decimal, int or str, not float ('{value}'): write Decimal('{value}')",
            {"value": value},
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise PydanticCustomError(
                "invalid_rate", "'{value}' is not a percentage such as 12.5", {"value": value}
            ) from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise PydanticCustomError(
            "invalid_rate", "a rate must be finite, got {value}", {"value": str(value)}
        )
    return value


def _check_percent(value: Decimal) -> Decimal:
    if not 0 <= value <= _HUNDRED:
        raise PydanticCustomError(
            "rate_not_a_percentage",
            "a rate is a percentage between 0 and 100 (12.5 for 12.5 %), got {value}",
            {"value": str(value)},
        )
    return value


def _to_multiple(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().rstrip("xX" + _TIMES).strip()
    return _to_percent(value)


def _check_multiple(value: Decimal) -> Decimal:
    if not 0 < value <= _HUNDRED:
        raise PydanticCustomError(
            "invalid_legal_rate_multiple",
            "a multiple of the legal rate must be above 0 and at most 100, got {value}",
            {"value": str(value)},
        )
    return value


Percent = Annotated[Decimal, BeforeValidator(_to_percent), AfterValidator(_check_percent)]
"""An annual rate in percent, 0 to 100 (``Decimal("12.5")``, ``"12.5%"``); floats are refused."""

LegalRateMultiple = Annotated[
    Decimal, BeforeValidator(_to_multiple), AfterValidator(_check_multiple)
]
"""How many times the legal rate a contract sets (``3``, ``"3x"``); floats are refused."""


class PenaltyFinding(BaseModel):
    """Something a user should know about a computation, which did not stop it.

    Attributes:
        code: stable snake_case code (``rate_below_legal_floor``, ``no_formal_notice``...).
        message: plain-English explanation.
        half_year: the half-year concerned, if any (``2024 H1``).
    """

    model_config = MODEL_CONFIG

    code: str
    message: str
    half_year: str | None = None


class LatePaymentTerms(BaseModel):
    """The late-payment regime of one invoice and its options.

    Attributes:
        regime: which law sets the rate (see `PenaltyRegime`).
        contractual_rate: fixed annual rate in percent: the B2B contractual rate, or the rate
            stipulated in a consumer contract (a penalty clause the judge may moderate, Code
            civil 1231-5; it runs from the formal notice unless ``interest_from_due_date``).
        legal_rate_multiple: or "N x the legal rate" (B2B contractual only).
        legal_rate_column: column of the legal rate used by the consumer regime and by
            "N x the legal rate": "autres cas" unless the creditor is a private person.
        below_legal_floor: B2B contractual only: report a rate below 3 x the legal rate
            (default) or compute at the floor there (see `BelowLegalFloor`).
        interest_from_due_date: consumer regime only: the contract makes interest run from
            the due date instead of the formal notice (Code civil 1344).
        judgment_served_on: day a judgment ordering payment was served: +5 points from two
            months later (CMF L313-3), on the rates *judgment_increase_applies_to* names.
        judgment_increase_applies_to: the legal rate only (the default: L313-3 raises the
            legal rate, never the L441-10, contractual or public-buyer rate) or every rate
            (``all``: the judgment says so). See `JudgmentIncrease`.
        compounding: capitalise interest owed for a whole year (Code civil 1343-2); only if
            the contract or a court provides it.
        recovery_indemnity: replaces the legal 40 EUR (e.g. higher costs proven, or 0 once
            insolvency proceedings forbid payment); None means the legal default.

    Examples:
        >>> LatePaymentTerms(regime="b2b_contractual")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.ValidationError: 1 validation error for LatePaymentTerms
          the b2b_contractual regime needs contractual_rate or legal_rate_multiple ...
    """

    model_config = MODEL_CONFIG

    regime: PenaltyRegime = PenaltyRegime.B2B_DEFAULT
    contractual_rate: Percent | None = None
    legal_rate_multiple: LegalRateMultiple | None = None
    legal_rate_column: LegalRateColumn = LegalRateColumn.OTHER
    below_legal_floor: BelowLegalFloor = BelowLegalFloor.REPORT
    interest_from_due_date: bool = False
    judgment_served_on: date | None = None
    judgment_increase_applies_to: JudgmentIncrease = JudgmentIncrease.LEGAL_RATE
    compounding: bool = False
    recovery_indemnity: Amount | None = None

    @model_validator(mode="after")
    def _check_regime_options(self) -> LatePaymentTerms:
        given = [
            name
            for name in ("contractual_rate", "legal_rate_multiple")
            if getattr(self, name) is not None
        ]
        if self.regime is PenaltyRegime.B2B_CONTRACTUAL and len(given) != 1:
            raise PydanticCustomError(
                "contractual_rate_required" if not given else "contractual_rate_ambiguous",
                "the b2b_contractual regime needs contractual_rate or legal_rate_multiple "
                "(exactly one), got {given}",
                {"given": ", ".join(given) or "neither"},
            )
        stipulated = self.regime is PenaltyRegime.CONSUMER and given == ["contractual_rate"]
        if self.regime is not PenaltyRegime.B2B_CONTRACTUAL and given and not stipulated:
            raise PydanticCustomError(
                "rate_not_used_by_regime",
                "{field} is only used by the b2b_contractual regime, not by {regime}",
                {"field": given[0], "regime": self.regime.value},
            )
        if (
            self.regime is PenaltyRegime.CONSUMER
            and self.recovery_indemnity is not None
            and self.recovery_indemnity > 0
        ):
            raise PydanticCustomError(
                "no_indemnity_for_consumers",
                "recovery_indemnity: the recovery indemnity is owed by a professional debtor "
                "only (Code de commerce L441-10 and D441-5), not by a consumer",
            )
        return self

    @classmethod
    def for_invoice(cls, invoice: Invoice) -> LatePaymentTerms:
        """Return the default terms of *invoice*, from its customer's kind and contractual rate.

        A business customer gets the contractual regime if the invoice states a rate, else the
        B2B default; a consumer the consumer regime (at the invoice's stipulated rate if it
        states one, else the legal rate); a public buyer the public regime (which sets the rate
        by law: an invoice rate is not used).

        Raises:
            pydantic.ValidationError: ``rate_not_a_percentage`` if the invoice's
                ``contractual_rate`` is above 100.

        Examples:
            >>> from datetime import date
            >>> from dunning.core.model import Customer
            >>> inv = Invoice(id="F", number="1", customer=Customer(id="C", name="C"),
            ...               issued_on=date(2026, 1, 5), due_on=date(2026, 2, 4), total=100,
            ...               contractual_rate="15")
            >>> LatePaymentTerms.for_invoice(inv).regime
            <PenaltyRegime.B2B_CONTRACTUAL: 'b2b_contractual'>
        """
        return cls.for_kind(invoice.customer.kind, invoice.contractual_rate)

    @classmethod
    def for_kind(cls, kind: CustomerKind, contractual_rate: Decimal | None) -> LatePaymentTerms:
        """Return the default terms for a customer of *kind* and an invoice rate (or None).

        The rule of `LatePaymentTerms.for_invoice`, from its two inputs.

        Raises:
            pydantic.ValidationError: ``rate_not_a_percentage`` if *contractual_rate* is
                above 100.

        Examples:
            >>> LatePaymentTerms.for_kind(CustomerKind.PUBLIC, Decimal(12)).regime
            <PenaltyRegime.PUBLIC_BUYER: 'public_buyer'>
        """
        if kind is CustomerKind.CONSUMER:
            return cls(regime=PenaltyRegime.CONSUMER, contractual_rate=contractual_rate)
        if kind is CustomerKind.PUBLIC:
            return cls(regime=PenaltyRegime.PUBLIC_BUYER)
        if contractual_rate is not None:
            return cls(regime=PenaltyRegime.B2B_CONTRACTUAL, contractual_rate=contractual_rate)
        return cls(regime=PenaltyRegime.B2B_DEFAULT)

    @property
    def splits_at_half_years(self) -> bool:
        """Whether the rate may change at each half-year (so periods are split there)."""
        if self.regime is PenaltyRegime.PUBLIC_BUYER:
            return False  # R2192-31: one rate for the whole delay
        if self.contractual_rate is None:
            return True
        # A fixed rate never changes, unless the legal floor may replace it half-year by half-year.
        return (
            self.regime is PenaltyRegime.B2B_CONTRACTUAL
            and self.below_legal_floor is BelowLegalFloor.APPLY_FLOOR
        )

    @property
    def indemnity_amount(self) -> Decimal:
        """The fixed indemnity a late invoice owes under these terms (0 for consumers).

        Examples:
            >>> LatePaymentTerms(regime=PenaltyRegime.CONSUMER).indemnity_amount
            Decimal('0.00')
        """
        if self.recovery_indemnity is not None:
            return self.recovery_indemnity
        return Decimal("0.00") if self.regime is PenaltyRegime.CONSUMER else RECOVERY_INDEMNITY

    def interest_starts_after(self, due_on: date, formal_notice_on: date | None) -> date | None:
        """The last day *without* interest for a part due on *due_on* (None: interest never runs).

        Interest runs from the next day, so the number of days to a date D is ``D - result``.
        Consumers owe interest only from the formal notice, and never before the due date.
        """
        if self.regime is not PenaltyRegime.CONSUMER or self.interest_from_due_date:
            return due_on
        if formal_notice_on is None:
            return None
        return max(due_on, formal_notice_on)

    @cached_property
    def quote_key(self) -> str:
        """What the rate quotes of these terms depend on, as exact texts, worked out once.

        Texts, not values: ``Decimal("12") == Decimal("12.000")`` but the two read differently
        in a rate source, so equal terms written differently do not share their quotes (see
        `RatePlan`). A `functools.cached_property` of the frozen terms (an immutable string,
        not a field: not dumped, compared or hashed).

        Examples:
            >>> terms = LatePaymentTerms(regime="b2b_contractual", contractual_rate="12.0")
            >>> terms.quote_key.startswith("b2b_contractual"), "12.0" in terms.quote_key
            (True, True)
        """
        return "\x1f".join(
            (
                self.regime.value,
                str(self.contractual_rate),
                str(self.legal_rate_multiple),
                self.legal_rate_column.value,
                self.below_legal_floor.value,
                str(self.judgment_increase_from),
            )
        )

    @property
    def judgment_increase_applies(self) -> bool:
        """Whether a judgment's +5 points (L313-3) raise the rate of these terms.

        The legal rate only, unless the judgment orders it on every rate: the consumer regime
        without a stipulated rate, or any regime with ``judgment_increase_applies_to="all"``.

        Examples:
            >>> LatePaymentTerms(judgment_served_on=date(2026, 1, 5)).judgment_increase_applies
            False
            >>> LatePaymentTerms(regime="consumer").judgment_increase_applies
            True
        """
        if self.judgment_increase_applies_to is JudgmentIncrease.ALL:
            return True
        return self.regime is PenaltyRegime.CONSUMER and self.contractual_rate is None

    @property
    def judgment_increase_from(self) -> date | None:
        """First day of the +5 points: the day after two months from service (L313-3).

        None without a judgment, or when the increase does not raise the rate of these terms
        (see `judgment_increase_applies`).

        Examples:
            >>> LatePaymentTerms(regime="consumer",
            ...                  judgment_served_on=date(2026, 1, 5)).judgment_increase_from
            datetime.date(2026, 3, 6)
            >>> print(LatePaymentTerms(judgment_served_on=date(2026, 1, 5)).judgment_increase_from)
            None
        """
        if self.judgment_served_on is None or not self.judgment_increase_applies:
            return None
        return self.judgment_served_on + JUDGMENT_DELAY + _ONE_DAY


class RateQuote(NamedTuple):
    """An annual rate for a period and the words that justify it."""

    rate: Decimal
    source: str
    provisional: bool
    half_year: HalfYear | None


def format_percent(value: Decimal) -> str:
    """Write a percentage with at least two decimals: ``4.25``, ``10.00``, ``12.125``.

    Examples:
        >>> format_percent(Decimal("10")), format_percent(Decimal("12.125"))
        ('10.00', '12.125')
    """
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:  # noqa: PLR2004
        return f"{value:.2f}"
    return str(value.normalize())


class _Lookup(NamedTuple):
    """A rate read from a table: its value, and whether the table marks it provisional."""

    rate: Decimal
    provisional: bool


@dataclass(slots=True)
class RatePlan:
    """Answers "which annual rate on this day?" for one computation, caching look-ups.

    Build one per computation: it memoises table look-ups, so each provisional value warns
    once per computation. Each half-year's rate and its text are worked out once per set of
    rate tables and terms, in a read-only book (`_quote_book`, an ``lru_cache`` of a pure
    function of immutable values) that later computations reuse; a quote that reads a
    provisional value is not in it: each computation works it out and warns. `quote_at` is
    the one way in.
    """

    terms: LatePaymentTerms
    rates: PenaltyRates
    warn: bool = True
    shared: bool = True
    _cache: dict[tuple[str, date], _Lookup] = field(init=False, default_factory=dict)
    _quotes: dict[tuple[int, bool], RateQuote] = field(init=False, default_factory=dict)
    _book: Mapping[tuple[int, bool], RateQuote] = field(init=False, default_factory=dict)
    _increase_from: date | None = field(init=False, default=None)
    _public: bool = field(init=False, default=False)
    _key: str = field(init=False, default="")
    _read_provisional: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        """Work out once what the quotes depend on in the terms, and the judgment increase."""
        terms = self.terms
        self._increase_from = terms.judgment_increase_from
        self._public = terms.regime is PenaltyRegime.PUBLIC_BUYER
        # Exact texts, not values (`LatePaymentTerms.quote_key`): equal terms written
        # differently do not share their quotes.
        self._key = terms.quote_key
        if self.shared:
            self._book = _quote_book(self.rates, terms, self._key)

    def _lookup(self, table: RateTable, day: date) -> _Lookup:
        key = (table.name, day)
        found = self._cache.get(key)
        if found is None:
            entry = table.rate_on(day, warn_if_provisional=self.warn)
            found = self._cache[key] = _Lookup(entry.rate, entry.provisional)
        if found.provisional:
            self._read_provisional = True  # a quote built on it is not shared: it warns
        return found

    def quote_at(self, day: date, *, delay_started_on: date) -> RateQuote:
        """The annual rate in force on *day* for a delay whose first day is *delay_started_on*.

        A quote depends on the terms, the half-year of *day* (or, for a public buyer, the
        half-year the delay started in) and whether the judgment increase applies on *day*:
        the key below is the only place that says so. Each quote is worked out once per
        computation, and once per set of tables and terms across computations (`_quote_book`);
        one that reads a provisional value (used or not) is not shared, so each computation
        reading it warns.

        Raises:
            RateNotAvailableError: if a table does not cover the half-year needed.

        Examples:
            >>> from datetime import date
            >>> from dunning.core.penalties.rates import default_rates
            >>> plan = RatePlan(LatePaymentTerms(), default_rates())
            >>> q = plan.quote_at(date(2025, 7, 15), delay_started_on=date(2025, 6, 16))
            >>> q.rate, q.source
            (Decimal('12.15'), 'ECB 2.15 % in force on 2025-07-01 + 10')
        """
        increase_from = self._increase_from
        fixed_by = delay_started_on if self._public else day
        key = (
            fixed_by.year * 2 + (fixed_by.month > 6),  # noqa: PLR2004  (`_half_index`, inlined)
            increase_from is not None and day >= increase_from,
        )
        found = self._book.get(key)  # the common case: shared, never provisional
        if found is None:
            found = self._quotes.get(key)
            if found is None:  # beyond the tables (raises), or provisional (warns, once here)
                found = self._quotes[key] = self._work_out(day, delay_started_on, judged=key[1])
        return found

    def _work_out(self, day: date, delay_started_on: date, *, judged: bool) -> RateQuote:
        """The quote of *day*, read from the tables (see `quote_at`)."""
        quote = self._base_quote(HalfYear.of(day), delay_started_on)
        if not judged:
            return quote
        served = self.terms.judgment_served_on
        return quote._replace(
            rate=quote.rate + JUDGMENT_MARGIN,
            source=f"{quote.source} + 5 (judgment served {served}, L313-3)",
        )

    def _base_quote(self, half: HalfYear, delay_started_on: date) -> RateQuote:
        terms = self.terms
        if terms.regime is PenaltyRegime.B2B_DEFAULT:
            # L441-10 II: the ECB rate in force on 1 January / 1 July, whatever changes later.
            ecb, provisional = self._lookup(self.rates.ecb, half.start)
            text = f"ECB {format_percent(ecb)} % in force on {half.start} + 10"
            return RateQuote(
                rate=ecb + B2B_DEFAULT_MARGIN, source=text, provisional=provisional, half_year=half
            )
        if terms.regime is PenaltyRegime.PUBLIC_BUYER:
            # R2192-31: the half-year in which interest started to run fixes the rate for good.
            first = HalfYear.of(delay_started_on)
            ecb, provisional = self._lookup(self.rates.ecb, first.start)
            text = f"ECB {format_percent(ecb)} % in force on {first.start} + 8"
            return RateQuote(
                rate=ecb + PUBLIC_BUYER_MARGIN,
                source=text,
                provisional=provisional,
                half_year=first,
            )
        if terms.contractual_rate is not None:
            kind = "stipulated" if terms.regime is PenaltyRegime.CONSUMER else "contractual"
            text = f"{kind} rate {format_percent(terms.contractual_rate)} %"
            return self._floored(
                terms.contractual_rate, text, provisional=False, quoted=None, half=half
            )
        legal, provisional = self._lookup(self.rates.legal(terms.legal_rate_column), half.start)
        column = _column_label(terms.legal_rate_column)
        text = f"legal rate {half} ({column}) {format_percent(legal)} %"
        if terms.legal_rate_multiple is None:
            return RateQuote(rate=legal, source=text, provisional=provisional, half_year=half)
        multiple = terms.legal_rate_multiple
        text = f"{_format_multiple(multiple)} {_TIMES} {text}"
        return self._floored(
            multiple * legal, text, provisional=provisional, quoted=half, half=half
        )

    def _floored(
        self,
        rate: Decimal,
        text: str,
        *,
        provisional: bool,
        quoted: HalfYear | None,
        half: HalfYear,
    ) -> RateQuote:
        """The contractual rate, or the legal floor where it is below and the terms say so."""
        terms = self.terms
        if (
            terms.regime is not PenaltyRegime.B2B_CONTRACTUAL
            or terms.below_legal_floor is not BelowLegalFloor.APPLY_FLOOR
        ):
            return RateQuote(rate=rate, source=text, provisional=provisional, half_year=quoted)
        legal, floor_provisional = self._lookup(self.rates.legal_other, half.start)
        floor = CONTRACTUAL_FLOOR_MULTIPLE * legal
        if rate >= floor:
            return RateQuote(rate=rate, source=text, provisional=provisional, half_year=quoted)
        floor_text = (
            f"legal floor 3 {_TIMES} legal rate {half} (autres cas) {format_percent(legal)} %"
            f", above the {text} (L441-10 II)"
        )
        return RateQuote(
            rate=floor,
            source=floor_text,
            provisional=provisional or floor_provisional,
            half_year=half,
        )

    def floor_findings(self, first_day: date, last_day: date) -> list[PenaltyFinding]:
        """Report each half-year of the delay where the contractual rate is below the floor.

        The floor is 3 x the legal rate "autres cas" (L441-10 II); a half-year whose legal rate
        the table lacks gets a ``legal_floor_unknown`` finding instead. The comparison and its
        wording are worked out once per distinct pair of rates, not once per half-year.

        Examples:
            >>> from datetime import date
            >>> from dunning.core.penalties.rates import default_rates
            >>> plan = RatePlan(LatePaymentTerms(regime="b2b_contractual", contractual_rate=5),
            ...                 default_rates())
            >>> [f.half_year for f in plan.floor_findings(date(2023, 5, 1), date(2024, 2, 1))]
            ['2023 H1', '2023 H2', '2024 H1']
        """
        terms = self.terms
        findings: list[PenaltyFinding] = []
        if terms.regime is not PenaltyRegime.B2B_CONTRACTUAL:
            return findings
        table = self.rates.legal_other
        below: dict[tuple[Decimal, Decimal, bool], str | None] = {}
        half = HalfYear.of(first_day)
        while half.start <= last_day:
            try:
                # Only checked, not used in the amount: read without a warning, but say so.
                legal = table.rate_on(half.start, warn_if_provisional=False)
            except LookupError:
                findings.append(_floor_unknown(half))
                half = half.next()
                continue
            if terms.contractual_rate is not None:
                rate = terms.contractual_rate
            else:
                rate = self._base_quote(half, half.start).rate
            key = (rate, legal.rate, legal.provisional)
            if key not in below:
                below[key] = _below_floor_text(rate, legal.rate, provisional=legal.provisional)
            text = below[key]
            if text is not None:
                findings.append(
                    PenaltyFinding(
                        code="rate_below_legal_floor",
                        message=text.format(half=half),
                        half_year=str(half),
                    )
                )
            half = half.next()
        return findings


def _half_index(day: date) -> int:
    """The half-year of *day* as one number: ``year * 2``, plus 1 from July."""
    return day.year * 2 + (day.month > 6)  # noqa: PLR2004


@lru_cache(maxsize=_BOOKS)
def _quote_book(
    rates: PenaltyRates,
    terms: LatePaymentTerms,
    key: str,  # noqa: ARG001  (the terms' exact texts: part of the cache key, see RatePlan)
) -> Mapping[tuple[int, bool], RateQuote]:
    """Every quote `RatePlan.quote_at` can give for these tables and terms, read-only.

    A pure function of immutable values, cached: the quotes of a long delay are worked out
    once per process, not once per computation. Keyed as `RatePlan.quote_at` keys them, for
    every half-year the tables cover; a quote that reads a provisional value, or a value the
    tables lack, is left out (each computation works it out, and warns or raises).
    """
    plan = RatePlan(terms=terms, rates=rates, warn=False, shared=False)
    tables = (rates.ecb, rates.legal_private, rates.legal_other)
    last = max(table.last_day for table in tables)
    judged = (False, True) if plan._increase_from is not None else (False,)  # noqa: SLF001
    book: dict[tuple[int, bool], RateQuote] = {}
    half = HalfYear.of(min(table.first_day for table in tables))
    while half.start <= last:
        for increased in judged:
            plan._read_provisional = False  # noqa: SLF001
            try:
                quote = plan._work_out(half.start, half.start, judged=increased)  # noqa: SLF001
            except RateNotAvailableError:
                continue
            if not plan._read_provisional:  # noqa: SLF001
                book[_half_index(half.start), increased] = quote
        half = half.next()
    return MappingProxyType(book)


def _floor_unknown(half: HalfYear) -> PenaltyFinding:
    return PenaltyFinding(
        code="legal_floor_unknown",
        message=f"the legal rate for {half} is not in the table: the floor of "
        "3 x the legal rate (L441-10 II) could not be checked",
        half_year=str(half),
    )


def _below_floor_text(rate: Decimal, legal: Decimal, *, provisional: bool) -> str | None:
    """The finding's message, with ``{half}`` left to fill in, or None if *rate* is not below."""
    floor = CONTRACTUAL_FLOOR_MULTIPLE * legal
    if rate >= floor:
        return None
    note = " (provisional legal rate)" if provisional else ""
    return (
        f"contractual rate {format_percent(rate)} % is below the legal floor of "
        f"3 x {format_percent(legal)} % = {format_percent(floor)} % for {{half}}"
        f"{note} (Code de commerce L441-10 II)"
    )


def _column_label(column: LegalRateColumn) -> str:
    return "particuliers" if column is LegalRateColumn.PRIVATE else "autres cas"


def _format_multiple(value: Decimal) -> str:
    # 3 rather than 3.0 or 3E+0: integral multiples are the usual case ("3 fois le taux légal").
    return f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
