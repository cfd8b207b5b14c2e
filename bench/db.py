"""The benchmark's own database: never the development or production one.

``python -m bench`` points Django at ``<database>_bench`` on the same PostgreSQL server as
``DATABASE_URL`` (or ``var/bench.sqlite3`` when DATABASE_URL is not PostgreSQL), and its key store at
``<database>_bench_keys`` (or ``var/bench-keys.sqlite3``), drops and recreates both, and migrates
them, before anything is measured.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlparse(url)
        name = (parts.path.lstrip("/") or "safeguarding") + "_bench"
        return urlunparse(parts._replace(path="/" + name))
    return f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"


def bench_keys_database_url(url: str) -> str:
    """The benchmark's key store, beside its main database."""
    if url.startswith("sqlite"):
        return f"sqlite:///{ROOT / 'var' / 'bench-keys.sqlite3'}"
    parts = urlparse(url)
    return urlunparse(parts._replace(path=parts.path + "_keys"))


def _on_server(url: str, statement: str, *names: str) -> None:
    """Run one ``CREATE``/``DROP DATABASE`` statement (``{}`` placeholders for ``names``) on the PostgreSQL
    server of ``url``, from its maintenance database (a database cannot be created or dropped from itself)."""
    import psycopg
    from psycopg import sql

    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(*(sql.Identifier(name) for name in names)))


def _name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def drop(url: str) -> None:
    """Remove a benchmark database (or a ``clone``), if it exists."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    _on_server(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", _name(url))


def recreate(url: str) -> None:
    """Drop and create the benchmark database (PostgreSQL) or delete its file (SQLite)."""
    drop(url)
    if not url.startswith("sqlite"):
        _on_server(url, "CREATE DATABASE {}", _name(url))


def clone(url: str, suffix: str) -> str:
    """Copy the benchmark database as it stands to ``<name><suffix>`` (replacing any earlier copy) and
    return its URL. PostgreSQL copies it as a template, which needs every connection to it closed first."""
    from django.db import connections

    connections.close_all()
    if url.startswith("sqlite"):
        import sqlite3

        source = Path(url.removeprefix("sqlite:///"))
        copy = f"sqlite:///{source.with_name(source.stem + suffix + source.suffix)}"
        drop(copy)
        with sqlite3.connect(source) as src, sqlite3.connect(copy.removeprefix("sqlite:///")) as dst:
            src.backup(dst)
        return copy
    copy = urlunparse(urlparse(url)._replace(path=f"/{_name(url)}{suffix}"))
    drop(copy)
    _on_server(url, "CREATE DATABASE {} TEMPLATE {}", _name(copy), _name(url))
    return copy


def attach(url: str, keys_url: str) -> None:
    """Point this process at an existing, migrated benchmark database (a clone ``bench.trail`` made)."""
    os.environ["DATABASE_URL"] = url
    os.environ["KEYS_DATABASE_URL"] = keys_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log while measuring


def setup(fresh: bool = True) -> str:
    """Point this process at the benchmark database, optionally recreate it, set Django up, migrate."""
    url = bench_database_url()
    keys_url = bench_keys_database_url(url)
    os.environ["DATABASE_URL"] = url
    os.environ["KEYS_DATABASE_URL"] = keys_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    if fresh:
        recreate(url)
        recreate(keys_url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # A bench-only URL (the bare one-INSERT baseline view) on top of the real ones.
    settings.ROOT_URLCONF = "bench.urls"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Load the (development) keys while DEBUG allows them, then measure as production runs: no query
    # log, no debug templates.
    from encryption.keyring import get_blind_index_key, get_keyring

    get_keyring(), get_blind_index_key()
    settings.DEBUG = False
    call_command("migrate", database="keys", verbosity=0, interactive=False)
    call_command("migrate", verbosity=0, interactive=False)
    return url
