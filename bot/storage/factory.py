"""Which Repository a deployment uses: PostgreSQL when QUIZBOT_DATABASE_URL names one, the SQLite file otherwise."""

from __future__ import annotations

from bot.settings import Settings
from bot.storage.postgres import PostgresRepository, is_postgres_url
from bot.storage.sqlite import SqliteRepository


def database_url(settings: Settings) -> str | None:
    """The configured postgresql:// URL, or None for the embedded SQLite file."""
    url = settings.database_url.get_secret_value() if settings.database_url is not None else None
    return url if is_postgres_url(url) else None


async def open_repository(settings: Settings) -> SqliteRepository:
    """Open (and migrate) the configured database."""
    url = database_url(settings)
    if url is not None:
        return await PostgresRepository.open(url)
    return await SqliteRepository.open(
        settings.database_path, settings.sqlite_synchronous, group_commit_ms=settings.sqlite_group_commit_ms
    )
