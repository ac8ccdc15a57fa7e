"""Who acts in a parent's use case, as the session check (``identity.parent_by_session``) found them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParentActor:
    """A logged-in parent: the ids come from the session, never from the browser."""

    structure_id: int
    family_id: int
    account_id: int
    # The client's address (behind trusted proxies), for the audit log and throttling.
    ip: str = ""
