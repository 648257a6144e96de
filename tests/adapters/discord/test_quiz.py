"""Solo quizzes and the other member commands on Discord, end to end against a local fake Discord."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from adapters.discord.commands import STALE_COMMAND
from bot.bank import Bank
from tests.adapters.discord.conftest import (
    BOB,
    assert_nothing_left_running,
    components,
    custom_ids,
    embed_of,
    ephemeral,
    question_of,
    running_bot,
)
from tests.adapters.discord.fake_discord import ADMIN_PERMISSIONS, FakeDiscord
from tests.conftest import FakeScheduler, FixedClock

TASK_1_1 = [{"name": "count", "type": 4, "value": 3}, {"name": "task", "type": 3, "value": "1.1"}]


async def test_solo_quiz_gives_feedback_after_each_answer_and_a_summary(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    discord_problems: Callable[[], list[str]],
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        interaction, callback = await bot.command("quiz", TASK_1_1)
        assert callback["type"] == 4
        assert callback["data"]["flags"] == 64  # private
        message = fake.original_response(interaction)
        seen_menu = False
        for number in (1, 2, 3):
            shown = embed_of(message)
            assert shown["title"] == f"Quiz · question {number} of 3"
            question = question_of(message, bank)
            assert question.task == "1.1"
            for letter, option in zip(question.letters, question.options, strict=True):
                assert f"**{letter.upper()}** · {option.text}" in shown["description"]
            assert custom_ids(message)[-1] == "quizstop:1"
            key = "".join(sorted(question.keys))
            if question.choose > 1:
                seen_menu = True
                (menu,) = [c for c in components(message) if c["type"] == 3]
                assert (menu["min_values"], menu["max_values"]) == (question.choose, question.choose)
                assert [o["label"] for o in menu["options"]] == [x.upper() for x in question.letters]
            # The first answer is wrong on purpose.
            picked = key if number > 1 else "".join(sorted(set(question.letters) - set(key)))[: question.choose]
            click, reply = await bot.answer(message, picked)

            assert reply["type"] == 7  # the question becomes its feedback
            assert custom_ids(reply["data"]) == [f"qreport:{question.id}"]  # answered: only Report stays
            feedback = embed_of(reply["data"])
            if number == 1:
                assert feedback["title"] == f"❌ Not quite: the answer is {', '.join(key.upper())}."
            else:
                assert feedback["title"] == "✅ Correct!"
            assert [f["value"] for f in feedback["fields"]] == [
                f"{o.text}\n> {o.explanation}" for o in question.options
            ]
            marked = [f["name"][2] for f in feedback["fields"] if f["name"].endswith("your answer")]
            assert marked == [x.upper() for x in sorted(picked)]

            (message,) = await bot.followups(click, 1)  # the next question, or the summary
            assert message["flags"] == 64
        assert seen_menu  # task 1.1 of the test bank has a choose-two question

        summary = embed_of(message)
        assert summary["title"] == "Quiz finished"
        assert summary["description"].startswith("**2/3 correct** (67%) · 3 questions · ")
        assert [(f["name"], f["value"]) for f in summary["fields"]] == [
            ("1 · Development with AWS Services", "2/3 · 67%")
        ]
        assert message["components"] == []

        _, stats = await bot.command("stats")
        assert stats["data"]["flags"] == 64
        shown = embed_of(stats["data"])
        assert shown["title"] == "Stats for Alice"
        assert shown["description"] == "3 answered, 2 correct (67%)."
    assert discord_problems() == []
    await assert_nothing_left_running()


async def test_stop_button_and_stop_command_end_the_quiz(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        interaction, _ = await bot.command("quiz", [{"name": "count", "type": 4, "value": 2}])
        message = fake.original_response(interaction)
        stale = copy.deepcopy(message)
        _, reply = await bot.click(message, "quizstop:1")
        assert reply["type"] == 7
        assert reply["data"]["components"] == []
        assert embed_of(reply["data"])["title"] == "Quiz ended early"
        assert embed_of(reply["data"])["description"].startswith("**0/0 correct** (-) · 2 questions")

        _, late = await bot.answer(stale, "a")
        assert late == ephemeral("This round is closed, so answers are no longer taken.")
        _, none = await bot.command("stop")
        assert none == ephemeral("You have no quiz running; start one with `quiz`.")

        interaction, _ = await bot.command("quiz", [{"name": "count", "type": 4, "value": 2}])
        message = fake.original_response(interaction)
        question = question_of(message, bank)
        click, _ = await bot.answer(message, "".join(sorted(question.keys)))
        await bot.followups(click, 1)
        _, stopped = await bot.command("stop")
        assert stopped["data"]["flags"] == 64
        shown = embed_of(stopped["data"])
        assert shown["title"] == "Quiz ended early"
        assert shown["description"].startswith("**1/1 correct** (100%) · 2 questions")
    await assert_nothing_left_running()


async def test_quiz_controls_belong_to_their_member_and_their_order(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        interaction, _ = await bot.command("quiz", TASK_1_1)
        message = fake.original_response(interaction)
        stale = copy.deepcopy(message)
        question = question_of(message, bank)
        key = "".join(sorted(question.keys))

        _, foreign = await bot.answer(stale, key, user_id=BOB, username="bob")
        assert foreign == ephemeral("This quiz belongs to another member; start your own with `quiz`.")
        click, _ = await bot.answer(message, key)
        (following,) = await bot.followups(click, 1)
        _, twice = await bot.answer(stale, key)
        assert twice == ephemeral(
            f"You already answered this question ({', '.join(key.upper())}); the first answer stands."
        )
        assert custom_ids(following)[0].startswith("quiz:1:2:")

        _, bad = await bot.command(
            "quiz", [{"name": "domain", "type": 3, "value": "2"}, {"name": "task", "type": 3, "value": "1.1"}]
        )
        assert bad == ephemeral("Task 1.1 is not in domain 2.")
    await assert_nothing_left_running()


async def test_task_autocomplete_follows_what_was_typed_and_the_domain(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        typed = fake.autocomplete("quiz", options=[{"name": "task", "type": 3, "value": "lamb", "focused": True}])
        await fake.send_interaction(typed)
        assert (await fake.wait_for_callback(typed)).json == {
            "type": 8,
            "data": {"choices": [{"name": "1.2 Develop code for AWS Lambda", "value": "1.2"}]},
        }
        in_domain = fake.autocomplete(
            "quiz",
            options=[
                {"name": "domain", "type": 3, "value": "3"},
                {"name": "task", "type": 3, "value": "", "focused": True},
            ],
        )
        await fake.send_interaction(in_domain)
        choices = (await fake.wait_for_callback(in_domain)).json["data"]["choices"]
        assert [c["value"] for c in choices] == ["3.1", "3.2", "3.3", "3.4"]
        assert bot.door.client.handlers.service is bot.service
    await assert_nothing_left_running()


async def test_stats_of_another_member_help_and_leaderboard(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        interaction, _ = await bot.command("qotd")
        card = fake.original_response(interaction)
        _, ack = await bot.answer(card, "".join(sorted(question_of(card, bank).keys)), user_id=BOB, username="bob")
        assert ack["data"]["content"].startswith("Recorded your answer"), ack
        _, board = await bot.command("leaderboard")
        assert "flags" not in board["data"]  # public
        assert embed_of(board["data"])["description"].startswith("No points yet")  # QOTD counts at the reveal
        await bot.command("quizadmin", [{"type": 1, "name": "reveal", "options": []}], permissions=ADMIN_PERMISSIONS)

        _, theirs = await bot.command(
            "stats",
            [{"name": "member", "type": 6, "value": str(BOB)}],
            resolved=fake.resolved_member(BOB, "bob"),
        )
        shown = embed_of(theirs["data"])
        assert shown["title"] == "Stats for Bob"
        assert shown["description"] == "1 answered, 1 correct (100%)."
        assert theirs["data"]["flags"] == 64

        _, mine = await bot.command("stats")
        assert embed_of(mine["data"])["description"] == "0 answered, 0 correct (-)."

        _, board = await bot.command("leaderboard")
        assert embed_of(board["data"])["description"] == "**1.** Bob · 10 pts · 100% · 1 answered"

        _, help_reply = await bot.command("help")
        assert help_reply["data"]["flags"] == 64
        lines = embed_of(help_reply["data"])["description"].splitlines()
        assert lines[0].startswith("`/help` · ")
        assert any(line.startswith("`/quizadmin reveal` · ") and line.endswith("(Manage Server)") for line in lines)
    await assert_nothing_left_running()


async def test_outdated_commands_get_a_polite_answer(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        _, unknown = await bot.command("duel")  # removed, or not yet synced to this member's client
        assert unknown == {
            "type": 4,
            "data": {"tts": False, "content": STALE_COMMAND, "flags": 64},
        }
        _, mismatch = await bot.command("quizadmin", [{"type": 1, "name": "nuke", "options": []}])
        assert mismatch == unknown
        _, out_of_range = await bot.command("quiz", [{"name": "count", "type": 4, "value": 99}])
        assert out_of_range["data"]["content"] == "A quiz has 1 to 65 questions; you asked for 99."  # the core checks
        assert out_of_range["data"]["flags"] == 64
    await assert_nothing_left_running()
