"""Whether a commune can take payments on this server, and what parents and staff are told if not.

Kept here (not in services/payments) because the back office's Paramètres shows it too, and
services/payments already depends on services/backoffice. The rule: the provider the commune
chose, usable on this server (Stripe: its keys set; the simulated bank: not in production, unless
CANTINE_ALLOW_SIMULATED_BANK), or no payment at all. Never a fallback to another provider.
"""

from __future__ import annotations

from dataclasses import dataclass

from cantine_portal.config import Settings
from cantine_portal.models import Structure

PARENT_UNAVAILABLE = (
    "Le paiement en ligne est momentanément indisponible. Vos réservations restent dans votre "
    "panier ; contactez la mairie ou réessayez plus tard."
)
STAFF_STRIPE_KEYS_MISSING = (
    "Paiement en ligne indisponible : les clés Stripe ne sont pas configurées sur le "
    "serveur (STRIPE_SECRET_KEY et STRIPE_WEBHOOK_SECRET). Les familles ne peuvent pas "
    "payer tant que l'hébergeur ne les a pas ajoutées."
)
STAFF_SIMULATED_IN_PRODUCTION = (
    "Paiement en ligne indisponible : le paiement simulé (démonstration) n'encaisse "
    "aucune somme et il est désactivé sur ce serveur. Choisissez Stripe."
)
STAFF_UNKNOWN_PROVIDER = "Paiement en ligne indisponible : le prestataire choisi n'est pas reconnu."
STAFF_PAYFIP_NUMCLI = (
    "Paiement en ligne indisponible : le numéro de régie PayFiP (numcli, 6 chiffres fournis par "
    "la DGFiP) n'est pas renseigné dans les Paramètres."
)
STAFF_TEST_MODE_IN_PRODUCTION = (
    "Paiement en ligne indisponible : le mode test n'encaisse aucune somme et il est "
    "désactivé sur ce serveur. Passez en mode activation ou production."
)
STAFF_SYSTEMPAY_MISSING = (
    "Paiement en ligne indisponible : l'identifiant de boutique Systempay n'est pas renseigné "
    "ou la clé du mode choisi (SYSTEMPAY_SECRET_TEST / SYSTEMPAY_SECRET_PRODUCTION) n'est pas "
    "configurée sur le serveur."
)
STAFF_TEST_MODE_NOTICE = "Mode test : les paiements sont simulés par le prestataire, aucune somme n'est encaissée."
STAFF_SIMULATED_NOTICE = (
    "Paiement simulé (démonstration) : aucune somme n'est encaissée, les paniers sont marqués payés sans paiement réel."
)


@dataclass(frozen=True)
class Availability:
    """Whether the commune can take payments now; if not, what to tell parents and staff."""

    ok: bool
    parent_message: str = ""
    # For Paramètres: why payments are off, or a caution when they are on (the simulated bank).
    staff_message: str = ""


def payment_availability(structure: Structure, settings: Settings) -> Availability:
    """The rule every payment path checks (basket, « Payer », Paramètres): the provider the commune
    chose, usable on this server, or no payment at all."""
    if structure.payment_provider == "stripe":
        if settings.stripe_enabled:
            return Availability(True)
        return Availability(False, PARENT_UNAVAILABLE, STAFF_STRIPE_KEYS_MISSING)
    if structure.payment_provider == "simulated":
        if settings.simulated_bank_allowed:
            return Availability(True, staff_message=STAFF_SIMULATED_NOTICE)
        return Availability(False, PARENT_UNAVAILABLE, STAFF_SIMULATED_IN_PRODUCTION)
    if structure.payment_provider == "payfip":
        return _payfip(structure, settings)
    if structure.payment_provider == "systempay":
        return _systempay(structure, settings)
    return Availability(False, PARENT_UNAVAILABLE, STAFF_UNKNOWN_PROVIDER)


def _test_mode(test: bool, settings: Settings) -> Availability:
    """A provider's test mode moves no money: like the simulated bank, never where real families pay."""
    if test and not settings.simulated_bank_allowed:
        return Availability(False, PARENT_UNAVAILABLE, STAFF_TEST_MODE_IN_PRODUCTION)
    return Availability(True, staff_message=STAFF_TEST_MODE_NOTICE if test else "")


def _payfip(structure: Structure, settings: Settings) -> Availability:
    numcli = structure.payfip_numcli or ""
    if not (len(numcli) == 6 and numcli.isdigit()) or structure.payfip_mode not in ("T", "X", "W"):
        return Availability(False, PARENT_UNAVAILABLE, STAFF_PAYFIP_NUMCLI)
    return _test_mode(structure.payfip_mode == "T", settings)


def _systempay(structure: Structure, settings: Settings) -> Availability:
    test = structure.systempay_mode != "PRODUCTION"
    secret = settings.systempay_secret_test if test else settings.systempay_secret_production
    site = structure.systempay_site_id or ""
    if not (len(site) == 8 and site.isdigit()) or not secret:
        return Availability(False, PARENT_UNAVAILABLE, STAFF_SYSTEMPAY_MISSING)
    return _test_mode(test, settings)
