"""A PostgreSQL test database brought back to a saved content between tests (or examples)."""

from __future__ import annotations

from functools import cached_property

from sqlmodel import SQLModel

from cantine_portal.infra.db import Database
from tests.conftest import PostgresServer


class PostgresReset:
    """A test process's own PostgreSQL database, brought back before each test (each example of the
    books' property test) to what it held when seeded: every table emptied and its sequences
    restarted, then, for a test that starts from data (the demo), the rows put back from the ``seed``
    schema, where they were saved once, and the sequences set where they were. ``seed()`` comes
    first, once the database holds what is to be put back.

    Cheaper than a new database per test: ``CREATE DATABASE … TEMPLATE`` checkpoints the whole
    cluster (every other test's dirty pages) and each new database's first connections rebuild their
    catalogue caches; this is one round trip (docs/performance.md, "third pass" and "fourth pass")."""

    def __init__(self, server: PostgresServer, template: str, name: str):
        """The database ``name``, a copy of ``template``; ``seed()`` saves what it holds then."""
        self.name = name
        self.url = server.create_database(self.name, template)
        self.dsn = server.admin_dsn.replace("dbname=postgres", f"dbname={self.name}")

    def seed(self) -> None:
        """Save the database's rows and sequences as they are now: what ``self(True)`` puts back."""
        import psycopg

        tables = [t.name for t in SQLModel.metadata.sorted_tables]
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA seed")
            seeded = []
            for table in tables:
                conn.execute(f'CREATE TABLE seed."{table}" AS SELECT * FROM public."{table}"')
                if conn.execute(f'SELECT EXISTS (SELECT FROM seed."{table}")').fetchone()[0]:
                    seeded.append(table)
            sequences = conn.execute(
                "SELECT schemaname, sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            ).fetchall()
        # Other sessions of the previous test (a second engine, a thread's pool) are closed first, as
        # DROP DATABASE … WITH (FORCE) did: the DELETEs would wait for their locks.
        close_others = (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid();"
        )
        # DELETE, not TRUNCATE: on tables of a few rows TRUNCATE's fixed cost (a new file per table,
        # catalogue updates) made a reset 45 ms, DELETE 13 ms (docs/performance.md, "fourth pass").
        # Foreign keys are not checked meanwhile (session_replication_role, this session only), and
        # every sequence starts again at 1, as TRUNCATE … RESTART IDENTITY did.
        empty = (
            "SET session_replication_role = replica;"
            + "".join(f'DELETE FROM public."{t}";' for t in reversed(tables))
            + "".join(f'SELECT setval(\'"{schema}"."{name}"\', 1, false);' for schema, name, _v in sequences)
        )
        refill = "".join(f'INSERT INTO public."{t}" SELECT * FROM seed."{t}";' for t in seeded)
        renumber = "".join(
            f'SELECT setval(\'"{schema}"."{name}"\', {value});'
            for schema, name, value in sequences
            if value is not None
        )
        self.statements = {False: close_others + empty, True: close_others + empty + refill + renumber}

    def __call__(self, demo: bool) -> None:
        """Empty every table; ``demo``: then put the saved rows back."""
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(self.statements[demo])

    @cached_property
    def database(self) -> Database:
        return Database(self.url)
