"""The demo "Règlement intérieur" PDF: realistic rules matching what the portal enforces."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from cantine_portal.infra.pdf.common import build_pdf, commune_phrase, escape_markup, fr_typo, styles

__all__ = ["REGLEMENT_TITLE", "render_reglement"]

REGLEMENT_TITLE = "Règlement intérieur de la restauration scolaire et des accueils périscolaires"


# Article titles and paragraphs; "{commune}" / "{Commune}" stand for the escaped
# commune phrase ("la commune de Crolles"), replaced in _reglement_sections.
_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Préambule",
        (
            "{Commune} organise un service de restauration scolaire et des "
            "accueils périscolaires (garderie du matin et du soir) pour les enfants "
            "scolarisés dans ses écoles maternelles et élémentaires. Ces services "
            "facultatifs ont une vocation sociale et éducative : ils doivent permettre "
            "à chaque enfant de prendre un repas équilibré et de passer un moment "
            "convivial dans le respect des autres et du personnel.",
            "Le présent règlement s'applique à toutes les familles utilisatrices. "
            "L'inscription d'un enfant vaut acceptation pleine et entière de ses dispositions.",
        ),
    ),
    (
        "Article 1 – Inscriptions",
        (
            "L'inscription est obligatoire et doit être renouvelée chaque année scolaire "
            "depuis le portail famille. Le dossier comprend les coordonnées des "
            "responsables légaux, les personnes autorisées à récupérer l'enfant, "
            "l'attestation d'assurance responsabilité civile et, le cas échéant, le "
            "justificatif de quotient familial permettant l'application du tarif adapté.",
            "Tout changement de situation (adresse, téléphone, santé de l'enfant) doit être "
            "signalé sans délai en mettant à jour le dossier en ligne.",
        ),
    ),
    (
        "Article 2 – Réservations et date butoir",
        (
            "Les repas et les temps d'accueil sont réservés à l'avance sur le portail "
            "famille, jour par jour, pour chaque enfant. Les réservations d'une semaine "
            "sont possibles jusqu'au jeudi de la semaine précédente à 23h59 (date butoir). "
            "Passé ce délai, le planning est transmis à la cuisine centrale et aux "
            "équipes d'animation et ne peut plus être modifié en ligne.",
            "Un enfant présent sans réservation est accueilli, mais la prestation est "
            "alors facturée au tarif majoré prévu par la délibération tarifaire en vigueur.",
        ),
    ),
    (
        "Article 3 – Paiement du panier en ligne",
        (
            "Les réservations sont ajoutées à un panier et ne sont confirmées qu'après "
            "paiement en ligne, par carte bancaire, sur une page sécurisée. Un reçu de "
            "paiement au format PDF est alors disponible dans l'espace famille et envoyé "
            "par courriel. Un panier non payé avant la date butoir est abandonné et les "
            "places correspondantes ne sont pas garanties.",
            "Les familles rencontrant des difficultés de paiement sont invitées à prendre "
            "contact avec le centre communal d'action sociale (CCAS) en toute confidentialité.",
        ),
    ),
    (
        "Article 4 – Annulations et avoirs",
        (
            "Une réservation payée peut être annulée sur le portail jusqu'à la date butoir : "
            "le montant correspondant est alors crédité sous forme d'avoir, utilisable "
            "automatiquement lors des paiements suivants. Après la date butoir, seule une "
            "absence pour maladie justifiée par un certificat médical transmis sous huit "
            "jours, ou une fermeture de classe décidée par l'Éducation nationale, ouvre droit "
            "à un avoir. Les avoirs non utilisés en fin d'année scolaire sont remboursés "
            "sur demande écrite.",
        ),
    ),
    (
        "Article 5 – PAI et régimes alimentaires",
        (
            "Les enfants présentant une allergie ou une intolérance alimentaire ne peuvent "
            "être accueillis qu'après la signature d'un projet d'accueil individualisé (PAI) "
            "entre la famille, le médecin scolaire, le directeur d'école et la commune. "
            "Selon le protocole, un panier-repas fourni par la famille peut être demandé ; "
            "une déduction tarifaire est alors appliquée.",
            "Un menu sans porc est proposé chaque fois que nécessaire et un repas végétarien "
            "est servi au moins une fois par semaine. Aucun médicament ne peut être "
            "administré par le personnel en dehors d'un PAI.",
        ),
    ),
    (
        "Article 6 – Discipline",
        (
            "Les enfants doivent respecter leurs camarades, le personnel, la nourriture et "
            "le matériel. Tout comportement dangereux, insultant ou violent fera l'objet "
            "d'un signalement aux familles. En cas de manquements répétés, une rencontre "
            "est organisée avec les responsables légaux ; une exclusion temporaire, puis "
            "définitive, peut être prononcée par le maire après cet entretien.",
            "Les dégradations volontaires de matériel engagent la responsabilité civile des familles.",
        ),
    ),
    (
        "Article 7 – Contact",
        (
            "Pour toute question relative aux inscriptions, aux réservations ou aux "
            "paiements, le service enfance de {commune} répond aux familles aux "
            "heures d'ouverture de la mairie, par téléphone ou par courriel, ainsi que "
            "via la messagerie du portail famille. Les menus, le présent règlement et "
            "les tarifs en vigueur y sont également consultables à tout moment.",
        ),
    ),
)


def _reglement_sections(commune_name: str) -> list[tuple[str, list[str]]]:
    """Article titles and paragraphs (markup-safe: commune name is escaped)."""
    c = escape_markup(commune_phrase(commune_name))
    c_cap = c[0].upper() + c[1:]
    return [
        (heading, [text.replace("{commune}", c).replace("{Commune}", c_cap) for text in paragraphs])
        for heading, paragraphs in _SECTIONS
    ]


def render_reglement(commune_name: str) -> bytes:
    """Render the two-page demo "Règlement intérieur" used to seed the portal.

    The text is realistic on purpose: demo communes show it to testers and
    it documents the rules the portal implements (deadline, basket payment,
    credits), so it must stay consistent with the booking logic defaults.
    """
    st = styles()

    def story() -> list[Flowable]:
        flow: list[Flowable] = [
            Paragraph(escape_markup(commune_name), st["org"]),
            Paragraph("Service enfance – restauration scolaire et périscolaire", st["muted"]),
            Spacer(1, 6 * mm),
            Paragraph(REGLEMENT_TITLE, st["center_title"]),
            Spacer(1, 6 * mm),
        ]
        for heading, paragraphs in _reglement_sections(commune_name):
            block: list[Flowable] = [Paragraph(heading, st["h2"])]
            block.extend(Paragraph(fr_typo(text), st["body"]) for text in paragraphs)
            flow.append(KeepTogether(block))
        flow.extend(
            [
                Spacer(1, 8 * mm),
                Paragraph(
                    fr_typo(
                        "Règlement approuvé par délibération du conseil municipal de "
                        f"{escape_markup(commune_phrase(commune_name))}. "
                        "Il peut être modifié à tout moment ; la version en vigueur est celle "
                        "publiée sur le portail famille."
                    ),
                    st["muted"],
                ),
                Spacer(1, 6 * mm),
                Paragraph("Le Maire", st["right"]),
            ]
        )
        return flow

    return build_pdf(
        story,
        title=REGLEMENT_TITLE,
        author=commune_name,
        subject="Règlement intérieur",
        footer_left=f"{commune_name} — Règlement intérieur",
    )
