"""Tests for PDF rendering (receipts, demo documents), money formatting and upload validation.

Rendered PDFs are checked through pypdf text extraction rather than by
comparing bytes: what matters to parents is that the text (names, amounts,
"€", accents) is really in the document, with embedded fonts. Receipts drawn in
the helper process: tests/integration/test_pdf_process.py.
"""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from cantine_portal.french import format_euros, format_paris_datetime, format_size, format_weekday_numeric_date
from cantine_portal.infra.pdf.menus import default_demo_menus, render_menu_week
from cantine_portal.infra.pdf.receipt import ReceiptData, ReceiptLine, render_receipt
from cantine_portal.infra.pdf.reglement import render_reglement
from cantine_portal.infra.pdf.validation import (
    MSG_ACTIVE_CONTENT,
    MSG_EMPTY,
    MSG_ENCRYPTED,
    MSG_NOT_PDF,
    PdfRejected,
    _has_raw_active_token,
    is_probably_pdf,
    validate_pdf,
)
from cantine_portal.services.shared.money import parse_euros

COMMUNE = "Commune de Saint-Étienne-de-Crossey"
MAX_BYTES = 5 * 1024 * 1024
ISSUED_AT = datetime(2026, 11, 26, 13, 5, tzinfo=UTC)  # 14h05 in Paris (CET)
GENERATED_AT = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


