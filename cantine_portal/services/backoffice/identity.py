"""« Paramètres » → the commune's logo: recording which stored file is the logo.

The file itself is checked and written by the use case (infra/images.py, infra/storage.py); here
only the staff check, the column and the audit line, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.shared import audit

MSG_LOGO_SAVED = "Le logo a été enregistré : il apparaît dans l'en-tête, les e-mails et les reçus."
MSG_LOGO_REMOVED = "Le logo a été retiré."


def set_logo(
    session: Session, now: datetime, *, structure_id: int, account_id: int, path: str, mime: str, ip: str = ""
) -> str:
    """Make the stored file ``path`` the commune's logo ("" removes it). Returns the previous
    file's path, which the caller deletes once this transaction has committed."""
    structure = check_staff(session, structure_id, account_id)
    previous, previous_mime = structure.logo_path, structure.logo_mime
    structure.logo_path, structure.logo_mime = path, (mime if path else "")
    session.add(structure)
    audit.record(
        session,
        now,
        "admin.logo_updated" if path else "admin.logo_removed",
        structure_id=structure_id,
        account_id=account_id,
        target=f"structure:{structure_id}",
        ip=ip,
        changes={"logo_mime": [previous_mime, structure.logo_mime]},
    )
    return previous
