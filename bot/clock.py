"""The real clock (tests pass their own Clock)."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Aware UTC time from the system."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)
