"""Command line: `python -m cantine_portal demo | create-staff ... | check | run | consumer | restore FILE`."""

from __future__ import annotations

import argparse
import sys

from cantine_portal import clock
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.infra.files import private_umask, secure_var_tree


def _demo(args: argparse.Namespace) -> int:
    from cantine_portal.services.demo import load_demo

    settings = get_settings()
    if args.production_ok is False and settings.production:
        print(
            "Refusing to load demo data on a production deployment (https:// CANTINE_BASE_URL or "
            "CANTINE_ENV=production) without --i-know-this-is-production.",
            file=sys.stderr,
        )
        return 2
    with get_database().write_session() as session:
        report = load_demo(session, clock.now())
    for slug in report.created:
        print(f"Commune de démonstration créée : {slug}")
    for slug in report.skipped:
        print(f"Commune de démonstration déjà présente : {slug}")
    if not settings.simulated_bank_allowed:
        print(
            "Note: the demo communes use the simulated bank; this production deployment will refuse to "
            "start until they are switched to Stripe (or, on a staging server only, "
            "CANTINE_ALLOW_SIMULATED_BANK=1).",
            file=sys.stderr,
        )
    return 0


def _check(_args: argparse.Namespace) -> int:
    """The checks the portal runs before it serves anyone, for a deploy script's pre-start step."""
    from cantine_portal.usecases.startup import UnsafeDeployment, check_payment_safety, log_to_stderr

    log_to_stderr()
    try:
        check_payment_safety(get_settings())
    except UnsafeDeployment:
        return 2
    print("Startup checks passed.")
    return 0


def _create_staff(args: argparse.Namespace) -> int:
    import getpass

    from cantine_portal.services.accounts.staff import StaffError, create_staff

    password = args.password
    if password is None:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Mot de passe de l'agent : ")
            if getpass.getpass("Confirmez le mot de passe : ") != password:
                print("Les deux mots de passe diffèrent.", file=sys.stderr)
                return 2
    try:
        with get_database().write_session() as session:
            account = create_staff(session, clock.now(), args.commune, args.email, password, args.role)
    except StaffError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(
        f"Compte agent créé : {account.email} (commune {args.commune}, rôle {account.staff_role}) — "
        f"connexion : /{args.commune}/admin/connexion"
    )
    return 0


def _consumer(args: argparse.Namespace) -> int:
    """The task-queue consumer (huey): runs jobs, and the minutely tick of the schedules."""
    import logging
    import os

    # The consumer writes in its own process: no SQLite write process of its own to spawn.
    os.environ["CANTINE_WRITE_PROCESS"] = "0"
    from cantine_portal.config import use_settings
    from cantine_portal.infra.queue import get_queue
    from cantine_portal.usecases import tasks  # noqa: F401 - registers the job runner and the tick

    use_settings(get_settings().with_overrides(write_process=False))
    # Niceness 10, as the receipt helper had: on deadline night the CPU serves the parents' clicks
    # first; a ticket e-mail can leave a moment later.
    os.nice(10)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    get_queue().consumer(workers=args.workers or get_settings().consumer_workers).run()
    return 0


def _restore(args: argparse.Namespace) -> int:
    """Replace the SQLite database's content with a backup (stop the portal and consumer first)."""
    import sqlite3
    from pathlib import Path

    from cantine_portal.infra.backup import restore_sqlite
    from cantine_portal.infra.db import sqlite_path

    database_file = sqlite_path(get_settings().database_url)
    if database_file is None:
        print(
            "restore works on the SQLite database only; restore PostgreSQL with pg_restore (docs/deploy.md).",
            file=sys.stderr,
        )
        return 2
    backup_file = Path(args.file)
    if not backup_file.is_file():
        print(f"no such backup: {backup_file}", file=sys.stderr)
        return 2
    try:
        restore_sqlite(backup_file, Path(database_file))
    except sqlite3.DatabaseError as error:
        print(f"not restored: {backup_file} is not a sound SQLite database ({error})", file=sys.stderr)
        return 1
    print(f"Base restaurée depuis {backup_file} vers {database_file}.")
    return 0


def _csp(_args: argparse.Namespace) -> int:
    """Print the pages' Content-Security-Policy for the compiled build (for a reverse proxy)."""
    from cantine_portal.api import csp

    print(csp.page_policy(get_settings(), csp.build_hashes()))
    return 0


def _check_pending(_args: argparse.Namespace) -> int:
    """Ask the providers about payments whose answer never came (PayFiP), expire the others."""
    from cantine_portal.usecases.payments_pending import check_pending_payments

    report = check_pending_payments(clock.now())
    print(
        f"Paiements en attente interrogés : {report.asked}, réglés : {report.settled}, "
        f"prestataire injoignable : {report.failed}"
    )
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:  # everything after "run" goes to the portal's launcher (reflex options)
        from cantine_portal import launcher

        private_umask()  # the consumer and the portal inherit it
        return launcher.main(argv[1:])
    parser = argparse.ArgumentParser(prog="cantine_portal")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="load the demo communes (idempotent)")
    demo.add_argument("--i-know-this-is-production", dest="production_ok", action="store_true", default=False)
    demo.set_defaults(func=_demo)
    staff = sub.add_parser("create-staff", help="create a staff (back-office) account for a commune")
    staff.add_argument("--commune", required=True, help="the commune's slug, e.g. demo")
    staff.add_argument("--email", required=True)
    staff.add_argument(
        "--role",
        choices=["administration", "restauration"],
        default="administration",
        help="administration: the whole back office (default); restauration: Effectifs and the roll call only",
    )
    staff.add_argument("--password", default=None, help="omit it to type it at a prompt (or pass it on standard input)")
    staff.set_defaults(func=_create_staff)
    check = sub.add_parser("check", help="run the startup checks (payment providers) and exit non-zero on refusal")
    check.set_defaults(func=_check)
    consumer = sub.add_parser("consumer", help="run the task-queue consumer (background and scheduled work)")
    consumer.add_argument("--workers", type=int, default=None, help="worker threads (CANTINE_CONSUMER_WORKERS, 2)")
    consumer.set_defaults(func=_consumer)
    restore = sub.add_parser("restore", help="restore the SQLite database from a backup (portal stopped)")
    restore.add_argument("file", help="a backup, e.g. var/backups/cantine-20261126-0300.db")
    restore.set_defaults(func=_restore)
    sub.add_parser("run", help="serve the portal with its task consumer (options go to reflex run)")
    policy = sub.add_parser("csp", help="print the pages' Content-Security-Policy of the current build")
    policy.set_defaults(func=_csp)
    money = sub.add_parser("payments", help="payment maintenance")
    money_sub = money.add_subparsers(dest="payments_command", required=True)
    pending = money_sub.add_parser("check-pending", help="settle payments whose provider never answered")
    pending.set_defaults(func=_check_pending)
    args = parser.parse_args(argv)
    private_umask()
    secure_var_tree(get_settings())
    status: int = args.func(args)  # the chosen sub-command's exit status
    return status


if __name__ == "__main__":
    sys.exit(main())
