"""The back office's home page: the « Tâches » box (failed background work, reminders sent)."""

from __future__ import annotations

from cantine_portal import clock
from cantine_portal.models import StaffRole
from cantine_portal.state.admin import StaffState
from cantine_portal.state.handlers import staff_event
from cantine_portal.usecases.backoffice import tasks as cases
from cantine_portal.usecases.identity import Area


class AdminHomeState(StaffState):
    tasks_failed: int = 0
    tasks_late: int = 0
    task_failures: list[str] = []
    reminders_sent: list[str] = []

    @staff_event(on_load=True, area=Area.RESTAURATION)
    def load_home(self) -> None:
        """Every staff role has a home page (its menu); the « Tâches » box is the administration's."""
        if self.staff_role != StaffRole.ADMINISTRATION:
            return
        status = cases.tasks_status(self._actor(), now=clock.now())
        self.tasks_failed = status.failed
        self.tasks_late = status.late
        self.task_failures = status.failures
        self.reminders_sent = status.reminders
