"""Use cases: one function per user action, owning its transactions (infra.db) and deciding where
work runs; they call the services (plain rules on a session) and return plain results."""
