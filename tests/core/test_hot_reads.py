"""The answer path's memory: only open rounds are kept, the oldest go first, settings expire."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.hot_reads import Expiring, OpenRounds
from bot.models import Round, RoundKind, Target

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
HERE = Target(platform="console", workspace="console", channel="study")


def round_(n: int, closed: bool = False) -> Round:
    return Round(
        id=n,
        kind=RoundKind.QOTD,
        target=HERE,
        owner=None,
        question_ids=["q"],
        opened_at=T0,
        closes_at=None,
        closed_at=T0 if closed else None,
    )


def test_only_open_rounds_are_kept_and_the_least_recently_used_go_first() -> None:
    rounds = OpenRounds(limit=2)
    rounds.keep(round_(1))
    rounds.keep(round_(2, closed=True))
    assert rounds.get(2) is None
    rounds.keep(round_(3))
    assert rounds.get(1) is not None  # used: 3 is now the least recently used
    rounds.keep(round_(4))
    assert [rounds.get(n) is not None for n in (1, 3, 4)] == [True, False, True]
    rounds.keep(round_(1, closed=True))  # seen closed: forgotten
    assert rounds.get(1) is None
    rounds.drop(4)
    assert rounds.get(4) is None


def test_settings_are_fresh_for_their_ttl_then_read_again() -> None:
    now = [100.0]
    values: Expiring[str] = Expiring(ttl=5, now=lambda: now[0])
    values.put("ch", "UTC")
    now[0] = 104.9
    assert values.get("ch") == "UTC"
    now[0] = 105.0
    assert values.get("ch") is None
    values.put("ch", "Europe/Berlin")
    values.clear()
    assert values.get("ch") is None
