"""What the answer path would otherwise read from the database on every click: open rounds and channel settings.

A burst of answers to one question of the day reads the same round and the same settings thousands of times. Both
are kept here, per service, and neither cache can make a wrong write:
- a round is kept only while open, and the answer's insert checks in the same statement that the round is still
  open, so a round closed by another process takes no answers even while it is cached here;
- settings live for `SETTINGS_TTL` seconds (a change made through this service drops them at once), so a change
  made by another process is seen within that time.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from bot.models import Round

ROUNDS_KEPT = 10_000
SETTINGS_KEPT = 10_000  # channels; past this, expired entries are dropped before a new one is kept
SETTINGS_TTL = 5.0  # seconds

V = TypeVar("V")


class OpenRounds:
    """Open rounds by id, the least recently used dropped beyond `limit`."""

    def __init__(self, limit: int = ROUNDS_KEPT) -> None:
        self._rounds: OrderedDict[int, Round] = OrderedDict()
        self._limit = limit

    def get(self, round_id: int) -> Round | None:
        """The cached round, if it is kept."""
        rnd = self._rounds.get(round_id)
        if rnd is not None:
            self._rounds.move_to_end(round_id)
        return rnd

    def keep(self, rnd: Round) -> None:
        """Remember an open round (a closed one is never kept)."""
        if not rnd.is_open:
            self.drop(rnd.id)
            return
        self._rounds[rnd.id] = rnd
        self._rounds.move_to_end(rnd.id)
        while len(self._rounds) > self._limit:
            self._rounds.popitem(last=False)

    def drop(self, round_id: int) -> None:
        """Forget a round (it closed)."""
        self._rounds.pop(round_id, None)


class Expiring(Generic[V]):
    """Values by key, each good for `ttl` seconds of the monotonic clock."""

    def __init__(self, ttl: float = SETTINGS_TTL, now: Callable[[], float] = time.monotonic) -> None:
        self._values: dict[str, tuple[float, V]] = {}
        self._ttl = ttl
        self._now = now

    def get(self, key: str) -> V | None:
        """The value if it is still fresh."""
        found = self._values.get(key)
        if found is None or found[0] <= self._now():
            return None
        return found[1]

    def put(self, key: str, value: V) -> None:
        """Keep a value for `ttl` seconds."""
        if len(self._values) >= SETTINGS_KEPT:
            self._values = {k: v for k, v in self._values.items() if v[0] > self._now()}
        self._values[key] = (self._now() + self._ttl, value)

    def clear(self) -> None:
        """Forget every value (a setting changed)."""
        self._values.clear()