def _text(pdf: bytes) -> str:
    """All pages' text with whitespace runs (incl. U+00A0/U+202F) collapsed to one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _norm(text: str) -> str:
    return " ".join(text.split())


def _receipt_data(lines: list[ReceiptLine] | None = None, credit: int = 160) -> ReceiptData:
    if lines is None:
        lines = [
            ReceiptLine("Léa Dupont", "Restauration scolaire", date(2026, 12, 8), 385),
            ReceiptLine("Hugo Dupont", "Restauration scolaire", date(2026, 12, 7), 385),
            ReceiptLine("Léa Dupont", "Restauration scolaire", date(2026, 12, 7), 385),
            ReceiptLine("Hugo Dupont", "Accueil périscolaire du soir", date(2026, 12, 7), 250),
        ]
    subtotal = sum(line.unit_price_cents for line in lines)
    return ReceiptData(
        commune_name=COMMUNE,
        commune_address_lines=["Mairie – 12 place de l'Église", "38960 Saint-Étienne-de-Crossey"],
        commune_email="enfance@mairie-exemple.fr",
        commune_phone="04 76 00 00 00",
        number="2026-000042",
        issued_at=ISSUED_AT,
        family_name="Famille Dupont",
        payer_name="Camille Dupont",
        payer_email="camille.dupont@example.org",
        lines=lines,
        subtotal_cents=subtotal,
        credit_used_cents=credit,
        total_cents=subtotal - credit,
        payment_method="Carte bancaire (paiement en ligne simulé)",
        provider_reference="SIM-7f3a9c2e41",
    )


@pytest.fixture(scope="module")
def receipt_pdf() -> bytes:
    return render_receipt(_receipt_data(), generated_at=GENERATED_AT)


# --------------------------------------------------------------------------
# money
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "expected"),
    [
        (0, "0,00\u00a0€"),
        (5, "0,05\u00a0€"),
        (385, "3,85\u00a0€"),
        (1245, "12,45\u00a0€"),
        (99999, "999,99\u00a0€"),
        (123450, "1\u202f234,50\u00a0€"),
        (100000000, "1\u202f000\u202f000,00\u00a0€"),
        (-385, "-3,85\u00a0€"),
    ],
)
def test_format_euros(cents: int, expected: str) -> None:
    assert format_euros(cents) == expected


def test_format_euros_rejects_floats() -> None:
    with pytest.raises(TypeError):
        format_euros(3.85)  # type: ignore[arg-type]  # the wrong type on purpose: the test checks it is refused


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,85", 385),
        ("3.85", 385),
        ("3", 300),
        ("3,8", 380),
        ("0,05", 5),
        (" 12,45 € ", 1245),
        ("1 234,50", 123450),
        ("1\u202f234,50\u00a0€", 123450),
        ("1.234,50", 123450),
        ("10 000", 1000000),
        ("7 EUR", 700),
        (format_euros(123450), 123450),
    ],
)
def test_parse_euros_valid(text: str, expected: int) -> None:
    assert parse_euros(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Veuillez saisir un montant"),
        ("   ", "Veuillez saisir un montant"),
        ("€", "Veuillez saisir un montant"),
        ("abc", "Montant invalide"),
        ("3,855", "Montant invalide"),
        ("1,234.50", "Montant invalide"),
        ("1 23", "Montant invalide"),
        ("3,85,2", "Montant invalide"),
        ("1.234", "Montant ambigu"),
        ("-3,85", "négatif"),
        ("9" * 40, "trop longue"),
    ],
)
def test_parse_euros_invalid(text: str, fragment: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_euros(text)
    assert fragment in str(excinfo.value)


def test_format_parse_roundtrip() -> None:
    for cents in (0, 1, 99, 100, 385, 99999, 100000, 123456789):
        assert parse_euros(format_euros(cents)) == cents


# --------------------------------------------------------------------------
# French dates
# --------------------------------------------------------------------------


def test_french_dates() -> None:
    assert format_paris_datetime(ISSUED_AT) == "26/11/2026 à 14h05"
    # Summer time (UTC+2), and no leading zero on the hour like booking deadlines.
    summer = datetime(2026, 7, 1, 7, 5, tzinfo=UTC)
    assert format_paris_datetime(summer) == "01/07/2026 à 9h05"
    assert format_weekday_numeric_date(date(2026, 12, 7)) == "lun. 07/12/2026"
    assert format_weekday_numeric_date(date(2026, 12, 13)) == "dim. 13/12/2026"
    with pytest.raises(ValueError):
        format_paris_datetime(datetime(2026, 11, 26, 14, 5))


# --------------------------------------------------------------------------
# Receipt
# --------------------------------------------------------------------------


def test_receipt_text_content(receipt_pdf: bytes) -> None:
    text = _text(receipt_pdf)
    assert COMMUNE in text
    assert "Reçu de paiement" in text
    assert "2026-000042" in text
    assert "Émis le 26/11/2026 à 14h05" in text
    assert "Famille Dupont" in text
    assert "Camille Dupont" in text
    assert "camille.dupont@example.org" in text
    assert "Réservation" in text
    assert "€" in text
    # Each line, sorted by child then date (Hugo before Léa; 07/12 before 08/12).
    rows = [
        "Hugo Dupont Accueil périscolaire du soir lun. 07/12/2026 2,50 €",
        "Hugo Dupont Restauration scolaire lun. 07/12/2026 3,85 €",
        "Léa Dupont Restauration scolaire lun. 07/12/2026 3,85 €",
        "Léa Dupont Restauration scolaire mar. 08/12/2026 3,85 €",
    ]
    positions = [text.index(row) for row in rows]
    assert positions == sorted(positions)
    assert "Sous-total 14,05 €" in text
    assert "Avoir utilisé -1,60 €" in text
    assert "Total payé 12,45 €" in text
    assert _norm(format_euros(1245)) == "12,45 €"
    assert "Carte bancaire (paiement en ligne simulé)" in text
    assert "SIM-7f3a9c2e41" in text
    assert "Reçu n° 2026-000042 — document généré le 27/11/2026 à 9h30" in text


def _assert_all_fonts_embedded(pdf: bytes) -> None:
    """Every font used on every page is an embedded TrueType subset (no base-14 font)."""
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        assert len(fonts) > 0
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            assert "/FontDescriptor" in target, f"non-embedded font {font.get('/BaseFont')}"
            assert "/FontFile2" in target["/FontDescriptor"].get_object()


def test_receipt_metadata_and_embedded_fonts(receipt_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(receipt_pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == "Reçu de paiement n° 2026-000042"
    assert reader.metadata.author == COMMUNE
    _assert_all_fonts_embedded(receipt_pdf)


def test_receipt_passes_validation(receipt_pdf: bytes) -> None:
    assert validate_pdf(receipt_pdf, MAX_BYTES) == 1


def test_receipt_escapes_markup_in_names() -> None:
    lines = [ReceiptLine("Lou & <Zoé>", "Garderie <matin>", date(2026, 12, 7), 180)]
    pdf = render_receipt(_receipt_data(lines, credit=0), generated_at=GENERATED_AT)
    text = _text(pdf)
    assert "Lou & <Zoé>" in text
    assert "Garderie <matin>" in text
    assert "Total payé 1,80 €" in text


def test_receipt_multi_page_repeats_header() -> None:
    children = ["Ambre Petit", "Jules Petit", "Noé Petit"]
    start = date(2026, 9, 1)
    lines = [
        ReceiptLine(children[i % 3], "Restauration scolaire", start + timedelta(days=i // 3), 385) for i in range(120)
    ]
    pdf = render_receipt(_receipt_data(lines, credit=0), generated_at=GENERATED_AT)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    page_texts = [_norm(page.extract_text()) for page in reader.pages]
    # Header row repeated on the continuation page(s) holding table rows.
    assert "Enfant Prestation Date Prix unitaire" in page_texts[1]
    assert f"Page 1 / {len(reader.pages)}" in page_texts[0]
    assert f"Total payé {_norm(format_euros(120 * 385))}" in " ".join(page_texts)
    assert validate_pdf(pdf, MAX_BYTES) == len(reader.pages)


def test_receipt_refuses_inconsistent_amounts() -> None:
    data = _receipt_data()
    with pytest.raises(ValueError):
        render_receipt(ReceiptData(**{**data.__dict__, "total_cents": data.total_cents + 1}))
    with pytest.raises(ValueError):
        render_receipt(ReceiptData(**{**data.__dict__, "subtotal_cents": data.subtotal_cents - 1}))
    with pytest.raises(ValueError):
        render_receipt(ReceiptData(**{**data.__dict__, "issued_at": datetime(2026, 11, 26)}))


# --------------------------------------------------------------------------
# Demo documents
# --------------------------------------------------------------------------


def test_default_demo_menus() -> None:
    menus = default_demo_menus(date(2026, 12, 7))
    assert [label for label, _ in menus] == [
        "Lundi 7 décembre",
        "Mardi 8 décembre",
        "Jeudi 10 décembre",
        "Vendredi 11 décembre",
    ]
    assert all(len(dishes) == 5 for _, dishes in menus)


def test_menu_week_pdf() -> None:
    week = date(2026, 12, 7)
    pdf = render_menu_week(COMMUNE, week, default_demo_menus(week))
    assert validate_pdf(pdf, MAX_BYTES) >= 1
    text = _text(pdf)
    assert "Menu de la semaine du 7 au 11 décembre 2026" in text
    assert "Liste des allergènes disponible sur demande" in text
    assert "Lundi 7 décembre" in text
    assert "Vendredi 11 décembre" in text
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "Menu de la semaine du 7 au 11 décembre 2026"
    assert reader.metadata.author == COMMUNE
    _assert_all_fonts_embedded(pdf)


@pytest.mark.parametrize(
    ("week_start", "expected"),
    [
        (date(2026, 11, 30), "Menu de la semaine du 30 novembre au 4 décembre 2026"),
        (date(2025, 12, 29), "Menu de la semaine du 29 décembre 2025 au 2 janvier 2026"),
        (date(2026, 6, 3), "Menu de la semaine du 1er au 5 juin 2026"),  # mid-week input
    ],
)
def test_menu_week_titles(week_start: date, expected: str) -> None:
    pdf = render_menu_week(COMMUNE, week_start, default_demo_menus(week_start))
    assert PdfReader(io.BytesIO(pdf)).metadata.title == expected


def test_reglement_pdf() -> None:
    pdf = render_reglement(COMMUNE)
    assert validate_pdf(pdf, MAX_BYTES) == 2
    text = _text(pdf)
    assert "Règlement intérieur de la restauration scolaire et des accueils périscolaires" in text
    for heading in (
        "Inscriptions",
        "Réservations et date butoir",
        "Paiement du panier en ligne",
        "Annulations et avoirs",
        "PAI et régimes alimentaires",
        "Discipline",
        "Contact",
    ):
        assert heading in text
    assert "la commune de Saint-Étienne-de-Crossey" in text
    assert "commune de Commune" not in text
    _assert_all_fonts_embedded(pdf)


# --------------------------------------------------------------------------
# Validation on crafted files
# --------------------------------------------------------------------------


def _writer_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _blank_writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def _hand_made_pdf(catalog_extra: bytes = b"", extra_objects: tuple[bytes, ...] = ()) -> bytes:
    """Minimal one-page PDF with a correct xref, written byte by byte.

    Lets tests place constructs (like ``#xx``-escaped names) that pypdf's
    writer would never produce, to exercise the parsed-graph scan alone.
    """
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref_at,
    )
    return bytes(out)


def _rejected(data: bytes, max_bytes: int = MAX_BYTES) -> PdfRejected:
    with pytest.raises(PdfRejected) as excinfo:
        validate_pdf(data, max_bytes)
    assert isinstance(excinfo.value, ValueError)
    return excinfo.value


def test_valid_reportlab_pdf_accepted(receipt_pdf: bytes) -> None:
    assert is_probably_pdf(receipt_pdf)
    assert validate_pdf(receipt_pdf, MAX_BYTES) == 1


def test_valid_hand_made_and_pypdf_pdfs_accepted() -> None:
    assert validate_pdf(_hand_made_pdf(), MAX_BYTES) == 1
    # A destination /OpenAction (open on page 1, fit page) is harmless.
    assert validate_pdf(_hand_made_pdf(b"/OpenAction [3 0 R /Fit]"), MAX_BYTES) == 1
    assert validate_pdf(_writer_bytes(_blank_writer()), MAX_BYTES) == 1


def test_empty_refused() -> None:
    error = _rejected(b"")
    assert error.message == MSG_EMPTY == "Le fichier est vide."
    assert error.reason == "empty"


def test_oversized_refused(receipt_pdf: bytes) -> None:
    error = _rejected(receipt_pdf, max_bytes=len(receipt_pdf) - 1)
    assert error.reason == "too_large"
    assert error.message.startswith("Le fichier dépasse la taille maximale de ")
    big = b"%PDF-1.7\n" + b"0" * MAX_BYTES
    assert _rejected(big).message == "Le fichier dépasse la taille maximale de 5 Mo."
    assert validate_pdf(receipt_pdf, len(receipt_pdf)) == 1  # limit is inclusive


@pytest.mark.parametrize(
    ("max_bytes", "expected"),
    [
        (5 * 1024 * 1024, "5 Mo"),
        (5_000_000, "5 Mo"),
        (512 * 1024, "512 Ko"),
        (2_621_440, "2,5 Mo"),
        (500, "500 octets"),
    ],
)
def test_size_wording(max_bytes: int, expected: str) -> None:
    assert format_size(max_bytes) == expected


@pytest.mark.parametrize(
    "data",
    [
        # DOS/PE executable renamed .pdf
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
        + b"\x00" * 48
        + b"This program cannot be run in DOS mode.\r\r\n$"
        + b"\x00" * 200,
        # Linux ELF renamed .pdf
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 300,
        # Executable carrying a PDF header a few bytes in (polyglot).
        b"MZ\x90\x00" + b"\x00" * 60 + _hand_made_pdf(),
        # Plain text.
        "Menu de la semaine : purée, steak haché".encode(),
    ],
    ids=["mz", "elf", "mz-polyglot", "text"],
)
def test_not_pdf_refused(data: bytes) -> None:
    assert not is_probably_pdf(data)
    error = _rejected(data)
    assert error.message == MSG_NOT_PDF == "Le fichier n'est pas un PDF valide."
    assert error.reason == "not_pdf"


def test_truncated_garbage_refused() -> None:
    rng = random.Random(42)
    garbage = b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(4096))
    # Keep the garbage free of tokens the raw scan would (rightly) flag first.
    assert not _has_raw_active_token(garbage)
    error = _rejected(garbage)
    assert error.message == MSG_NOT_PDF
    assert error.reason == "unreadable"
    assert _rejected(b"%PDF-1.4\n").message == MSG_NOT_PDF
    assert _rejected(_hand_made_pdf()[:60]).message == MSG_NOT_PDF


def test_truncated_real_pdf_refused(receipt_pdf: bytes) -> None:
    """An interrupted upload (half a file) must not be published as a blank document."""
    error = _rejected(receipt_pdf[: len(receipt_pdf) // 2])
    assert error.message == MSG_NOT_PDF


def test_encrypted_refused() -> None:
    writer = _blank_writer()
    # RC4 works with pypdf's pure-Python fallback (AES would need `cryptography`).
    writer.encrypt("secret", algorithm="RC4-128")
    error = _rejected(_writer_bytes(writer))
    assert error.message == MSG_ENCRYPTED
    assert error.reason == "encrypted"


def test_document_javascript_refused() -> None:
    """Document-level JavaScript, the pypdf 7 replacement for ``add_js``."""
    from pypdf.actions import JavaScript

    writer = _blank_writer()
    writer.add_open_action(JavaScript("app.alert('bonjour');"))
    error = _rejected(_writer_bytes(writer))
    assert error.message == MSG_ACTIVE_CONTENT
    assert error.reason == "active_content"


def test_open_action_javascript_refused() -> None:
    from pypdf.actions import JavaScript

    writer = _blank_writer()
    action = JavaScript("app.launchURL('https://x.invalid');")
    writer.root_object[NameObject("/OpenAction")] = action
    data = _writer_bytes(writer)
    assert b"/OpenAction" in data
    assert _rejected(data).message == MSG_ACTIVE_CONTENT


def test_embedded_file_refused() -> None:
    writer = _blank_writer()
    writer.add_attachment("facture.exe", b"MZ\x90\x00 not really an exe")
    assert _rejected(_writer_bytes(writer)).message == MSG_ACTIVE_CONTENT


@pytest.mark.parametrize(
    ("catalog_extra", "objects"),
    [
        # /OpenAction to a JavaScript action, names hex-escaped (/J#61vaScript = /JavaScript).
        (b"/OpenAction 4 0 R", (b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert(1)) >>",)),
        # Launch action (runs a program), escaped.
        (b"/OpenAction 4 0 R", (b"<< /S /L#61unch /F (calc.exe) >>",)),
        # Catalog additional actions, escaped.
        (b"/#41A << /WC 4 0 R >>", (b"<< /S /Named /N /Print >>",)),
        # XFA form, escaped.
        (b"/AcroForm << /Fields [] /#58FA 4 0 R >>", (b"<< /Length 0 >>\nstream\n\nendstream",)),
    ],
    ids=["openaction-js", "launch", "aa", "xfa"],
)
def test_obfuscated_active_content_caught_by_parsed_scan(catalog_extra: bytes, objects: tuple[bytes, ...]) -> None:
    data = _hand_made_pdf(catalog_extra, objects)
    assert not _has_raw_active_token(data)  # only the pypdf walk can see it
    assert is_probably_pdf(data)
    error = _rejected(data)
    assert error.message == MSG_ACTIVE_CONTENT
    assert error.reason == "active_content"


@pytest.mark.parametrize(
    "token",
    [b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/EmbeddedFiles", b"/AA", b"/RichMedia", b"/XFA"],
)
def test_raw_scan_tokens(token: bytes) -> None:
    # Unreachable object: only the raw scan sees it (a viewer's repair might not).
    data = _hand_made_pdf(extra_objects=(b"<< " + token + b" (x) >>",))
    assert _has_raw_active_token(data)
    assert _rejected(data).message == MSG_ACTIVE_CONTENT


def test_raw_scan_respects_name_boundaries() -> None:
    data = _hand_made_pdf(extra_objects=(b"<< /JSFont 1 /AAB 2 /XFAx 3 /Launcher 4 >>",))
    assert not _has_raw_active_token(data)
    assert validate_pdf(data, MAX_BYTES) == 1
