"""Reading XML and PDF bytes safely: the only place `dunning.einvoice` touches lxml and pypdf.

Both are optional (the ``einvoice`` extra) and imported on first use, with an install hint.
The XML parser never loads a DTD, never expands an entity and never reaches the network: a
document with a ``<!DOCTYPE`` is refused outright (``not_xml``), which closes XXE and entity
expansion ("billion laughs") whatever the document says. Every value read is located by an
XPath, so an error names the element at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import TYPE_CHECKING, Any

from dunning.exceptions import EInvoiceError

if TYPE_CHECKING:
    from lxml.etree import _Element

__all__ = ["Doc", "etree_module", "parse_xml", "xml_from_pdf"]

_HINT = "pip install 'dunning[einvoice]'"

_PDF_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "order-x.xml")
"""Names of the invoice attached to a Factur-X / ZUGFeRD PDF, the standard one first."""


def etree_module() -> Any:
    try:
        from lxml import etree  # noqa: PLC0415  (an optional extra)
    except ImportError as error:  # pragma: no cover  (the tests run with the extra)
        msg = f"reading electronic invoices needs lxml: {_HINT}"
        raise ImportError(msg) from error
    return etree


def _pypdf() -> Any:
    try:
        import pypdf  # noqa: PLC0415  (an optional extra)
    except ImportError as error:  # pragma: no cover  (the tests run with the extra)
        msg = f"reading Factur-X PDFs needs pypdf: {_HINT}"
        raise ImportError(msg) from error
    return pypdf


def parse_xml(data: bytes, *, source: str) -> _Element:
    """The root element of *data*, parsed without DTD, entities or network.

    Raises:
        EInvoiceError: ``not_xml`` if *data* is not well-formed or declares a DTD.
    """
    etree = etree_module()
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        msg = f"not well-formed XML: {error}"
        raise EInvoiceError(msg, source=source, code="not_xml") from None
    if root is None:
        msg = "an empty document"
        raise EInvoiceError(msg, source=source, code="not_xml")
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        msg = "a document type declaration (DTD) is refused: entities are never expanded"
        raise EInvoiceError(msg, source=source, code="not_xml")
    return root  # type: ignore[no-any-return]


def xml_from_pdf(data: bytes, *, source: str) -> bytes:
    """The invoice XML attached to a Factur-X (PDF/A-3) file.

    The attachment named ``factur-x.xml`` (or a ZUGFeRD / XRechnung name) is preferred; else
    the only XML attachment.

    Raises:
        EInvoiceError: ``no_invoice_in_pdf`` if the PDF cannot be read or holds no such file.
    """
    pypdf = _pypdf()
    try:
        reader = pypdf.PdfReader(BytesIO(data), strict=False)
        attachments: dict[str, list[bytes]] = dict(reader.attachments)
    except Exception as error:  # noqa: BLE001  (a malformed PDF fails in many ways inside pypdf)
        msg = f"not a readable PDF: {type(error).__name__}: {error}"
        raise EInvoiceError(msg, source=source, code="no_invoice_in_pdf") from None
    by_name = {name.lower(): files for name, files in attachments.items() if files}
    for name in _PDF_NAMES:
        if name in by_name:
            return by_name[name][0]
    xml = [files[0] for name, files in by_name.items() if name.endswith(".xml")]
    if len(xml) == 1:
        return xml[0]
    found = ", ".join(sorted(attachments)) or "none"
    msg = f"no Factur-X invoice attached (attachments: {found})"
    raise EInvoiceError(msg, source=source, code="no_invoice_in_pdf")


@dataclass(frozen=True, slots=True)
class Doc:
    """A parsed document and the namespaces of its XPaths; each read names its XPath.

    Attributes:
        root: the root element.
        ns: prefix -> namespace, for the XPaths.
        source: the file or ``<bytes>``, for errors.
    """

    root: _Element
    ns: dict[str, str]
    source: str

    def nodes(self, xpath: str, *, at: _Element | None = None) -> list[_Element]:
        """The elements *xpath* selects (absolute, or relative to *at*)."""
        found = (self.root if at is None else at).xpath(xpath, namespaces=self.ns)
        return [n for n in found if not isinstance(n, str | bytes)]

    def text(self, xpath: str, *, at: _Element | None = None) -> str | None:
        """The stripped text of the first element *xpath* selects, or None (absent or empty)."""
        for node in self.nodes(xpath, at=at):
            text = (node.text or "").strip()
            if text:
                return text
        return None

    def required(self, xpath: str, *, at: _Element | None = None, where: str | None = None) -> str:
        """The text at *xpath*; *where* is the XPath to report (defaults to *xpath*).

        Raises:
            EInvoiceError: ``missing_element``.
        """
        text = self.text(xpath, at=at)
        if text is None:
            msg = "this element is required and is missing or empty"
            raise EInvoiceError(
                msg, source=self.source, code="missing_element", xpath=where or xpath
            )
        return text

    def bad(self, xpath: str, message: str) -> EInvoiceError:
        """A ``bad_value`` error at *xpath*."""
        return EInvoiceError(message, source=self.source, code="bad_value", xpath=xpath)

    def amount(self, text: str | None, *, where: str) -> Decimal | None:
        """*text* as a Decimal amount (None stays None).

        Raises:
            EInvoiceError: ``bad_value`` if it is not a decimal number.
        """
        if text is None:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            raise self.bad(where, f"{text!r} is not an amount")
        return value

    def day(self, text: str | None, *, where: str) -> date | None:
        """*text* as a date: ``YYYYMMDD`` (CII format 102), or ``YYYY-MM-DD`` (UBL).

        Raises:
            EInvoiceError: ``bad_value`` if it is neither.
        """
        if text is None:
            return None
        digits = text.replace("-", "") if len(text) == 10 and text[4] == "-" else text  # noqa: PLR2004
        try:
            if len(digits) < 8 or not digits[:8].isdigit():  # noqa: PLR2004
                raise ValueError(text)  # noqa: TRY301  (one message for every bad date)
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        except ValueError:
            raise self.bad(where, f"{text!r} is not a date (YYYYMMDD or YYYY-MM-DD)") from None
