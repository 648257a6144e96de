"""A stand-in bot process for the leadership test: leads schedules when it holds the lock, posts slots once."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from bot.leader import LeaderGate, lead_schedules
from bot.models import RoundKind, Target
from bot.storage.postgres import PostgresRepository

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


class NoScheduler:
    def at(self, when: datetime, job_id: str, call: object) -> None:
        pass

    def cancel(self, job_id: str) -> None:
        pass


async def main(url: str, name: str) -> None:
    repo = await PostgresRepository.open(url)
    gate = LeaderGate(NoScheduler())

    async def arm() -> None:
        print(f"LEADER {name}", flush=True)
        for n in range(3):  # the slots every leader posts: the slot key keeps each one a single round
            await repo.create_round(
                RoundKind.QOTD, Target(platform="p", workspace="w", channel="c"), None, ["q"], T0, None, f"tick:{n}"
            )
        print(f"POSTED {name}", flush=True)

    print(f"READY {name}", flush=True)
    await lead_schedules(repo.try_lead, gate, arm, asyncio.Event(), interval=0.1, resync=3600)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
