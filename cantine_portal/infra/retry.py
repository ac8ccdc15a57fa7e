"""Retry a unit of database work when the database is briefly unreachable.

Meant for work that must not be dropped because PostgreSQL restarted or a connection was
cut: above all a payment provider's notification (webhook), which must be fulfilled, not
lost. Usage, with a function that opens *its own* transaction each time it is called::

    def fulfil() -> PaymentOutcome:
        with get_database().write_session() as session:
            return settlement.checkout_succeeded(session, clock.now(), ...)

    outcome = with_db_retry(fulfil)   # or: await run_in_threadpool(with_db_retry, fulfil)

Only "the database is not there" errors are retried (``OperationalError``, and any DBAPI
error SQLAlchemy flags as a disconnect); an ``IntegrityError`` or a bug is raised at once.
The function must be idempotent, which payment fulfilment already is: a retry after a
commit whose acknowledgement was lost finds the payment already done. When every attempt
fails, the last error is raised: the webhook answers 5xx and the provider sends it again
later (Stripe retries for days), so nothing is dropped either way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

T = TypeVar("T")
log = logging.getLogger(__name__)

DEFAULT_DELAYS: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 4.0)


def is_transient(error: BaseException) -> bool:
    """A database error that a new connection may not hit again."""
    if isinstance(error, OperationalError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def with_db_retry(
    fn: Callable[[], T],
    attempts: int = 6,
    delays: Sequence[float] = DEFAULT_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn()``; on a transient database error wait and call it again, ``attempts`` times at most.

    ``delays[i]`` is the wait after the (i+1)-th failure (the last one repeats). About
    7.7 s of outage are covered by the defaults. Blocking: from async code, run it in a
    thread (``run_in_threadpool``).
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except DBAPIError as error:
            if not is_transient(error) or attempt == attempts:
                raise
            delay = delays[min(attempt - 1, len(delays) - 1)] if delays else 0.0
            log.warning(
                "database unavailable (attempt %d/%d), retrying in %.1f s: %s",
                attempt,
                attempts,
                delay,
                error.__class__.__name__,
            )
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
