"""The audit log: who did what, when. Callers never pass secrets or health data."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session

from cantine_portal.models import AuditLog

# Keys whose values must never reach the log, whatever a caller passes by mistake.
_FORBIDDEN_KEYS = frozenset({"password", "token", "pai_notes", "allergies", "secret"})


def record(
    session: Session,
    now: datetime,
    action: str,
    *,
    structure_id: int | None = None,
    account_id: int | None = None,
    target: str = "",
    ip: str = "",
    **details: object,
) -> AuditLog:
    clean = {k: ("[masqué]" if k in _FORBIDDEN_KEYS else v) for k, v in details.items()}
    entry = AuditLog(
        structure_id=structure_id,
        account_id=account_id,
        action=action,
        target=target,
        details=json.dumps(clean, ensure_ascii=False, default=str) if clean else "",
        ip=ip[:45],
        at=now,
    )
    session.add(entry)
    return entry
