"""Issue 8: the commune's back office in Chromium — staff login, documents, attendance, separation."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlmodel import select

from cantine_portal.infra.db import Database
from cantine_portal.infra.pdf.reglement import render_reglement
from cantine_portal.models import Child, Family, Reservation, Service, Structure
from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD
from tests.browser.conftest import _new_ui, sign_in

ADMIN_PAGES = [
    "parametres",
    "prestations",
    "calendrier",
    "familles",
    "effectifs",
    "documents",
    "messages",
    "paiements",
    "prestations/grilles",
    "quotients",
    "aide-cantine-1-euro",
]


def staff_login(ui, address: str = STAFF_EMAIL, password: str = STAFF_PASSWORD) -> None:
    ui.goto("/demo/admin/connexion")
    ui.page.get_by_label("Adresse e-mail de l'agent").fill(address)
    ui.page.get_by_label("Mot de passe").fill(password)
    ui.page.get_by_role("button", name="Se connecter").click()


def test_staff_logs_in_and_every_back_office_page_is_accessible(ui):
    staff_login(ui)
    ui.expect_path("/demo/admin")
    nav = ui.page.get_by_role("navigation", name="Menu du back-office")
    for label in [
        "Paramètres",
        "Prestations",
        "Calendrier",
        "Familles",
        "Effectifs",
        "Documents",
        "Messages",
        "Paiements",
    ]:
        assert nav.get_by_role("link", name=label, exact=True).is_visible()
    assert nav.get_by_role("button", name="Se déconnecter").is_visible()
    for path in ADMIN_PAGES:
        ui.goto(f"/demo/admin/{path}")
        ui.page.get_by_role("heading", level=1).first.wait_for()
    ui.goto("/demo/admin/familles")
    ui.page.get_by_role("link", name="Martin", exact=True).click()
    ui.expect_path("/demo/admin/famille")
    ui.page.get_by_role("heading", name="Léa Martin").wait_for()
    ui.page.get_by_role("button", name="Se déconnecter").click()
    ui.expect_path("/demo/admin/connexion")
    ui.page.get_by_text("Vous êtes déconnecté.").wait_for()


def test_staff_publishes_a_document_and_a_parent_opens_it(ui, browser, portal, tmp_path):
    pdf = tmp_path / "menu-noel.pdf"
    pdf.write_bytes(render_reglement("Ville de Démo"))
    sign_in(ui, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
    ui.page.get_by_role("navigation", name="Menu du back-office").get_by_role(
        "link", name="Documents", exact=True
    ).click()
    ui.expect_path("/demo/admin/documents")
    ui.page.get_by_label("Titre du nouveau document").fill("Menu de Noël 2026")
    ui.page.get_by_label("Catégorie du nouveau document").fill("Menus")
    ui.page.locator("#document-pdf-input").set_input_files(str(pdf))
    ui.page.get_by_text("Fichier choisi : menu-noel.pdf").wait_for()
    ui.page.get_by_role("button", name="Ajouter le document").click()
    ui.page.get_by_text("Le document « Menu de Noël 2026 » a été publié.").wait_for()
    ui.check_a11y()

    context, parent = _new_ui(browser, portal)
    try:
        sign_in(parent, MARTIN_EMAIL, MARTIN_PASSWORD)
        parent.goto("/demo/documents")
        link = parent.page.get_by_role("link", name=re.compile(r"^Menu de Noël 2026"))
        link.wait_for()
        response = parent.page.request.get(portal.url(link.get_attribute("href")))
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.body() == pdf.read_bytes()

        # Unpublished again (the portal is shared by the whole test session): the parent's link dies.
        row = ui.page.get_by_role("row").filter(has_text="Menu de Noël 2026")
        row.get_by_role("button", name=re.compile(r"^Retirer de la publication")).click()
        ui.page.get_by_text("« Menu de Noël 2026 » retiré : les familles ne le voient plus.").wait_for()
        assert parent.page.request.get(portal.url(link.get_attribute("href"))).status == 404
    finally:
        context.close()


def _portal_db(portal) -> Database:
    return Database(f"sqlite:///{portal.var_dir / 'cantine.db'}")


def _insert_paid_reservation(portal, first_name: str, day: date) -> int:
    db = _portal_db(portal)
    try:
        with db.write_session() as s:
            demo = s.exec(select(Structure).where(Structure.slug == "demo")).one()
            child = s.exec(
                select(Child)
                .join(Family, Family.id == Child.family_id)
                .where(Family.structure_id == demo.id, Child.first_name == first_name)
            ).one()
            service = s.exec(
                select(Service).where(Service.structure_id == demo.id, Service.name == "Restauration scolaire")
            ).one()
            now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
            reservation = Reservation(
                structure_id=demo.id,
                family_id=child.family_id,
                child_id=child.id,
                service_id=service.id,
                day=day,
                status="paid",
                price_cents=385,
                created_at=now,
                updated_at=now,
            )
            s.add(reservation)
            s.flush()
            return reservation.id
    finally:
        db.dispose()


def _delete_reservation(portal, reservation_id: int) -> None:
    db = _portal_db(portal)
    try:
        with db.write_session() as s:
            s.delete(s.get(Reservation, reservation_id))
    finally:
        db.dispose()


def test_staff_sees_a_paid_reservation_in_the_days_attendance(ui, portal):
    reservation_id = _insert_paid_reservation(portal, "Léa", date(2026, 11, 30))
    try:
        _check_attendance(ui, portal)
    finally:
        # The portal is shared by the whole test session: leave Léa's Monday as we found it.
        _delete_reservation(portal, reservation_id)


def _check_attendance(ui, portal) -> None:
    sign_in(ui, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
    ui.goto("/demo/admin/effectifs?jour=2026-11-30")
    page = ui.page
    page.get_by_role("cell", name="MARTIN Léa").wait_for()
    assert page.get_by_role("heading", name=re.compile(r"lundi 30 novembre 2026 : 1 enfant")).is_visible()
    assert page.get_by_role("cell", name="École Jules Ferry").first.is_visible()
    ui.check_a11y()
    csv_link = page.get_by_role("link", name="Exporter en CSV (Excel)")
    response = page.request.get(portal.url(csv_link.get_attribute("href")))
    assert response.status == 200 and response.body().startswith("\ufeff".encode())
    assert "MARTIN Léa" in response.body().decode("utf-8-sig")
    pdf = page.request.get(portal.url(page.get_by_role("link", name="Version imprimable (PDF)").get_attribute("href")))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"


def test_a_parent_never_reaches_the_back_office(ui, portal):
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.page.goto(portal.url("/demo/admin"))
    ui.expect_path("/demo/admin/connexion")
    assert ui.page.get_by_role("heading", name="Connexion au back-office").is_visible()
    assert ui.page.get_by_role("navigation", name="Menu du back-office").count() == 0
    # The parent's cookie opens no staff download.
    for url in ["/api/demo/admin/modele-import-familles.csv", "/api/demo/admin/paiements.csv"]:
        assert ui.page.request.get(portal.url(url)).status == 404
    # The parent's credentials on the staff form: refused, no session.
    staff_login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.expect_path("/demo/admin/connexion")
    ui.page.get_by_text("Identifiant ou mot de passe incorrect.").wait_for()
    assert not any(c["name"].startswith("cp_staff_") for c in ui.page.context.cookies())


def test_csv_import_with_a_bad_line_imports_nothing_and_says_which_line(ui, tmp_path):
    bad = tmp_path / "familles.csv"
    bad.write_text(
        "famille;civilite;nom_responsable;prenom_responsable;email\n"
        "X-1;Mme;Aubert;Lise;lise.aubert@example.fr\n"
        "X-2;Mme;Blanc;;pas-une-adresse\n",
        encoding="utf-8-sig",
    )
    sign_in(ui, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
    ui.goto("/demo/admin/familles")
    template = ui.page.get_by_role("link", name="Télécharger le modèle CSV")
    assert ui.page.request.get(ui.portal.url(template.get_attribute("href"))).status == 200
    ui.page.locator("#import-csv-input").set_input_files(str(bad))
    ui.page.get_by_role("button", name="Importer").click()
    ui.page.get_by_text("Aucune famille n'a été importée").wait_for()
    errors = ui.page.get_by_role("list", name="Lignes à corriger")
    assert errors.get_by_role("listitem").count() == 1
    assert errors.inner_text().startswith("Ligne 3 : prenom_responsable")
    ui.check_a11y()
    ui.page.get_by_label("Rechercher (nom, e-mail, enfant, n° de dossier)").fill("Aubert")
    ui.page.get_by_role("button", name="Rechercher").click()
    ui.page.get_by_text("Aucune famille ne correspond à la recherche.").wait_for()


def test_a_wrong_setting_is_explained_and_what_was_typed_stays(ui):
    sign_in(ui, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
    ui.goto("/demo/admin/parametres")
    ui.page.get_by_label("Heure limite (HH:MM)").fill("25:00")
    ui.page.get_by_label("Ville", exact=True).fill("Démo-sur-Mer")
    ui.page.get_by_role("button", name="Enregistrer", exact=True).click()
    # The message sits next to its field, and the error summary at the top links to it.
    ui.page.locator("#set-time-error").get_by_text("Saisissez une heure au format HH:MM").wait_for()
    assert ui.page.get_by_role("link", name="Heure limite : Saisissez une heure au format HH:MM").count() == 1
    ui.check_a11y()
    assert ui.page.get_by_label("Heure limite (HH:MM)").input_value() == "25:00"
    assert ui.page.get_by_label("Ville", exact=True).input_value() == "Démo-sur-Mer"
