"""The commune's identity (issue 15, item 9): the colour rule, the logo checks, where logo and colour
show (header data, public logo route, e-mails, receipts), and the French labels of item 10."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader
from sqlmodel import select
from starlette.testclient import TestClient

from cantine_portal.api.routes import build_api
from cantine_portal.french import provider_label
from cantine_portal.infra import images, storage
from cantine_portal.infra.db import get_database
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.infra.pdf.receipt import render_receipt
from cantine_portal.models import Structure
from cantine_portal.services.backoffice import payments as payments_report
from cantine_portal.services.shared import branding
from cantine_portal.services.shared.colours import colour_error, contrast_ratio, normalise_hex
from cantine_portal.usecases import identity
from cantine_portal.usecases import payments as payment_cases
from cantine_portal.usecases.backoffice import settings as settings_cases
from tests.integration.test_backoffice_usecases import actors  # noqa: F401 - fixture
from tests.integration.test_payments import d, event, handle, start  # noqa: F401 - fixtures
from tests.integration.test_payments import settings as payment_settings  # noqa: F401 - fixture
from tests.unit.test_pdf import GENERATED_AT, _receipt_data

# --- the colour rule (WCAG contrast of white text) ---------------------------------------------


def test_contrast_formula_matches_wcag_reference_values():
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#ffffff", "#767676") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_a_colour_white_text_cannot_be_read_on_is_refused_in_french():
    assert colour_error("#1d4e89") == ""
    assert colour_error("#767676") == ""  # 4.54:1, just enough
    message = colour_error("#777777")  # 4.48:1
    assert "4,4:1" in message and "au moins 4,5:1" in message and "plus foncée" in message
    assert colour_error("#ffd700") != ""  # gold: 1.4:1
    assert colour_error("bleu") == colour_error("#12345") != ""
    assert normalise_hex(" #1D4E89 ") == "#1d4e89" and normalise_hex("18f") == "#1188ff"


# --- the logo checks -----------------------------------------------------------------------------


def _png(size=(40, 20), with_metadata=False) -> bytes:
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    if with_metadata:
        info.add_text("Comment", "secret-author-note")
    Image.new("RGB", size, "#1d4e89").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def test_a_valid_png_is_accepted_and_re_encoded_without_its_metadata():
    original = _png(with_metadata=True) + b"trailing bytes after IEND"
    logo = images.check_logo(original)
    assert logo.mime == "image/png" and logo.suffix == "png"
    assert b"secret-author-note" not in logo.data and b"trailing bytes" not in logo.data
    assert Image.open(io.BytesIO(logo.data)).size == (40, 20)


def test_a_renamed_executable_is_refused_by_its_content():
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 200  # what `logo.png` really holds
    with pytest.raises(images.LogoError) as refused:
        images.check_logo(elf)
    assert refused.value.message == "Le logo doit être une image PNG, JPEG ou SVG."


def test_a_file_with_a_png_signature_but_no_image_is_refused():
    with pytest.raises(images.LogoError) as refused:
        images.check_logo(b"\x89PNG\r\n\x1a\n" + b"not really an image")
    assert "illisible" in refused.value.message


def test_an_oversized_file_is_refused_before_decoding():
    with pytest.raises(images.LogoError) as refused:
        images.check_logo(_png() + b"\x00" * images.LOGO_MAX_BYTES)
    assert refused.value.message == "Le logo dépasse 1 Mo : choisissez une image plus légère."


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p>'
        b"</foreignObject></svg>",
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<use xlink:href="https://evil.example/x.svg#a"/></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect width="1" height="1"/></a></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://evil.example/p)" width="1" height="1"/></svg>',
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
    ],
)
def test_an_svg_with_a_script_handler_or_external_link_is_refused(svg):
    with pytest.raises(images.LogoError) as refused:
        images.check_logo(svg)
    assert "éléments interdits" in refused.value.message or "PNG, JPEG ou SVG" in refused.value.message


def test_a_simple_svg_is_kept_as_our_own_serialisation():
    svg = (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        b'<defs><linearGradient id="g"><stop offset="0" stop-color="#1d4e89"/></linearGradient></defs>'
        b'<rect width="10" height="10" fill="url(#g)"/><title>Logo</title></svg>'
    )
    logo = images.check_logo(svg)
    assert logo.mime == "image/svg+xml" and logo.suffix == "svg"
    assert b"<rect" in logo.data and b'fill="url(#g)"' in logo.data
    assert images.raster_logo(logo.data, logo.mime) is None  # no rasteriser: e-mails and PDFs go without


# --- Paramètres: upload, colour, the header's data and the public route ----------------------------


def test_upload_then_the_header_and_the_public_route_show_the_communes_own_logo(actors, settings, now):
    staff, other = actors["staff"], actors["other"]
    before = identity.commune_by_slug("demo")
    assert before is not None and before.logo_url.startswith("/api/demo/logo?v=")  # the demo's generated logo
    refused = settings_cases.upload_logo(staff, now=now, data=b"MZ\x90\x00 a renamed .exe")
    assert not refused.ok and "PNG, JPEG ou SVG" in refused.message
    assert identity.commune_by_slug("demo").logo_url == before.logo_url
    saved = settings_cases.upload_logo(staff, now=now, data=_png((64, 64)))
    assert saved.ok and "enregistré" in saved.message
    with get_database().session() as s:
        demo = s.exec(select(Structure).where(Structure.slug == "demo")).one()
    assert demo.logo_mime == "image/png" and storage.resolve(settings, demo.logo_path).exists()
    after = identity.commune_by_slug("demo")
    assert after.logo_url != before.logo_url
    client = TestClient(build_api())
    answer = client.get(after.logo_url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(answer.content)).size == (64, 64)
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    # autreville's route serves autreville's logo, never demo's
    assert client.get("/api/autreville/logo").content != answer.content
    assert client.get("/api/inconnue/logo").status_code == 404
    # removing the logo deletes its file and the route's answer
    assert settings_cases.remove_logo(staff, now=now).ok
    assert not storage.resolve(settings, demo.logo_path).exists()
    assert identity.commune_by_slug("demo").logo_url == ""
    assert client.get("/api/demo/logo").status_code == 404
    assert settings_cases.upload_logo(other, now=now, data=_png()).ok  # autreville's agent changes only autreville


def test_an_svg_logo_is_served_with_a_policy_forbidding_scripts(actors, now):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><circle cx="2" cy="2" r="2"/></svg>'
    assert settings_cases.upload_logo(actors["staff"], now=now, data=svg).ok
    answer = TestClient(build_api()).get("/api/demo/logo")
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.headers["content-security-policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert answer.headers["content-disposition"] == "inline"
    assert b"<circle" in answer.content


def test_the_colour_is_saved_only_when_white_text_is_readable_on_it(actors, now):
    page = settings_cases.settings_page(actors["staff"])
    assert page.values["primary_color"] == "#1d4e89"
    pale = settings_cases.save_settings(actors["staff"], now=now, values={**page.values, "primary_color": "#7fb3e6"})
    assert not pale.ok and "pas assez lisible" in pale.errors["primary_color"]
    assert identity.commune_by_slug("demo").colour == "#1d4e89"
    dark = settings_cases.save_settings(actors["staff"], now=now, values={**page.values, "primary_color": "#5B2A86"})
    assert dark.ok
    assert identity.commune_by_slug("demo").colour == "#5b2a86"
    assert identity.commune_by_slug("autreville").colour == "#1e6b3a"  # the demo communes differ


# --- e-mails and receipts --------------------------------------------------------------------------


def test_an_email_wears_the_communes_colour_and_logo_as_an_inline_image(demo_session, settings, now):
    structure = demo_session.exec(select(Structure).where(Structure.slug == "demo")).one()
    brand = branding.mail_brand(settings, structure)
    mail = Mail(
        to="a@example.fr",
        subject="Essai",
        text="Bonjour",
        html=render_html("Essai", ["Bonjour"], ("Ouvrir", "https://x.test")),
        brand=brand,
    )
    message = Mailer(settings).build(mail, now)
    body = message.get_body(("html",)).get_content()
    assert "background:#1d4e89" in body and "Logo de Ville de Démo" in body and "cid:" in body
    images_parts = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images_parts) == 1 and images_parts[0]["Content-ID"].startswith("<logo-commune@")


def test_the_payment_reference_uses_the_paris_date(d, payment_settings):
    late = datetime(2026, 11, 26, 23, 31, tzinfo=UTC)  # Friday 27/11 at 0h31 in Paris
    payment = start(d, now=late)
    assert payment.reference.startswith("P-20261127-")


def test_the_receipt_carries_the_portals_and_the_providers_references(d, payment_settings):
    payment = start(d)
    result = handle(d, payment_settings, event(payment))
    _path, pdf = payment_cases.ensure_receipt_pdf(d.db, payment_settings, result.receipt_id)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert payment.reference in text and "pay_1" in text
    assert "Référence du paiement (portail)" in text


def test_the_receipt_shows_the_communes_logo_when_it_has_one():
    data = _receipt_data()
    plain = PdfReader(io.BytesIO(render_receipt(data, generated_at=GENERATED_AT)))
    logo = _png((120, 60))
    branded = PdfReader(
        io.BytesIO(render_receipt(replace(data, logo=logo, accent_colour="#5b2a86"), generated_at=GENERATED_AT))
    )
    assert len(plain.pages[0].images) == 0 and len(branded.pages[0].images) == 1
    broken = render_receipt(replace(data, logo=b"not an image"), generated_at=GENERATED_AT)
    assert len(PdfReader(io.BytesIO(broken)).pages[0].images) == 0  # a bad logo never stops a receipt


def test_providers_are_named_in_french_in_the_back_office(d, payment_settings):
    assert [provider_label(c) for c in ("simulated", "stripe", "avoir")] == ["Banque simulée", "Stripe", "Avoir"]
    payment = start(d)
    handle(d, payment_settings, event(payment))
    with d.db.session() as s:
        staff = s.exec(select(Structure).where(Structure.id == d.structure)).one()
        from cantine_portal.models import Account, AccountRole

        agent = s.exec(
            select(Account.id).where(Account.structure_id == staff.id, Account.role == AccountRole.STAFF)
        ).first()
        report = payments_report.payments_report(s, d.structure, agent)
    assert [row.provider for row in report.rows] == ["Banque simulée"]


def test_a_missing_logo_file_leaves_the_commune_without_a_logo_instead_of_failing(demo_session, settings):
    structure = demo_session.exec(select(Structure).where(Structure.slug == "demo")).one()
    storage.delete(settings, structure.logo_path)
    assert branding.read_logo(settings, structure) is None
    assert branding.mail_brand(settings, structure).logo is None
