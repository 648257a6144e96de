"""Front-door records in the Repository: installations per workspace and processed delivery ids (migration 0002)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.storage.sqlite import SqliteRepository

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
KEEP = timedelta(hours=1)


async def test_installations_are_stored_replaced_and_found_per_platform_workspace_and_member(
    repo: SqliteRepository,
) -> None:
    assert await repo.find_installation("slack", "T1") is None
    await repo.save_installation("slack", "T1", "", '{"v": 1}', T0)
    await repo.save_installation("slack", "T1", "", '{"v": 2}', T0 + KEEP)  # a reinstall replaces the record
    await repo.save_installation("slack", "T1", "U1", '{"member": true}', T0)
    await repo.save_installation("other", "T1", "", '{"elsewhere": true}', T0)
    assert await repo.find_installation("slack", "T1") == '{"v": 2}'
    assert await repo.find_installation("slack", "T1", "U1") == '{"member": true}'
    assert await repo.find_installation("other", "T1") == '{"elsewhere": true}'
    assert await repo.find_installation("slack", "T2") is None


async def test_installations_are_deleted_one_member_or_a_whole_workspace(repo: SqliteRepository) -> None:
    for workspace, user in (("T1", ""), ("T1", "U1"), ("T1", "U2"), ("T2", "")):
        await repo.save_installation("slack", workspace, user, "{}", T0)
    assert await repo.delete_installations("slack", "T1", "U1") == 1
    assert await repo.find_installation("slack", "T1", "U1") is None
    assert await repo.find_installation("slack", "T1", "U2") == "{}"
    assert await repo.delete_installations("slack", "T1") == 2
    assert await repo.find_installation("slack", "T1") is None
    assert await repo.find_installation("slack", "T2") == "{}"
    assert await repo.delete_installations("slack", "T404") == 0


async def test_an_event_id_is_claimed_once_even_by_concurrent_deliveries(repo: SqliteRepository) -> None:
    claims = await asyncio.gather(*(repo.claim_event("slack:Ev1", T0, KEEP) for _ in range(5)))
    assert sorted(claims) == [False, False, False, False, True]
    assert await repo.claim_event("slack:Ev2", T0, KEEP)
    assert not await repo.claim_event("slack:Ev1", T0 + timedelta(minutes=59), KEEP)


async def test_old_event_ids_are_forgotten_after_the_keep_time(repo: SqliteRepository) -> None:
    assert await repo.claim_event("slack:Ev1", T0, KEEP)
    assert await repo.claim_event("slack:Ev2", T0 + timedelta(minutes=30), KEEP)
    # an hour and a minute later Ev1 is gone (a delivery that late is a new event to us), Ev2 is still known
    later = T0 + KEEP + timedelta(minutes=1)
    assert await repo.claim_event("slack:Ev1", later, KEEP)
    assert not await repo.claim_event("slack:Ev2", later, KEEP)
    async with repo._db.execute("SELECT COUNT(*) FROM seen_events") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == 2
