"""Command line: `python -m cantine_portal demo | create-staff ...`."""

from __future__ import annotations

import argparse
import sys

from cantine_portal.config import get_settings
from cantine_portal.db import get_database
from cantine_portal import clock


def _demo(args: argparse.Namespace) -> int:
    from cantine_portal.services.demo import load_demo

    settings = get_settings()
    if args.production_ok is False and settings.base_url.startswith("https://"):
        print("Refusing to load demo data on an https deployment without --i-know-this-is-production.")
        return 2
    with get_database().write_session() as session:
        report = load_demo(session, clock.now())
    for slug in report.created:
        print(f"Commune de démonstration créée : {slug}")
    for slug in report.skipped:
        print(f"Commune de démonstration déjà présente : {slug}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cantine_portal")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="load the demo communes (idempotent)")
    demo.add_argument("--i-know-this-is-production", dest="production_ok", action="store_true", default=False)
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
