"""Issue 15 item 8 in Chromium: an error summary at the top of every form (RGAA 11.10).

After a failed submit the form shows « Le formulaire contient des erreurs : » with one link per
field in error (« Code postal : … » → ``#its-id``), the focus is moved to that summary (in lists of
tabs, whose ids are computed, it is announced: role="alert"), and each
field in error carries ``aria-invalid="true"`` and ``aria-describedby`` naming its message.
Parents' pages at 390×844 and 1366×768 with axe-core (every impact), the back office too.
"""

from __future__ import annotations

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.test_accounts_flow import login
from tests.browser.test_admin import staff_login

SUMMARY_TITLE = "Le formulaire contient des erreurs :"
FOCUSED_SUMMARY = (
    "() => { const e = document.activeElement; return e && e.classList.contains('error-summary') ? e.innerText : ''; }"
)


def _assert_marked(page, label: str, message: str, focus: bool = True) -> None:
    """The field says it is invalid, and its description (aria-describedby) holds the message."""
    control = page.get_by_label(label, exact=True)
    assert control.get_attribute("aria-invalid") == "true", label
    ids = (control.get_attribute("aria-describedby") or "").split()
    described = " ".join(page.locator(f"[id='{i}']").inner_text() for i in ids if page.locator(f"[id='{i}']").count())
    assert message in described, (label, described)
    link = page.locator(".error-summary a", has_text=message).first
    assert link.get_attribute("href").endswith("#" + control.get_attribute("id"))
    # Following the link brings the field into view (and into focus where the field's id is fixed:
    # Reflex's set_focus needs a static ref); the summary stays.
    link.click()
    if focus:
        page.wait_for_function(
            "id => document.activeElement && document.activeElement.id === id", arg=control.get_attribute("id")
        )
    else:
        control.scroll_into_view_if_needed()
        assert control.is_visible()
    assert page.locator(".error-summary").count() == 1


def _shown_summary(page) -> str:
    """A summary in a list of tabs (ids computed per tab): shown and announced (role="alert")."""
    summary = page.locator(".error-summary[role='alert']").first
    summary.wait_for()
    return summary.inner_text()


def _wait_focused_summary(page) -> str:
    page.wait_for_function(FOCUSED_SUMMARY)
    return page.evaluate(FOCUSED_SUMMARY)


def test_famille_and_contact_summaries_at_both_sizes(sized_ui):
    ui, page = sized_ui, sized_ui.page
    login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.expect_path("/demo/accueil")
    ui.goto("/demo/famille")
    page.get_by_role("tab", name="Julien Martin").click()
    page.get_by_label("Nom", exact=True).fill("")
    page.get_by_label("Code postal").fill("4400")
    page.get_by_role("button", name="Enregistrer").click()
    summary = _shown_summary(page)
    assert SUMMARY_TITLE in summary
    assert "Nom : " in summary and "Code postal : Le code postal comporte 5 chiffres" in summary
    _assert_marked(page, "Code postal", "Le code postal comporte 5 chiffres", focus=False)
    assert page.get_by_label("Ville").get_attribute("aria-invalid") == "false"
    ui.check_a11y()
    # Fixed and saved again: the summary goes; the field is no longer marked.
    page.get_by_label("Code postal").fill("44000")
    page.get_by_label("Nom", exact=True).fill("Martin")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Les informations ont été enregistrées.").wait_for()
    assert page.locator(".error-summary").count() == 0
    assert page.get_by_label("Code postal").get_attribute("aria-invalid") == "false"

    ui.goto("/demo/contact")
    page.get_by_role("button", name="Envoyer").click()
    summary = _wait_focused_summary(page)
    assert "Objet : " in summary and "Message : " in summary
    assert page.get_by_label("Objet").get_attribute("aria-invalid") == "true"
    ui.check_a11y()


def test_password_request_summary_and_back_office_forms(ui):
    page = ui.page
    ui.goto("/demo/premiere-connexion")
    page.get_by_label("Votre adresse e-mail").fill("")
    page.get_by_role("button", name="Valider").click()
    summary = _wait_focused_summary(page)
    assert "Votre adresse e-mail : " in summary
    assert page.get_by_label("Votre adresse e-mail").get_attribute("aria-invalid") == "true"
    ui.check_a11y()

    staff_login(ui)
    ui.expect_path("/demo/admin")
    ui.goto("/demo/admin/familles")
    page.get_by_role("link", name="Martin", exact=True).click()
    ui.expect_path("/demo/admin/famille")
    page.get_by_role("heading", name="Léa Martin").wait_for()
    form = page.locator("form", has=page.get_by_role("button", name="Enregistrer le responsable")).first
    form.get_by_label("Nom", exact=True).fill("")
    form.get_by_role("button", name="Enregistrer le responsable").click()
    summary = _shown_summary(page)
    assert SUMMARY_TITLE in summary and "Nom : " in summary
    name = form.get_by_label("Nom", exact=True)
    assert name.get_attribute("aria-invalid") == "true"
    assert form.locator(".error-summary a").first.get_attribute("href").endswith("#" + name.get_attribute("id"))
    ui.check_a11y()
