"""Scheduled posts on Slack: `/quiz schedule …`, slot metadata on each card, history checked before a retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.schedules import POSTED, SENDING, slot_key
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository
from tests.adapters.slack.conftest import BOB, CHANNEL, ROOT, SlackSender
from tests.adapters.slack.fake_slack import Call, FakeSlack
from tests.conftest import FakeScheduler, FixedClock

DUE = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def cards(fake: FakeSlack) -> list[Call]:
    """chat.postMessage calls that carried a scheduled card (notices have no metadata)."""
    return [c for c in fake.calls_to("chat.postMessage") if "metadata" in c.args]


async def replies(fake: FakeSlack, count: int) -> list[dict[str, Any]]:
    return [c.json or {} for c in await fake.wait_for("response_url", count)]


async def test_schedule_command_and_posts_carry_the_slot_in_metadata(
    fake: FakeSlack, slack: SlackSender, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    await slack.command("schedule add drill at:09:30 tz:UTC count:2", user=BOB)
    (refused,) = await replies(fake, 1)
    assert refused["text"] == "Sorry, only an admin can change schedules."
    await slack.command("schedule add drill at:09:30 tz:UTC count:2 mention:<!here>", user=ROOT)
    added = (await replies(fake, 2))[1]
    assert added["text"].startswith("Schedule 1 is set.") and "mentions <!here>" in added["text"]

    clock.current = DUE
    await scheduler.run_due(clock.now())
    first, second = cards(fake)
    slot = slot_key(1, DUE)
    assert [c.args["metadata"] for c in (first, second)] == [
        {"event_type": "quizbot_post", "event_payload": {"slot": f"{slot}:{n}"}} for n in (1, 2)
    ]
    assert first.args["channel"] == CHANNEL and first.args["text"].startswith("<!here> Drill · question 1 of 2")
    assert not second.args["text"].startswith("<!here>")  # one ping per drill
    assert any(b.get("type") == "actions" for b in first.args["blocks"])  # answer buttons

    await slack.command("schedule next 1", user=ROOT)
    listing = (await replies(fake, 3))[2]
    assert "<!date^" in listing["blocks"][1]["text"]["text"]  # each reader sees their own timezone


async def test_a_claimed_slot_whose_message_exists_is_not_posted_again(
    fake: FakeSlack,
    slack: SlackSender,
    clock: FixedClock,
    scheduler: FakeScheduler,
    repo: SqliteRepository,
    slack_service: QuizService,
) -> None:
    await slack.command("schedule add qotd at:09:30 tz:UTC", user=ROOT)
    await replies(fake, 1)
    clock.current = DUE
    await scheduler.run_due(clock.now())
    (posted,) = cards(fake)
    slot = await repo.get_slot(1, DUE)
    assert slot is not None and slot.round_id is not None
    original_ref = f"{CHANNEL}:{posted_ts(fake, posted)}"
    # A crash after Slack took the card but before the database recorded it: the slot is left `sending`.
    await repo._db.execute("DELETE FROM round_messages WHERE round_id = ?", (slot.round_id,))
    await repo.set_slot_state(1, DUE, SENDING, DUE)
    await repo._db.execute("UPDATE schedule_slots SET claimed_by = 'dead' WHERE schedule_id = 1")
    clock.current = DUE + timedelta(minutes=2)
    await slack_service.schedules.fire(1, DUE)
    (history,) = fake.calls_to("conversations.history")
    assert history.args["channel"] == CHANNEL and history.args["include_all_metadata"] in (True, "true", "1")
    assert len(cards(fake)) == 1  # found by its metadata: not posted again
    again = await repo.get_slot(1, DUE)
    assert again is not None and again.state == POSTED and again.message_ref == original_ref
    assert await repo.message_refs(slot.round_id) == [original_ref]


async def test_a_slot_whose_card_never_arrived_is_posted_on_retry(
    fake: FakeSlack,
    slack: SlackSender,
    clock: FixedClock,
    scheduler: FakeScheduler,
    repo: SqliteRepository,
    slack_service: QuizService,
) -> None:
    await slack.command("schedule add qotd at:09:30 tz:UTC", user=ROOT)
    await replies(fake, 1)
    # A crash after `sending` was recorded but before Slack got the card.
    won, _ = await repo.claim_slot(1, DUE, "dead", DUE, timedelta(seconds=60))
    assert won
    await repo.set_slot_state(1, DUE, SENDING, DUE)
    clock.current = DUE + timedelta(minutes=2)
    await slack_service.schedules.fire(1, DUE)
    assert len(fake.calls_to("conversations.history")) == 1 and len(cards(fake)) == 1


@pytest.mark.allow_logs("paused after a failed post", "could not tell the admins")
async def test_an_archived_channel_pauses_the_schedule(
    fake: FakeSlack, slack: SlackSender, clock: FixedClock, scheduler: FakeScheduler, repo: SqliteRepository
) -> None:
    await slack.command("schedule add qotd at:09:30 tz:UTC", user=ROOT)
    await replies(fake, 1)
    fake.fail_next("chat.postMessage", "is_archived")
    clock.current = DUE
    await scheduler.run_due(clock.now())
    sched = await repo.get_schedule(1)
    assert sched is not None and sched.paused and sched.pause_reason == "Slack answered is_archived"


def posted_ts(fake: FakeSlack, call: Call) -> str:
    (ts,) = [ts for (channel, ts), m in fake.messages.items() if channel == CHANNEL and m.get("metadata")]
    return ts
