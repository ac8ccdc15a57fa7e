"""The back office's use cases: one function per staff action (docs/architecture.md, "Back-office").

Each takes a :class:`~cantine_portal.usecases.backoffice.common.StaffActor` (the commune and the
staff account behind the cookie, and the browser's address for the audit log) plus plain inputs,
opens its own transaction(s), lets the services of ``services/backoffice`` decide and re-check
every id, and returns a plain result. A service's ``NotAllowed`` (an id of another commune, a
deleted row, an account that is no longer staff) becomes ``Refused()``.
"""
