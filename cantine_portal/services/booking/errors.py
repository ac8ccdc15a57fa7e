"""What every booking module refuses with: the French messages and ``BookingError``.

Kept apart so that the period view, Valider, the basket and the checkout share one wording
(the Réservations page compares some of these messages to decide to reload).
"""

from __future__ import annotations

from datetime import date

# (child_id, service_id, day): one checkbox of the reservation tables.
CellKey = tuple[int, int, date]

LOCKED_MESSAGE = "La date butoir de cette période est dépassée : les réservations ne peuvent plus être modifiées."
CHECKOUT_MESSAGE = "Un paiement est en cours : le panier est figé jusqu'à sa fin."
STALE_MESSAGE = (
    "Votre panier a été modifié entre-temps (autre onglet ou autre responsable). "
    "Rechargez la page pour voir son contenu à jour, puis validez à nouveau."
)
CONFLICT_MESSAGE = (
    "Ces réservations viennent d'être enregistrées par ailleurs "
    "(autre onglet ou autre responsable). Rechargez la page : rien n'a été modifié."
)
FORBIDDEN_MESSAGE = "Cette réservation n'est pas possible pour votre famille."
NO_CHANGE_MESSAGE = "Aucune modification à enregistrer."


class BookingError(Exception):
    """A refusal with a French message for the parent; the savepoint is rolled back."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
