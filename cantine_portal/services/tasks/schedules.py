"""When periodic work is due, from an injected ``now``.

Every consumer's scheduler ticks once a minute; each tick asks ``slots_due(now)`` and inserts one
keyed job per slot (``minutely:2026-11-26T10:05``, ``nightly:2026-11-26``…). The key is unique in
the database, so with several consumers (or a tick repeated) a slot's job exists, and runs, once.
The nightly slot is due from 3h (Paris) on, so a consumer that was down at 3h still does that
night's work when it comes back; the hourly slot carries the deadline reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cantine_portal.french import to_paris

NIGHTLY_HOUR = 3  # Europe/Paris: after the last deadlines (23h59), before the first parents


@dataclass(frozen=True)
class Slot:
    kind: str  # "minutely" | "hourly" | "nightly": the job kind that does the work
    key: str  # unique per schedule occurrence


def slots_due(now: datetime) -> list[Slot]:
    """The schedule occurrences ``now`` falls in (each done once, whoever asks)."""
    utc_minute = now.strftime("%Y-%m-%dT%H:%M")
    paris = to_paris(now)
    slots = [Slot("minutely", f"minutely:{utc_minute}"), Slot("hourly", f"hourly:{now.strftime('%Y-%m-%dT%H')}")]
    if paris.hour >= NIGHTLY_HOUR:
        slots.append(Slot("nightly", f"nightly:{paris.date().isoformat()}"))
    return slots
