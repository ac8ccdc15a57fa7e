"""Use cases: one function per user action, each owning its unit of work.

A use case opens and commits its own transaction(s) through ``infra.db``, decides where the work
runs (the SQLite write process, the receipt helper, later the task queue), calls the rules of
``services/`` with a session and ``now``, and returns a plain result (a dataclass of strings and
numbers the UI can show). Reflex states and HTTP routes call one use case per action and never
open a database session themselves. Nothing here imports Reflex.
"""
