"""Progress on Discord, end to end against the local fake: stats with readiness, chart attachments, review, boards."""

from __future__ import annotations

from pathlib import Path

from bot.bank import Bank
from tests.adapters.discord.conftest import (
    BOB,
    assert_nothing_left_running,
    embed_of,
    question_of,
    running_bot,
)
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.conftest import FakeScheduler, FixedClock

PNG = b"\x89PNG\r\n\x1a\n"


async def test_stats_show_readiness_and_a_chart_arrives_as_a_png_attachment(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        interaction, _ = await bot.command("quiz", [{"name": "count", "type": 4, "value": 1}])
        card = fake.original_response(interaction)
        await bot.answer(card, "".join(sorted(question_of(card, bank).keys)))

        _, stats = await bot.command("stats")
        fields = {f["name"]: f["value"] for f in embed_of(stats["data"])["fields"]}
        assert "not AWS's scaling" in fields["Readiness estimate"]
        assert fields["Streak and trend"].startswith("Streak 1 day(s) · best 1")

        chart = fake.slash_command("stats", options=[{"name": "chart", "type": 3, "value": "domains"}])
        await fake.send_interaction(chart)
        sent = await fake.wait_for_callback(chart)
        assert sent.json["data"]["flags"] == 64  # private, like the stats
        assert sent.json["data"]["content"].startswith("Accuracy by domain for")
        (png,) = sent.files.values()
        assert png.startswith(PNG) and len(png) > 5_000
        assert sent.json["data"]["attachments"][0]["filename"].endswith(".png")
    await assert_nothing_left_running()


async def test_review_drill_and_the_opt_in_global_board(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        _, review = await bot.command("review", [{"name": "count", "type": 4, "value": 2}])
        assert review["data"]["flags"] == 64
        assert review["data"]["content"].startswith("Review: 0 card(s) due today")
        assert embed_of(review["data"])["title"] == "Quiz · question 1 of 2"

        _, drill = await bot.command("drill")
        assert drill["data"]["content"].startswith("Drill on your weakest tasks")

        _, board = await bot.command("leaderboard", [{"name": "scope", "type": 3, "value": "global"}])
        assert "optin global" in embed_of(board["data"])["description"]
        _, joined = await bot.command("optin", user_id=BOB, username="bob")
        assert joined["data"]["flags"] == 64
        assert "You are on the global leaderboard now" in embed_of(joined["data"])["description"]
        _, paged = await bot.command(
            "leaderboard",
            [{"name": "period", "type": 3, "value": "season"}, {"name": "page", "type": 4, "value": 3}],
        )
        assert embed_of(paged["data"])["title"] == "Leaderboard: this channel, this season"
    await assert_nothing_left_running()
