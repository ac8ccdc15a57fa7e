"""Validation of uploaded PDF files (menus, règlements, certificates…).

Town-hall agents publish PDFs that every parent then downloads and opens, so
an uploaded file must be a real, readable, password-free PDF without active
content: JavaScript, launch actions, embedded files, rich media or XFA forms
are the usual vectors for malicious PDFs and have no use in a menu or a rules
document. Refusing them outright is simpler and safer than sanitising.

Two complementary checks are run:

* a scan of the raw bytes for the relevant name tokens — cheap, and it sees
  objects that are not reachable from the document (which a viewer might
  still repair and use);
* a walk of the parsed object graph with pypdf, starting from the trailer —
  it sees names hidden by ``#xx`` escapes or inside compressed object streams.

Plain Python (no Reflex, no database) so it can be unit tested with crafted
files and reused by any upload endpoint.
"""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from cantine_portal.french import format_size

__all__ = [
    "MSG_ACTIVE_CONTENT",
    "MSG_EMPTY",
    "MSG_ENCRYPTED",
    "MSG_NOT_PDF",
    "PdfRejected",
    "is_probably_pdf",
    "validate_pdf",
]

MSG_EMPTY = "Le fichier est vide."
MSG_NOT_PDF = "Le fichier n'est pas un PDF valide."
MSG_ENCRYPTED = "Les PDF protégés par mot de passe ne sont pas acceptés."
MSG_ACTIVE_CONTENT = (
    "Le PDF contient du contenu actif (lien, JavaScript, pièce jointe ou action "
    "automatique) et a été refusé pour votre sécurité. Envoyez un PDF « simple », "
    "sans lien ni action : par exemple en choisissant « Imprimer » puis "
    "« Enregistrer au format PDF »."
)

# PDF readers accept the header anywhere in the first 1024 bytes.
_HEADER = b"%PDF-"
_HEADER_WINDOW = 1024

# Executable / archive signatures: a file starting like this is not a PDF even
# if it carries a "%PDF-" a few bytes later (PDF/executable polyglots).
_FOREIGN_MAGICS = (
    b"MZ",  # Windows PE / DOS executable
    b"\x7fELF",  # Linux ELF
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",  # script with shebang
    b"PK\x03\x04",  # ZIP (docx, jar, apk…)
)

# Name tokens that denote active content. A PDF name ends at whitespace or at
# a delimiter, so "/JS" must not match "/JSFont" (regular font names).
_RAW_ACTIVE_TOKEN = re.compile(
    rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|AA|RichMedia|XFA|URI|SubmitForm|GoToR|GoToE|ImportData"
    rb"|Rendition|Movie|Sound)"
    rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)"
)

# Parsed-graph rules. Keys whose mere presence means active content:
_ACTIVE_KEYS = frozenset(
    {
        "/JavaScript",  # document-level JavaScript name tree
        "/JS",  # script body of a JavaScript action
        "/AA",  # additional actions (page open/close, field events…)
        "/EmbeddedFiles",  # embedded-files name tree
        "/EF",  # embedded file stream of a file specification
        "/RichMedia",
        "/RichMediaContent",
        "/RichMediaSettings",
        "/XFA",  # dynamic XML forms (scriptable)
    }
)
# Action types (/S) that open, submit, launch or import anything: run code, open a web address
# (/URI: a phishing link one click away), send the form's data (/SubmitForm), open another file
# (/GoToR, /GoToE, /Launch), read data in (/ImportData) or play media. Wherever the action sits
# (/OpenAction, /AA, a link annotation, an outline item), the walk below finds its /S.
# In-document moves (/GoTo, /Named page turns) are harmless and stay allowed.
_ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/RichMediaExecute",
        "/URI",
        "/SubmitForm",
        "/GoToR",
        "/GoToE",
        "/ImportData",
        "/Rendition",
        "/Movie",
        "/Sound",
    }
)
# Object types (/Type or /Subtype) that carry an attachment or rich media:
_ACTIVE_TYPES = frozenset({"/EmbeddedFile", "/FileAttachment", "/RichMedia"})

# Fail closed on absurd object graphs instead of spending unbounded CPU: a
# legitimate menu or règlement has a few hundred containers at most.
_MAX_NODES = 200_000


