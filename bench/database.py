"""The benchmark's database: PostgreSQL only, dedicated, created when missing.

Used before Django is set up (choosing and creating the database) and right after (refusing a
database that holds partners the benchmark did not build, e.g. a development database)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/openpcm_bench"
POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "pgsql"})
# The data set leaves this activity-trail line behind; a database with partners but without it
# was not built by the benchmark and is never written to.
MARKER_VERB = "bench.dataset"


class BenchError(Exception):
    """A problem the person running the benchmark can fix; printed without a traceback."""


def resolve_database_url(environ: Mapping[str, str]) -> str:
    """DATABASE_URL when set, else the local default. Anything but PostgreSQL is refused."""
    url = environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    parts = urlsplit(url)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise BenchError(
            f"make bench runs on PostgreSQL only, but DATABASE_URL is a {parts.scheme or 'schemeless'} URL. "
            f"Unset DATABASE_URL to use {DEFAULT_DATABASE_URL}, or point it at a dedicated PostgreSQL "
            "database, e.g. DATABASE_URL=postgresql://postgres@127.0.0.1:5432/openpcm_bench make bench"
        )
    if not parts.path.strip("/"):
        raise BenchError(f"DATABASE_URL names no database: {redact(url)}")
    return url


def redact(url: str) -> str:
    """The URL without its password, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _connect_kwargs(url: str) -> dict[str, Any]:
    import dj_database_url

    config = dj_database_url.parse(url)
    kwargs: dict[str, Any] = {
        "dbname": config["NAME"],
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    kwargs.update(config.get("OPTIONS") or {})
    return {key: value for key, value in kwargs.items() if value not in (None, "")}


def ensure_database(url: str) -> bool:
    """Create the database when it is missing (connecting to the server's `postgres` database).
    Returns True when it was created."""
    import psycopg
    from psycopg import sql

    kwargs = _connect_kwargs(url)
    name = kwargs.pop("dbname")
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **kwargs) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                return False
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    except psycopg.Error as exc:
        raise BenchError(f"Cannot reach PostgreSQL at {redact(url)}: {exc}".strip()) from exc


def check_dedicated(connection: Any) -> None:
    """Refuse a database that holds partners the benchmark did not build: the harness deletes and
    rebuilds its data, so it must never run against a development or production database."""
    tables = set(connection.introspection.table_names())
    if "partners_partner" not in tables:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM partners_partner")
        (partners,) = cursor.fetchone()
        if not partners:
            return
        marked = 0
        if "core_activityevent" in tables:
            cursor.execute("SELECT count(*) FROM core_activityevent WHERE verb = %s", [MARKER_VERB])
            (marked,) = cursor.fetchone()
    if not marked:
        name = connection.settings_dict["NAME"]
        raise BenchError(
            f"Database {name!r} holds {partners} partners that the benchmark did not build. It only writes "
            f"to a dedicated database: unset DATABASE_URL (default {DEFAULT_DATABASE_URL}) or point it at "
            "an empty one."
        )
