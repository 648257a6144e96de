"""Practice exams on Discord, end to end: `/exam` opens a DM, the exam runs there on its controls, then the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.bank import default_bank_dir, load_bank
from bot.models import Question, UserRef
from tests.adapters.discord.conftest import (
    ALICE,
    BOB,
    Bot,
    assert_nothing_left_running,
    components,
    custom_ids,
    embed_of,
    running_bot,
    until,
)
from tests.adapters.discord.fake_discord import FakeDiscord, Json
from tests.conftest import FakeScheduler, FixedClock

FULL_BANK = load_bank(default_bank_dir())
SHORT = [{"name": "action", "type": 3, "value": "short"}]


def dm_message(fake: FakeDiscord) -> Json:
    """The exam's message in the member's DM (the bot posts exactly one there per exam start)."""
    dm = fake.dm_channels[ALICE]
    (message,) = [m for m in fake.messages.values() if m["channel_id"] == str(dm) and m.get("embeds")]
    return message


def shown_question(message: Json) -> Question:
    """The bank question an exam message shows, found by its stem."""
    description = embed_of(message)["description"]
    found = [q for q in FULL_BANK.questions.values() if q.stem in description]
    assert len(found) == 1
    return found[0]


async def answer(bot: Bot, message: Json, letters: str) -> Json:
    """Answer the question an exam message shows (buttons, or the menu for choose-N), in the DM; the new message."""
    menus = [c for c in components(message) if c["type"] == 3 and ":a:" in c["custom_id"]]
    if menus:
        _, reply = await bot.choose(message, menus[0]["custom_id"], sorted(letters), in_guild=False)
    else:
        prefix = next(i for i in custom_ids(message) if ":a:" in i).rstrip("abcdef")
        _, reply = await bot.click(message, prefix + letters, in_guild=False)
    assert reply["type"] == 7, reply
    return {**message, **reply["data"]}


async def click(bot: Bot, message: Json, action: str, **kwargs: object) -> Json:
    """Click the exam control whose id has this action; returns the updated message."""
    (custom_id,) = [i for i in custom_ids(message) if i.split(":")[2] == action]
    _, reply = await bot.click(message, custom_id, in_guild=False, **kwargs)  # type: ignore[arg-type]
    assert reply["type"] == 7, reply
    return {**message, **reply["data"]}


async def test_a_short_exam_runs_in_the_dm_with_navigation_flags_review_and_the_paged_report(
    fake: FakeDiscord,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    discord_problems: Callable[[], list[str]],
) -> None:
    async with running_bot(fake, FULL_BANK, clock, scheduler, tmp_path) as bot:
        _, pointer = await bot.command("exam", SHORT)
        assert pointer["data"]["flags"] == 64
        assert pointer["data"]["content"].startswith("Your exam is in your direct messages with me: https://")
        message = dm_message(fake)
        shown = embed_of(message)
        assert shown["title"] == "Short practice exam · question 1 of 20"
        assert shown["description"].startswith("Time left: **40 min 00 s**")
        ids = custom_ids(message)
        assert {"exam:1:p:1", "exam:1:n:1", "exam:1:f:1", "exam:1:r:1", "exam:1:s:1", "exam:1:g:"} <= set(ids)
        jump = next(c for c in components(message) if c["custom_id"] == "exam:1:g:")
        assert len(jump["options"]) == 20

        first = shown_question(message)
        wrong = "".join(sorted(set(first.letters) - first.keys))[: first.choose]
        message = await answer(bot, message, wrong)
        assert embed_of(message)["title"] == "Short practice exam · question 2 of 20"
        assert embed_of(message)["description"].startswith(f"*Saved {', '.join(wrong.upper())} for question 1.*")
        message = await click(bot, message, "f")
        assert embed_of(message)["title"] == "Short practice exam · question 2 of 20 · 🚩 flagged"
        message = await click(bot, message, "p")
        assert f"Your answer: **{', '.join(wrong.upper())}**" in embed_of(message)["description"]
        key = "".join(sorted(first.keys))
        message = await answer(bot, message, key)  # changed
        _, reply = await bot.choose(message, "exam:1:g:", ["20"], in_guild=False)
        message = {**message, **reply["data"]}
        assert embed_of(message)["title"] == "Short practice exam · question 20 of 20"
        last = shown_question(message)
        message = await answer(bot, message, "".join(sorted(last.keys)))
        review = embed_of(message)
        assert review["title"] == "Short practice exam · review"
        assert "Unanswered: 2-19" in review["description"] and "Flagged: 2" in review["description"]
        alice = UserRef(platform="discord", user_id=str(ALICE), name="Alice")
        assert (await bot.service.stats(alice)).answered == 0  # drafts are not answers

        message = await click(bot, message, "s")
        assert "Submit now?" in embed_of(message)["description"]
        _, foreign = await bot.click(message, "exam:1:c:20", in_guild=False, user_id=BOB, username="bob")
        assert foreign["data"]["content"] == "That exam is not available here."  # Bob's DM is another channel
        message = await click(bot, message, "c")
        report = embed_of(message)
        assert report["title"] == "Short practice exam · report"
        assert "**Estimated score: " in report["description"] and "pass mark 720 · **FAIL**" in report["description"]
        assert "2 of 20 correct · 2 answered" in report["description"]
        assert all(f["value"].endswith("needs improvement") for f in report["fields"])

        message = await click(bot, message, "rp")  # the summary's one button: question 1
        page = embed_of(message)
        assert page["title"] == "✅ Question 1 of 20"
        assert [f["value"] for f in page["fields"]] == [f"{o.text}\n> {o.explanation}" for o in first.options]
        (following,) = [i for i in custom_ids(message) if i == "exam:1:rp:2"]
        _, reply = await bot.click(message, following, in_guild=False)
        message = {**message, **reply["data"]}
        assert embed_of(message)["title"].endswith("Question 2 of 20 · flagged")

        _, history = await bot.command("exam", [{"name": "action", "type": 3, "value": "history"}])
        assert history["data"]["flags"] == 64
        assert " · short · **" in embed_of(history["data"])["description"]
    assert discord_problems() == []
    await assert_nothing_left_running()


async def test_the_deadline_turns_the_dm_message_into_the_report(
    fake: FakeDiscord, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, FULL_BANK, clock, scheduler, tmp_path) as bot:
        await bot.command("exam", SHORT)
        message = dm_message(fake)
        question = shown_question(message)
        await answer(bot, message, "".join(sorted(question.keys)))
        clock.advance(minutes=40)
        assert await scheduler.run_due(clock.now()) == ["exam:1"]
        await until(lambda: "report" in (embed_of(dm_message(fake)).get("title") or ""), "the report replaces the exam")
        report = embed_of(dm_message(fake))
        assert report["description"].startswith("Time is up: the exam submitted itself.")
        assert "1 of 20 correct · 1 answered" in report["description"]
        _, resumed = await bot.command("exam", [{"name": "action", "type": 3, "value": "resume"}])
        assert resumed["data"]["content"] == "You have no exam running; start one with `exam` or `exam short`."
    await assert_nothing_left_running()