class PdfRejected(ValueError):
    """An uploaded file was refused; ``message`` is French and user-facing.

    ``reason`` is a stable machine code (``empty``, ``too_large``, ``not_pdf``,
    ``unreadable``, ``encrypted``, ``active_content``) for logs and audit
    entries, so they do not depend on the wording shown to users.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def is_probably_pdf(data: bytes) -> bool:
    """Cheap content sniffing: ``%PDF-`` in the first 1024 bytes, no executable magic.

    Meant for choosing a content type or an icon; it is not a security check
    (use :func:`validate_pdf` before storing or serving an upload).
    """
    if not data or data.startswith(_FOREIGN_MAGICS):
        return False
    return _HEADER in data[:_HEADER_WINDOW]


def _has_raw_active_token(data: bytes) -> bool:
    """True if any active-content name token appears literally in the file."""
    return _RAW_ACTIVE_TOKEN.search(data) is not None


def _is_active_node(node: DictionaryObject) -> bool:
    """Decide on one dictionary (streams are dictionaries too; data is not decoded)."""
    for key in node.keys():
        if key in _ACTIVE_KEYS:
            return True
    for type_key in ("/Type", "/Subtype"):
        value = node.get(type_key)
        if isinstance(value, NameObject) and value in _ACTIVE_TYPES:
            return True
    action = node.get("/S")
    if isinstance(action, IndirectObject):
        action = action.get_object()
    if isinstance(action, NameObject) and action in _ACTIVE_ACTIONS:
        return True
    open_action = node.get("/OpenAction")
    if open_action is not None:
        # A destination array (open at page 1, fit width) is harmless; an
        # action dictionary is checked like any other node by the walk, but
        # we resolve it here too so the rule stays explicit and local.
        resolved = open_action.get_object()
        if isinstance(resolved, DictionaryObject):
            subtype = resolved.get("/S")
            if isinstance(subtype, NameObject) and subtype in _ACTIVE_ACTIONS:
                return True
    return False


def _has_parsed_active_content(reader: PdfReader) -> bool:
    """Walk every object reachable from the trailer looking for active content.

    Covers the catalog (/OpenAction, /AA, /Names → /JavaScript, /EmbeddedFiles,
    /AcroForm → /XFA), outlines, pages and their annotations (links, widgets,
    file attachments, rich media). pypdf has already decoded ``#xx`` name
    escapes and object streams, which the raw scan cannot see through.

    Raises:
        PdfRejected: if the graph is too large to be checked.
    """
    stack: list[Any] = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            visited += 1
            if _is_active_node(item):
                return True
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            visited += 1
            stack.extend(item)
        if visited > _MAX_NODES:
            raise PdfRejected(MSG_NOT_PDF, "unreadable")
    return False


def validate_pdf(data: bytes, max_bytes: int) -> int:
    """Check an uploaded PDF and return its page count.

    Checks run from cheapest to most expensive so that hostile or oversized
    input is refused before it reaches the parser.

    Raises:
        PdfRejected: with a French message explaining why the file is refused.
    """
    if not data:
        raise PdfRejected(MSG_EMPTY, "empty")
    if len(data) > max_bytes:
        raise PdfRejected(
            f"Le fichier dépasse la taille maximale de {format_size(max_bytes)}.",
            "too_large",
        )
    if not is_probably_pdf(data):
        raise PdfRejected(MSG_NOT_PDF, "not_pdf")
    if _has_raw_active_token(data):
        raise PdfRejected(MSG_ACTIVE_CONTENT, "active_content")

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PdfRejected(MSG_ENCRYPTED, "encrypted")
        pages = reader.pages
        page_count = len(pages)
        for page in pages:
            # Touch each page: a file whose page tree or page dictionaries are
            # broken would open as blank (or not at all) for parents.
            _ = page.mediabox
        if page_count == 0:
            raise PdfRejected(MSG_NOT_PDF, "unreadable")
        active = _has_parsed_active_content(reader)
    except PdfRejected:
        raise
    except Exception as exc:  # pypdf raises many types on malformed input
        raise PdfRejected(MSG_NOT_PDF, "unreadable") from exc
    if active:
        raise PdfRejected(MSG_ACTIVE_CONTENT, "active_content")
    return page_count
