"""« Pointage »: the canteen's roll call on a tablet or a phone (usecases/backoffice/rollcall.py).

Each tap is one handler making one use-case call: the child's row is upserted, then the list is
read again, so the tablet shows the other tablets' taps too; ``auto_refresh`` (the page's periodic
tick, every few seconds) reads it again without writing, and without counting as activity: a
tablet left on the page still logs out after the idle timeout (``refresh`` is the button's,
a tap like any other). The browser only ever sends a row
number, mapped here to the child's id kept in a backend-only list; a stale or forged number is
refused. Every handler here opens to every staff role (``Area.RESTAURATION``).
"""

from __future__ import annotations

from datetime import date, timedelta

from cantine_portal import clock
from cantine_portal.french import PARIS, format_long_date, format_month_year, format_paris_time
from cantine_portal.state.admin import StaffState, form_text, list_position
from cantine_portal.state.handlers import staff_event
from cantine_portal.usecases.backoffice import rollcall as cases
from cantine_portal.usecases.identity import Area

STATUS_WORDS = {"present": "Présent", "absent": "Absent", "": "Non pointé", "unbooked": "Présent sans réservation"}


class AdminRollCallState(StaffState):
    day: str = ""
    day_label: str = ""
    service_choice: str = "0"
    service_names: list[str] = []
    service_name: str = ""
    rows: list[dict[str, str]] = []
    expected: int = 0
    present: int = 0
    absent: int = 0
    unmarked: int = 0
    unbooked: int = 0
    unbooked_rule: str = ""
    absent_rule: str = ""
    shown: bool = False
    error_message: str = ""
    notice: str = ""
    csv_url: str = ""
    search_text: str = ""
    search_message: str = ""
    found: list[dict[str, str]] = []
    # part of the hidden ticker's key: a new key restarts its animation, whose end is the next tick
    tick: int = 0
    _service_ids: list[int] = []
    _child_ids: list[int] = []
    _found_ids: list[int] = []
    _day: date | None = None
    _service_id: int | None = None

    def _display(self, sheet: cases.RollCallSheet) -> None:
        self._day, self._service_id = sheet.day, sheet.service_id
        self.day, self.day_label, self.service_name = (
            sheet.day.isoformat(),
            format_long_date(sheet.day),
            sheet.service_name,
        )
        rows, heading = [], ""
        for row in sheet.rows:
            group = "Présents sans réservation" if row.unbooked else f"{row.child.school} — {row.child.class_name}"
            status = "unbooked" if row.unbooked else row.status
            rows.append(
                {
                    "heading": group if group != heading else "",
                    "name": row.child.display_name,
                    "family": row.child.family_name,
                    "diet": row.child.diet,
                    "pai": "1" if row.child.pai else "",
                    "pai_notes": row.child.pai_notes,
                    "status": status,
                    "status_label": row.status_label,
                    "locked": "1" if row.settled else "",
                    "marked": f"par {row.marked_by} à {format_paris_time(row.marked_at)}" if row.marked_at else "",
                }
            )
            heading = group
        child_ids = [row.child.child_id for row in sheet.rows]
        if rows != self.rows or child_ids != self._child_ids:  # a quiet tick sends nothing
            self.rows, self._child_ids = rows, child_ids
        self.expected, self.present, self.absent = sheet.expected, sheet.count("present"), sheet.count("absent")
        self.unmarked, self.unbooked = sheet.count(""), sheet.unbooked_count
        self.unbooked_rule, self.absent_rule, self.shown = sheet.unbooked_rule, sheet.absent_rule, True
        self.csv_url = (
            f"/api/{self.portal_slug}/admin/pointage.csv?jour={sheet.day.isoformat()}&prestation={sheet.service_id}"
        )

    @staff_event(on_load=True, area=Area.RESTAURATION)
    def load(self):
        page = cases.roll_call_page(
            self._actor(), now=clock.now(), requested_day=str(self.router.url.query_parameters.get("jour", ""))
        )
        self._service_ids = [s.id for s in page.services]
        self.service_names = [s.name for s in page.services]
        self.service_choice, self.error_message, self.notice = "0", "", ""
        self.found, self.search_message, self._found_ids = [], "", []
        self.day = page.day.isoformat()
        if page.sheet is None:
            self.error_message, self.shown = "Aucune prestation active : rien à pointer.", False
        else:
            self._display(page.sheet)

    @staff_event(area=Area.RESTAURATION)
    def show(self, form_data: dict):
        """« Afficher la liste »: another day or service."""
        self.error_message = self.notice = ""
        try:
            day = date.fromisoformat(form_text(form_data, "day", 20))
        except ValueError:
            self.error_message = "Saisissez un jour (jj/mm/aaaa)."
            return
        index = list_position(form_text(form_data, "service", 10), len(self._service_ids))
        if index is None:
            self.error_message = "Choisissez une prestation."
            return
        self.service_choice = str(index)
        self._display(cases.roll_call_sheet(self._actor(), day=day, service_id=self._service_ids[index]))

    def _listed_child(self, index: object) -> int | None:
        """The child id of a row the page shows, or None (and the refusal) for a forged number."""
        position = self._position_or_refuse(index, len(self._child_ids))
        if position is None or self._day is None or self._service_id is None:
            return None
        return self._child_ids[position]

    def _tapped(self, outcome: cases.TapOutcome, done: str) -> None:
        self.error_message = "" if outcome.ok else outcome.message
        self.notice = f"{done} {outcome.message}".strip() if outcome.ok else ""  # e.g. a billed meal given back
        self._display(outcome.sheet)

    def _mark(self, index: int, status: str) -> None:
        child_id = self._listed_child(index)
        if child_id is None or self._day is None or self._service_id is None:
            return
        name = self.rows[int(index)]["name"]
        outcome = cases.tap(
            self._actor(), now=clock.now(), day=self._day, service_id=self._service_id, child_id=child_id, status=status
        )
        self._tapped(outcome, f"{name} : {STATUS_WORDS[status].lower()}.")

    @staff_event(area=Area.RESTAURATION)
    def mark_present(self, index: int):
        self._mark(index, "present")

    @staff_event(area=Area.RESTAURATION)
    def mark_absent(self, index: int):
        self._mark(index, "absent")

    @staff_event(area=Area.RESTAURATION)
    def remove(self, index: int):
        """« Retirer »: a child added « présent sans réservation » by mistake."""
        child_id = self._listed_child(index)
        if child_id is None or self._day is None or self._service_id is None:
            return
        name = self.rows[int(index)]["name"]
        outcome = cases.remove_unbooked(
            self._actor(), now=clock.now(), day=self._day, service_id=self._service_id, child_id=child_id
        )
        self._tapped(outcome, f"{name} retiré de la liste des présents sans réservation.")

    @staff_event(area=Area.RESTAURATION)
    def refresh(self):
        """« Actualiser »: the other tablets' taps, nothing written."""
        self._reread()

    @staff_event(area=Area.RESTAURATION, activity=False)
    def auto_refresh(self):
        """The periodic tick: as « Actualiser », but not activity; once the session has expired
        (idle timeout, 12 h maximum) the page goes to the staff login."""
        self._reread()

    def _reread(self) -> None:
        self.tick = (self.tick + 1) % 1_000_000
        if self._day is None or self._service_id is None:
            return
        self._display(cases.roll_call_sheet(self._actor(), day=self._day, service_id=self._service_id))

    @staff_event(area=Area.RESTAURATION)
    def search(self, form_data: dict):
        """« Rechercher »: the commune's children by name, to add one present without a reservation."""
        self.search_text = form_text(form_data, "search", 80)
        result = cases.search_children(self._actor(), text=self.search_text)
        self._found_ids = [c.child_id for c in result.children]
        self.found = [
            {"name": c.display_name, "details": f"{c.school} — {c.class_name} — famille {c.family_name}"}
            for c in result.children
        ]
        self.search_message = result.message

    @staff_event(area=Area.RESTAURATION)
    def add(self, index: int):
        """« Ajouter comme présent » on a search result."""
        position = self._position_or_refuse(index, len(self._found_ids))
        if position is None or self._day is None or self._service_id is None:
            return
        name = self.found[position]["name"]
        outcome = cases.add_unbooked(
            self._actor(),
            now=clock.now(),
            day=self._day,
            service_id=self._service_id,
            child_id=self._found_ids[position],
        )
        if outcome.ok:
            self.found, self._found_ids, self.search_text = [], [], ""
        self._tapped(outcome, f"{name} ajouté : présent.")


class AdminUnbookedState(StaffState):
    """The régie's « Présents sans réservation » (a block of the Régie page, administration only):
    the children the roll call found present without a reservation, month by month."""

    month: str = ""  # YYYY-MM
    title: str = ""
    rows: list[list[str]] = []
    rule: str = ""
    error_message: str = ""

    def _show_month(self, month: str) -> None:
        try:
            first = date.fromisoformat(month + "-01")
        except ValueError:
            self.error_message = "Choisissez un mois."
            return
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        report = cases.unbooked_report(self._actor(), start=first, end=last)
        self.month, self.error_message = first.strftime("%Y-%m"), ""
        self.title = "Présents sans réservation — " + format_month_year(first.year, first.month)
        self.rows = [
            [f"{r.day:%d/%m/%Y}", r.service_name, r.child_name, r.family_name, r.marked_by, r.billing]
            for r in report.rows
        ]
        self.rule = report.rule

    @staff_event(on_load=True)
    def load(self):
        self._show_month(self.month or clock.now().astimezone(PARIS).strftime("%Y-%m"))

    @staff_event
    def show_month(self, form_data: dict):
        self._show_month(form_text(form_data, "month", 7))
