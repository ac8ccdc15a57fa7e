"""Famille and Enfants use cases (guide section 2): read the tabs, save one guardian or one child.

A save that must show the database again (someone saved first, the commune closed editing, the
row is not the family's any more) returns the fresh tabs with it, read in a transaction of its
own after the write: the page shows them without asking again. A row that is not the family's
(forged or stale id) comes back as ``refused`` with ``MSG_REFUSED``, so that the page reloads its
tabs; reading a family that is not the actor's raises ``Refused``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.infra.mail import Mailer
from cantine_portal.services.families import children as child_rules
from cantine_portal.services.families import family as family_service
from cantine_portal.services.families import guardians as guardian_rules
from cantine_portal.services.families.family import MSG_CLOSED, EditingClosed, NotYourFamily, SaveResult
from cantine_portal.usecases.actors import ParentActor
from cantine_portal.usecases.errors import Refused

MSG_REFUSED = "Cette modification n'est pas possible."

V = TypeVar("V")


@dataclass(frozen=True)
class GuardianTab:
    guardian_id: int
    version: int
    # The form's values (phones shown the French way), every field of GUARDIAN_FIELDS present.
    values: dict[str, str]
    # Tab title, from the saved names.
    label: str
    # The login this guardian's e-mail is, "" when it is none: changing it asks for the password.
    login_email: str


@dataclass(frozen=True)
class GuardiansView:
    can_edit: bool
    tabs: list[GuardianTab]


@dataclass(frozen=True)
class ChildTab:
    child_id: int
    version: int
    values: dict[str, str]
    label: str
    # One tick per service of ``ChildrenView.service_ids``.
    enrolled: list[bool]


@dataclass(frozen=True)
class ChildrenView:
    can_edit: bool
    tabs: list[ChildTab]
    # The commune's active services, in the page's order.
    service_ids: list[int]
    service_names: list[str]
    # (value, label) of the diet select: "" is "Aucun"; a child's retired diet stays listed.
    diet_options: list[list[str]]


@dataclass(frozen=True)
class Saved(Generic[V]):
    """What a save left. ``view``: the tabs as the database now holds them, when the page must show them."""

    ok: bool
    message: str = ""
    # field name → French message, shown next to the field (nothing typed is lost)
    errors: dict[str, str] = field(default_factory=dict)
    conflict: bool = False
    # The save was refused as a whole (editing closed, not the family's row): show ``view`` entirely.
    refused: bool = False
    notes: list[str] = field(default_factory=list)
    # The acting account's login e-mail is now this address.
    new_login_email: str | None = None
    view: V | None = None


def _id(row_id: int | None) -> int:
    """The id of a row read from the database (always set; None only before an insert)."""
    if row_id is None:
        raise ValueError("row without an id")
    return row_id


def _read(read: Callable[[Session], V]) -> V:
    """One read transaction; a family outside the actor's commune is refused, never a server error."""
    try:
        with get_database().session() as session:
            return read(session)
    except NotYourFamily as refused:
        raise Refused(MSG_REFUSED) from refused


def _guardians(session: Session, actor: ParentActor) -> GuardiansView:
    guardians = family_service.guardians_of(session, actor.structure_id, actor.family_id)
    logins = family_service.login_guardian_ids(session, actor.family_id)
    return GuardiansView(
        family_service.family_edit_allowed(session, actor.structure_id),
        [
            GuardianTab(
                _id(g.id),
                g.version,
                family_service.guardian_form_values(g),
                f"{g.first_name} {g.last_name}".strip() or f"Responsable {n + 1}",
                logins.get(_id(g.id), ""),
            )
            for n, g in enumerate(guardians)
        ],
    )


def _children(session: Session, actor: ParentActor) -> ChildrenView:
    children = family_service.children_of(session, actor.structure_id, actor.family_id)
    services = family_service.active_services(session, actor.structure_id)
    diets = family_service.diet_choices(session, actor.structure_id)
    tabs = []
    for n, child in enumerate(children):
        ticked = family_service.enrolled_service_ids(session, _id(child.id))
        tabs.append(
            ChildTab(
                _id(child.id),
                child.version,
                family_service.child_form_values(child),
                f"{child.first_name} {child.last_name}".strip() or f"Enfant {n + 1}",
                [s.id in ticked for s in services],
            )
        )
    extra = sorted({c.diet for c in children if c.diet and c.diet not in diets})
    return ChildrenView(
        family_service.children_edit_allowed(session, actor.structure_id),
        tabs,
        [_id(s.id) for s in services],
        [s.name for s in services],
        [["", family_service.NO_DIET_LABEL]] + [[d, d] for d in diets + extra],
    )


def family_tabs(actor: ParentActor) -> GuardiansView:
    """Famille: one tab per guardian of the actor's family."""
    return _read(lambda session: _guardians(session, actor))


def children_tabs(actor: ParentActor) -> ChildrenView:
    """Enfants: one tab per child, with the commune's services and diets."""
    return _read(lambda session: _children(session, actor))


def _after(result: SaveResult, reread: Callable[[], V]) -> Saved[V]:
    """The service's verdict, with the fresh tabs when the page shows the database again."""
    view = reread() if result.ok or result.conflict else None
    return Saved(
        result.ok,
        result.message,
        dict(result.errors),
        result.conflict,
        False,
        list(result.notes),
        result.new_login_email,
        view,
    )


def _refused(error: PermissionError, reread: Callable[[], V]) -> Saved[V]:
    message = MSG_CLOSED if isinstance(error, EditingClosed) else MSG_REFUSED
    return Saved(False, message, refused=True, view=reread())


def save_guardian(
    actor: ParentActor,
    guardian_id: int,
    expected_version: int,
    values: dict[str, str],
    current_password: str,
    *,
    now: datetime,
) -> Saved[GuardiansView]:
    """Save one guardian's tab; a changed login e-mail needs ``current_password`` and warns the old address.

    ``expected_version`` is the version the page displayed: a save by someone else since then is
    a conflict, not an overwrite.
    """

    def reread() -> GuardiansView:
        return family_tabs(actor)

    try:
        with get_database().write_session() as session:
            result = guardian_rules.save_guardian(
                session,
                now,
                structure_id=actor.structure_id,
                family_id=actor.family_id,
                account_id=actor.account_id,
                guardian_id=guardian_id,
                expected_version=expected_version,
                values=values,
                current_password=current_password,
                mailer=Mailer(get_settings()),
                ip=actor.ip,
            )
    except (EditingClosed, NotYourFamily) as refused:
        return _refused(refused, reread)
    return _after(result, reread)


def save_child(
    actor: ParentActor,
    child_id: int,
    expected_version: int,
    values: dict[str, str],
    service_ids: set[int],
    *,
    now: datetime,
) -> Saved[ChildrenView]:
    """Save one child's tab: identity, diet, PAI and the services ticked (ids of active services)."""

    def reread() -> ChildrenView:
        return children_tabs(actor)

    try:
        with get_database().write_session() as session:
            result = child_rules.save_child(
                session,
                now,
                structure_id=actor.structure_id,
                family_id=actor.family_id,
                account_id=actor.account_id,
                child_id=child_id,
                expected_version=expected_version,
                values=values,
                service_ids=service_ids,
                ip=actor.ip,
            )
    except (EditingClosed, NotYourFamily) as refused:
        return _refused(refused, reread)
    return _after(result, reread)
