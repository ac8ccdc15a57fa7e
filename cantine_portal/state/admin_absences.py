"""Back-office « Absences »: the declarations to decide (certificate, validate, refuse) and the
last decisions. One use case per handler (``usecases/backoffice/absences.py``); the absence ids
stay in a backend-only list, the browser sends a row's position in it."""

from __future__ import annotations

from cantine_portal import clock
from cantine_portal.state.admin import StaffState, form_text
from cantine_portal.state.handlers import staff_event
from cantine_portal.usecases.backoffice import absences as cases
from cantine_portal.usecases.backoffice.common import Outcome


def _row(row: cases.AbsenceRow, slug: str) -> dict[str, str]:
    return {
        "family": row.family_name,
        "child": row.child_name,
        "days": " · ".join(row.days),
        "declared": row.declared_at,
        "kind": row.certificate,
        "outcome": row.outcome,
        "href": f"/api/{slug}/admin/absences/{row.id}/certificat",
    }


class AdminAbsencesState(StaffState):
    pending: list[dict[str, str]] = []
    decided: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    error_row: str = ""
    success_message: str = ""
    error_message: str = ""
    form_key: int = 0
    _absence_ids: list[int] = []

    def _show(self, page: cases.AbsencesPage) -> None:
        self._absence_ids = [row.id for row in page.pending]
        self.pending = [_row(row, self.portal_slug) for row in page.pending]
        self.decided = [_row(row, self.portal_slug) for row in page.decided]
        self.form_key += 1

    def _done(self, result: Outcome[cases.AbsencesPage], row: str) -> None:
        self.errors, self.error_row = result.errors, row
        if result.ok:
            self.success_message, self.error_message = result.message, ""
        else:
            self.success_message, self.error_message = "", result.message
        if result.page is not None:
            self._show(result.page)

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = self.error_row = ""
        self.errors = {}
        self._show(cases.absences_page(self._actor()))

    @staff_event
    def validate(self, form_data: dict):
        """Credits by the commune's carence rule, once; the optional message goes to the family."""
        index = self._position_or_refuse(form_data.get("row"), len(self._absence_ids))
        if index is None:
            return
        self._done(
            cases.validate_absence(
                self._actor(),
                now=clock.now(),
                absence_id=self._absence_ids[index],
                message=form_text(form_data, "message", 2000),
            ),
            f"val{index}",
        )

    @staff_event
    def refuse(self, form_data: dict):
        index = self._position_or_refuse(form_data.get("row"), len(self._absence_ids))
        if index is None:
            return
        self._done(
            cases.refuse_absence(
                self._actor(),
                now=clock.now(),
                absence_id=self._absence_ids[index],
                message=form_text(form_data, "message", 2000),
            ),
            f"ref{index}",
        )
