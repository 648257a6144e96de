"""Scheduled posts on Discord: `/quizadmin schedule`, nonce + enforce_nonce on each post, no double post on retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.bank import Bank
from bot.schedules import SENDING, slot_key
from tests.adapters.discord.conftest import BOB, embed_of, running_bot, until
from tests.adapters.discord.fake_discord import ADMIN_PERMISSIONS, FakeDiscord, Json
from tests.conftest import FakeScheduler, FixedClock

CHANNEL = 3333333333333333333
DUE = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def schedule(action: str, *options: tuple[str, str | int, int]) -> list[Json]:
    """`/quizadmin schedule <action> …` as Discord sends it: a subcommand inside a subcommand group."""
    values = [{"name": n, "type": t, "value": v} for n, v, t in options]
    return [{"type": 2, "name": "schedule", "options": [{"type": 1, "name": action, "options": values}]}]


def posts(fake: FakeDiscord) -> list[Json]:
    """Cards posted to the channel (notices, such as the bank running low, are plain text)."""
    return [
        r.json for r in fake.find_requests("POST", rf"/channels/{CHANNEL}/messages") if r.json and r.json.get("embeds")
    ]


def notices(fake: FakeDiscord) -> list[str]:
    return [
        r.json["content"]
        for r in fake.find_requests("POST", rf"/channels/{CHANNEL}/messages")
        if r.json and not r.json.get("embeds")
    ]


async def test_admin_schedules_a_drill_and_each_card_goes_out_with_its_slot_as_nonce(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        add = schedule("add", ("kind", "drill", 3), ("at", "09:30", 3), ("timezone", "UTC", 3), ("count", 2, 4))
        _, refused = await bot.command("quizadmin", add, user_id=BOB, username="bob")
        assert refused["data"]["content"] == "Sorry, only an admin can change schedules."
        _, done = await bot.command("quizadmin", add, permissions=ADMIN_PERMISSIONS)
        assert embed_of(done["data"])["title"] == "Schedule 1 is set."
        assert done["data"]["flags"] == 64  # private to the admin

        clock.current = DUE
        await scheduler.run_due(clock.now())
        sent = posts(fake)
        slot = slot_key(1, DUE)
        assert [(p["nonce"], p["enforce_nonce"]) for p in sent] == [(f"{slot}:1", True), (f"{slot}:2", True)]
        assert [embed_of(p)["title"] for p in sent] == ["Drill · question 1 of 2", "Drill · question 2 of 2"]
        assert all(p["components"] for p in sent)  # answer buttons under each card
        assert notices(fake)[0].startswith("Admins: only 3 question(s) of the bank")  # the mini bank has 5
        refs = await bot.repo.message_refs(1)
        assert len(refs) == 2 and all(r.startswith(f"{CHANNEL}:") for r in refs)

        _, listing = await bot.command("quizadmin", schedule("list"), permissions=ADMIN_PERMISSIONS)
        field = embed_of(listing["data"])["fields"][0]
        assert field["name"] == "#1 · Drill · 09:30 daily UTC" and "2 questions" in field["value"]
        _, nxt = await bot.command("quizadmin", schedule("next", ("id", 1, 4)), permissions=ADMIN_PERMISSIONS)
        assert embed_of(nxt["data"])["description"].splitlines()[0] == "Tue 24 Nov 09:30 UTC"


async def test_a_claimed_slot_whose_message_exists_is_not_posted_again(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        add = schedule("add", ("kind", "qotd", 3), ("at", "09:30", 3), ("timezone", "UTC", 3))
        await bot.command("quizadmin", add, permissions=ADMIN_PERMISSIONS)
        clock.current = DUE
        await scheduler.run_due(clock.now())
        (first,) = posts(fake)
        # Pretend the process died after Discord created the message but before the database recorded it.
        posted = await bot.repo.get_slot(1, DUE)
        assert posted is not None and posted.round_id is not None
        round_id = posted.round_id
        await bot.repo._db.execute("DELETE FROM round_messages WHERE round_id = ?", (round_id,))
        await bot.repo.set_slot_state(1, DUE, SENDING, DUE)
        await bot.repo._db.execute("UPDATE schedule_slots SET claimed_by = 'dead' WHERE schedule_id = 1")
        clock.current = DUE + timedelta(minutes=2)  # the dead holder's lease is over; still within the grace
        await bot.service.schedules.fire(1, DUE)
        await until(lambda: len(posts(fake)) == 2, "the retry")
        retry = posts(fake)[1]
        assert retry["nonce"] == first["nonce"] == slot_key(1, DUE)
        assert len([m for m in fake.messages.values() if m.get("nonce") == first["nonce"]]) == 1  # one message
        slot = await bot.repo.get_slot(1, DUE)
        assert slot is not None and slot.state == "posted"
        assert await bot.repo.message_refs(round_id) == [f"{CHANNEL}:{fake.nonces[(CHANNEL, first['nonce'])]}"]


async def test_a_lost_channel_pauses_the_schedule(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        add = schedule("add", ("kind", "qotd", 3), ("at", "09:30", 3), ("timezone", "UTC", 3))
        await bot.command("quizadmin", add, permissions=ADMIN_PERMISSIONS)
        fake.forbidden_channels.add(CHANNEL)
        clock.current = DUE
        await scheduler.run_due(clock.now())
        sched = await bot.repo.get_schedule(1)
        assert sched is not None and sched.paused and "403" in (sched.pause_reason or "")
        assert "sched:1" not in scheduler.jobs
