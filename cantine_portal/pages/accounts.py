"""Guide sections 1 and 5: login, first connection, password creation, password change."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.banner import family_page
from cantine_portal.components.forms import (
    INPUT_STYLE,
    callout,
    error_summary,
    field,
    login_form,
    message_if,
    text_input,
)
from cantine_portal.components.layout import link_button, portal_page
from cantine_portal.state.accounts import CreatePasswordState, LinkRequestState, LoginState

NARROW = {"max_width": "28rem", "width": "100%"}


def login_page() -> rx.Component:
    slug = LoginState.portal_slug
    return portal_page(
        rx.vstack(
            rx.heading("Se connecter", as_="h1", size="7"),
            login_form(
                LoginState,
                id_prefix="login",
                email_label="Identifiant (votre adresse e-mail)",
                submit_label="Valider",
                action="/api/" + slug + "/connexion",
                style=NARROW,
            ),
            link_button(
                "Première connexion ou mot de passe oublié ?",
                "/" + slug + "/premiere-connexion",
                variant="outline",
                size="3",
                class_name="wrap-button",
            ),
            spacing="4",
            style=NARROW,
        )
    )


def _link_request_form() -> rx.Component:
    return rx.cond(
        LinkRequestState.sent_message != "",
        callout(LinkRequestState.sent_message, "success"),
        rx.el.form(
            rx.vstack(
                error_summary([(LinkRequestState.email_error, "link-email", "Votre adresse e-mail")], "link-errors"),
                field(
                    "Votre adresse e-mail",
                    text_input(
                        "link-email",
                        type="email",
                        auto_complete="email",
                        value=LinkRequestState.email,
                        on_change=LinkRequestState.set_email,
                        aria_describedby="link-email-hint link-email-error",
                        aria_invalid=rx.cond(LinkRequestState.email_error != "", "true", "false"),
                    ),
                    "link-email",
                    hint="L'adresse connue de votre mairie.",
                    error=LinkRequestState.email_error,
                ),
                rx.button("Valider", type="submit", size="3"),
                spacing="3",
                align="start",
            ),
            on_submit=LinkRequestState.request_link,
            style=NARROW,
        ),
    )


def first_connection_page() -> rx.Component:
    return portal_page(
        rx.vstack(
            rx.heading("Première connexion ou mot de passe oublié", as_="h1", size="7"),
            rx.text(
                "Renseignez votre adresse e-mail et validez : vous recevrez un e-mail avec un bouton "
                "« Créer le mot de passe », valable 24 heures."
            ),
            _link_request_form(),
            rx.link("Retour à la connexion", href="/" + LinkRequestState.portal_slug + "/connexion"),
            spacing="4",
            style=NARROW,
        )
    )


def change_password_page() -> rx.Component:
    return family_page(
        "Mot de passe",
        rx.text(
            "Indiquez votre adresse e-mail puis cliquez sur Valider : un e-mail vous permettra de choisir "
            "un nouveau mot de passe. Vos autres connexions seront alors fermées."
        ),
        _link_request_form(),
    )


def _strength_meter() -> rx.Component:
    """Shown from the first character (the meter never sits empty once something is typed)."""
    P = CreatePasswordState
    return rx.cond(
        P.password != "",
        rx.vstack(
            rx.el.meter(
                value=P.strength + 1,
                min=0,
                max=5,
                low=2,
                high=4,
                optimum=5,
                aria_label="Robustesse du mot de passe",
                style={"width": "100%", "height": "1rem"},
            ),
            rx.text("Robustesse : ", rx.el.strong(P.strength_label), size="2", id="strength-label", aria_live="polite"),
            spacing="1",
            width="100%",
        ),
    )


def _checklist() -> rx.Component:
    """The CNIL rule, ticking live while the parent types (words ✓/✗, not colour alone)."""
    P = CreatePasswordState
    return rx.el.ul(
        rx.foreach(
            P.checklist,
            lambda item, i: rx.el.li(
                rx.cond(
                    P.checklist_ok[i], rx.el.span("✓ ", class_name="rule-ok"), rx.el.span("✗ ", class_name="rule-no")
                ),
                item,
                rx.el.span(rx.cond(P.checklist_ok[i], " (fait)", " (à faire)"), class_name="rt-visually-hidden"),
            ),
        ),
        id="pw-own-rules",
        class_name="rule-list",
        aria_label="Règle de la CNIL",
    )


def _choice_own() -> rx.Component:
    P = CreatePasswordState
    kind = rx.cond(P.show_password, "text", "password")
    return rx.el.form(
        rx.vstack(
            error_summary(
                [
                    (P.password_error, "pw-own", "Nouveau mot de passe"),
                    (P.confirm_error, "pw-confirm", "Confirmation"),
                ],
                "pw-errors",
            ),
            field(
                "Nouveau mot de passe",
                text_input(
                    "pw-own",
                    type=kind,
                    auto_complete="new-password",
                    value=P.password,
                    on_change=P.set_password,
                    aria_invalid=rx.cond(P.password_error != "", "true", "false"),
                    aria_describedby="pw-own-rules pw-own-error",
                ),
                "pw-own",
                error=P.password_error,
            ),
            rx.el.label(
                rx.el.input(
                    type="checkbox",
                    checked=P.show_password,
                    on_change=P.toggle_show_password,
                    class_name="show-password",
                ),
                " Afficher le mot de passe",
                class_name="check-label",
            ),
            _strength_meter(),
            _checklist(),
            field(
                "Confirmez le mot de passe",
                text_input(
                    "pw-confirm",
                    type=kind,
                    auto_complete="new-password",
                    value=P.confirmation,
                    on_change=P.set_confirmation,
                    aria_invalid=rx.cond(P.confirm_error != "", "true", "false"),
                    aria_describedby="pw-confirm-error",
                ),
                "pw-confirm",
                error=P.confirm_error,
            ),
            rx.button("Créer le mot de passe", type="submit", size="3"),
            spacing="3",
            align="stretch",
        ),
        on_submit=P.submit_own,
    )


def _choice_generated() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Le portail tire au hasard un mot de passe conforme. Notez-le ou copiez-le dans votre "
            "gestionnaire de mots de passe avant de valider."
        ),
        rx.button("Générer un mot de passe", on_click=CreatePasswordState.generate, variant="outline"),
        rx.cond(
            CreatePasswordState.generated != "",
            rx.vstack(
                rx.el.label("Mot de passe généré", html_for="pw-generated", style={"font_weight": "600"}),
                rx.hstack(
                    rx.el.input(
                        id="pw-generated",
                        value=CreatePasswordState.generated,
                        read_only=True,
                        style={**INPUT_STYLE, "font_family": "monospace"},
                    ),
                    rx.button(
                        rx.icon("copy", size=16, aria_hidden="true"),
                        "Copier",
                        on_click=rx.set_clipboard(CreatePasswordState.generated),
                        variant="soft",
                        type="button",
                    ),
                    width="100%",
                ),
                rx.button("Créer le mot de passe", on_click=CreatePasswordState.submit_generated, size="3"),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="3",
        align="start",
        width="100%",
    )


def _choice_sentence() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Écrivez une phrase facile à retenir : le mot de passe est formé de la première lettre de "
            "chaque mot, des nombres et de la ponctuation. Exemple : « J'ai acheté 3 livres pour 15 euros "
            "ce matin ! » donne « J'aa3lp15ecm! »."
        ),
        field(
            "Votre phrase",
            text_input(
                "pw-sentence",
                value=CreatePasswordState.sentence,
                on_change=CreatePasswordState.set_sentence,
                auto_complete="off",
            ),
            "pw-sentence",
        ),
        rx.cond(
            CreatePasswordState.sentence_password != "",
            rx.vstack(
                rx.text(
                    "Mot de passe obtenu : ", rx.el.code(CreatePasswordState.sentence_password), id="sentence-result"
                ),
                rx.cond(
                    CreatePasswordState.sentence_ok,
                    rx.text("✓ Conforme aux recommandations de la CNIL.", color_scheme="green"),
                    rx.el.ul(
                        rx.foreach(CreatePasswordState.sentence_advice, lambda a: rx.el.li(a)),
                        style={"font_size": "14px"},
                    ),
                ),
                spacing="1",
            ),
        ),
        rx.button(
            "Créer le mot de passe",
            on_click=CreatePasswordState.submit_sentence,
            size="3",
            disabled=~CreatePasswordState.sentence_ok,
        ),
        spacing="3",
        align="start",
        width="100%",
    )


def create_password_page() -> rx.Component:
    slug = CreatePasswordState.portal_slug
    return portal_page(
        rx.vstack(
            rx.heading("Créer le mot de passe", as_="h1", size="7"),
            rx.cond(
                ~CreatePasswordState.checked,
                rx.spinner(),
                rx.cond(
                    CreatePasswordState.link_valid,
                    rx.vstack(
                        rx.text("Compte : ", rx.el.strong(CreatePasswordState.target_email)),
                        message_if(CreatePasswordState.error_message, "error"),
                        rx.tabs.root(
                            rx.tabs.list(
                                rx.tabs.trigger("Choix 1 : mon mot de passe", value="own"),
                                rx.tabs.trigger("Choix 2 : mot de passe aléatoire", value="generated"),
                                rx.tabs.trigger("Choix 3 : à partir d'une phrase", value="sentence"),
                                style={"flex_wrap": "wrap"},
                            ),
                            rx.tabs.content(_choice_own(), value="own", padding_top="1rem"),
                            rx.tabs.content(_choice_generated(), value="generated", padding_top="1rem"),
                            rx.tabs.content(_choice_sentence(), value="sentence", padding_top="1rem"),
                            default_value="own",
                            on_change=CreatePasswordState.clear_errors,
                            width="100%",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    rx.vstack(
                        callout(
                            rx.cond(
                                CreatePasswordState.error_message != "",
                                CreatePasswordState.error_message,
                                "Ce lien n'est plus valable : il a expiré (24 heures), a déjà servi ou a "
                                "été remplacé par un lien plus récent.",
                            ),
                            "error",
                        ),
                        link_button("Demander un nouveau lien", "/" + slug + "/premiere-connexion"),
                        spacing="3",
                    ),
                ),
            ),
            spacing="4",
            style={"max_width": "40rem", "width": "100%"},
        )
    )
