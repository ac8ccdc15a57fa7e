"""Background work's rules: the job ledger, schedules, maintenance, backups."""
