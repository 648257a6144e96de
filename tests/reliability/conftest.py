"""Helpers for the reliability tests: row counts of every table (to prove that refused input wrote nothing)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def row_counts(path: Path) -> dict[str, int]:
    """Rows per table of a SQLite file (read on a second connection, so only committed rows count)."""
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
