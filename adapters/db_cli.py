"""Database commands: `quizbot migrate [--show]` and `quizbot db copy --from sqlite:PATH --to postgresql://…`."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path

from bot.settings import Settings
from bot.storage.copy import CopyError, copy_database
from bot.storage.factory import database_url, open_repository
from bot.storage.postgres import PostgresRepository, is_postgres_url
from bot.storage.sqlite import SqliteRepository, migrations


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `migrate` and `db copy`."""
    p = sub.add_parser("migrate", help="apply pending database migrations (or --show the schema version)")
    p.add_argument("--show", action="store_true", help="print the applied and the newest version; change nothing")
    p.set_defaults(func=_cmd_migrate)
    db = sub.add_parser("db", help="database tools").add_subparsers(metavar="TOOL")
    p = db.add_parser("copy", help="copy an embedded SQLite install into an empty PostgreSQL database")
    p.add_argument("--from", dest="source", required=True, help="sqlite:PATH of the file to copy")
    p.add_argument("--to", dest="target", required=True, help="postgresql://user:password@host/db (empty)")
    p.set_defaults(func=_cmd_copy)


def _cmd_migrate(args: argparse.Namespace) -> int:
    settings = Settings()
    newest = migrations()[-1][0]
    if args.show:
        version = asyncio.run(_show_version(settings))
        pending = [name for v, name, _ in migrations() if v > version]
        print(f"schema version {version} (newest {newest}); pending: {', '.join(pending) or 'none'}")
        return 0
    version = asyncio.run(_migrate(settings))
    print(f"schema version {version} (newest {newest})")
    return 0


async def _show_version(settings: Settings) -> int:
    url = database_url(settings)
    if url is not None:
        repo = await PostgresRepository.open(url, apply_migrations=False)
        try:
            return await repo.schema_version()
        finally:
            await repo.close()
    return sqlite_version(settings.database_path)


def sqlite_version(path: Path) -> int:
    """The applied schema version of a SQLite file, read without changing it (0 when it does not exist)."""
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        found = db.execute("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'").fetchone()
        if found is None:
            return 0
        return int(db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0])


async def _migrate(settings: Settings) -> int:
    repo = await open_repository(settings)  # opening applies pending migrations
    try:
        return await repo.schema_version()
    finally:
        await repo.close()


def _cmd_copy(args: argparse.Namespace) -> int:
    if not args.source.startswith("sqlite:") or not is_postgres_url(args.target):
        print("Use --from sqlite:PATH --to postgresql://user:password@host/db", file=sys.stderr)
        return 2
    source = Path(args.source.removeprefix("sqlite:"))
    if not source.is_file():
        print(f"There is no SQLite file at {source}.", file=sys.stderr)
        return 2
    try:
        copied = asyncio.run(copy_sqlite_to_postgres(source, args.target))
    except CopyError as exc:
        print(exc, file=sys.stderr)
        return 1
    for table, count in copied.items():
        print(f"{table}: {count} row(s)")
    print(f"copied {sum(copied.values())} row(s) in {len(copied)} table(s)")
    return 0


async def copy_sqlite_to_postgres(source: Path, target_url: str) -> dict[str, int]:
    """Open both databases (migrating each to the newest schema) and copy every row."""
    sqlite_repo = await SqliteRepository.open(source)
    try:
        pg_repo = await PostgresRepository.open(target_url)
        try:
            return await copy_database(sqlite_repo, pg_repo)
        finally:
            await pg_repo.close()
    finally:
        await sqlite_repo.close()
