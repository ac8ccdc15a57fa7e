"""What every back-office operation starts with: who acts, and does the object belong to them.

Each ``services/admin_*.py`` function takes the DB session, ``now`` (when it writes), the
structure id of the staff's session and the acting account id, calls :func:`check_staff`
first, then fetches every id it was given through :func:`owned`. A parent account, a staff
account of another commune or an id of another commune all raise ``NotAllowed``: the state or
route turns it into the same refusal whatever the reason.

Staff roles (issue 20): :func:`check_staff` requires the « administration » role unless the
service says which area it belongs to (``area=Area.RESTAURATION`` for Effectifs and the roll
call), so a service that forgets to say refuses the canteen's staff rather than opening to them.
A « restauration » account reaching an administration service raises :class:`WrongRole`, whose
message the back office shows as is.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from sqlmodel import Session

from cantine_portal.models import Account, AccountRole, Child, Family, Guardian, StaffRole, Structure
from cantine_portal.services.shared.validation import parse_id

T = TypeVar("T")


class NotAllowed(PermissionError):
    """Not a staff account of this commune, or an object outside it."""


class Area(StrEnum):
    """What a back-office page, handler, route or service belongs to (who may open it)."""

    ADMINISTRATION = "administration"  # everything else: settings, families, money, messages…
    RESTAURATION = "restauration"  # Effectifs and the roll call: every staff role


MSG_WRONG_ROLE = (
    "Accès refusé : votre compte « restauration » ouvre les Effectifs et le Pointage seulement. "
    "Demandez à un agent de l'administration."
)


class WrongRole(NotAllowed):
    """A staff account of this commune whose role does not open this area."""

    def __init__(self) -> None:
        super().__init__(MSG_WRONG_ROLE)


def role_of(account: Account) -> StaffRole:
    """A staff account's role. Only an explicit « restauration » restricts: accounts created
    before roles existed (and the migration's) open everything, as they did."""
    return StaffRole.RESTAURATION if account.staff_role == StaffRole.RESTAURATION else StaffRole.ADMINISTRATION


def role_allows(role: str, area: str) -> bool:
    """Does a staff role open this area? Administration opens all; restauration its own area."""
    return role != StaffRole.RESTAURATION or area == Area.RESTAURATION


def check_staff(
    session: Session, structure_id: int | None, account_id: int | None, area: Area = Area.ADMINISTRATION
) -> Structure:
    """The commune, if ``account_id`` is an active staff account of it whose role opens ``area``.

    NotAllowed otherwise (WrongRole when only the role is missing)."""
    if structure_id is None or account_id is None:
        raise NotAllowed("non connecté")
    account = session.get(Account, account_id)
    structure = session.get(Structure, structure_id)
    if (
        account is None
        or structure is None
        or not account.active
        or account.role != AccountRole.STAFF
        or account.structure_id != structure_id
        or account.family_id is not None
    ):
        raise NotAllowed("compte agent requis")
    if not role_allows(role_of(account), area):
        raise WrongRole()
    return structure


def owned(session: Session, model: type[T], object_id: int | None, structure_id: int) -> T:
    """A row of a table with a ``structure_id`` column, if it belongs to this commune."""
    if parse_id(object_id) is None:
        raise NotAllowed("identifiant manquant ou impossible")
    row = session.get(model, object_id)
    if row is None or getattr(row, "structure_id", None) != structure_id:
        raise NotAllowed("objet inconnu")
    return row


def owned_family(session: Session, family_id: int | None, structure_id: int) -> Family:
    return owned(session, Family, family_id, structure_id)


def owned_guardian(session: Session, guardian_id: int | None, structure_id: int) -> Guardian:
    guardian = session.get(Guardian, guardian_id) if parse_id(guardian_id) is not None else None
    if guardian is None:
        raise NotAllowed("responsable inconnu")
    owned_family(session, guardian.family_id, structure_id)
    return guardian


def owned_child(session: Session, child_id: int | None, structure_id: int) -> Child:
    child = session.get(Child, child_id) if parse_id(child_id) is not None else None
    if child is None:
        raise NotAllowed("enfant inconnu")
    owned_family(session, child.family_id, structure_id)
    return child
