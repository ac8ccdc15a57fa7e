"""Use cases: one function per user action, each owning its unit of work.

A use case opens and commits its own transaction(s) through ``infra.db``, decides where the work
runs (the SQLite write process, the receipt helper, later the task queue), calls the rules of
``services/`` with a session and ``now``, and returns a plain result (a dataclass of strings and
numbers the UI can show). Reflex states and HTTP routes call one use case per action and never
open a database session themselves. Nothing here imports Reflex.

Conventions shared by every module here:

- The actor comes first: who acts, as the session check found them (a parent: ``actors.ParentActor``
  — commune, family, account, client address; staff: the back office's own actor). Ids the browser
  chose come after it, and are checked against the actor by the services.
- ``now`` is a keyword parameter given by the caller (states and routes pass ``clock.now()``): a use
  case never reads the clock, so a test fixes the time by passing it.
- An id that is not the actor's (forged, stale) raises ``errors.Refused`` with a French sentence,
  or comes back as a refusal in the result when the page must also show the database again;
  ordinary validation errors always come back in the result, so that nothing typed is lost.
"""
