"""Study plans on Slack: `/quiz plan …` through signed requests, and the weekly recap posted to the channel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.adapters.slack.conftest import BOB, CHANNEL, ROOT, SlackSender
from tests.adapters.slack.fake_slack import FakeSlack
from tests.conftest import FakeScheduler, FixedClock


async def replies(fake: FakeSlack, count: int) -> list[dict[str, Any]]:
    return [c.json or {} for c in await fake.wait_for("response_url", count)]


def reply_text(reply: dict[str, Any]) -> str:
    blocks = reply.get("blocks") or []
    return "\n".join([reply.get("text", "")] + [str(b.get("text", {}).get("text", "")) for b in blocks])


async def test_plan_commands_and_the_weekly_recap(
    fake: FakeSlack, slack: SlackSender, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    await slack.command("plan start weeks:6 exam-date:2027-01-04", user=BOB)
    (refused,) = await replies(fake, 1)
    assert refused["text"] == "Sorry, only an admin can start, edit or stop the study plan."
    await slack.command("plan start weeks:8 exam-date:2027-01-18", user=ROOT)
    started = reply_text((await replies(fake, 2))[1])
    assert "Study plan: 8 weeks to the exam on Mon 18 Jan 2027 (56 days left)" in started
    assert "▶ Week 1 (from Mon 23 Nov):" in started
    await slack.command("plan edit task:4.3 week:2", user=ROOT)
    assert "Task 4.3 moved to week 2." in reply_text((await replies(fake, 3))[2])
    await slack.command("plan me", user=BOB)
    assert "Practice exams taken: 0 (0 full)" in reply_text((await replies(fake, 4))[3])

    clock.current = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    await scheduler.run_due(clock.now())
    recaps = [
        c.args
        for c in fake.calls_to("chat.postMessage")
        if str(c.args.get("text", "")).startswith("Weekly recap") and c.args.get("channel") == CHANNEL
    ]
    assert len(recaps) == 1 and "plan week 1 of 8" in recaps[0]["text"]
    (done,) = fake.calls_to("files.completeUploadExternal")  # the recap's chart, uploaded into the channel
    assert done.args["channel_id"] == CHANNEL and "plan week" in str(done.args.get("initial_comment", ""))
