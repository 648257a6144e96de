"""Duels and group rounds on Discord, end to end: a real discord.py client against the local fake Discord."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.bank import Bank
from tests.adapters.discord.conftest import (
    ALICE,
    BOB,
    CAROL,
    Bot,
    assert_nothing_left_running,
    custom_ids,
    embed_of,
    ephemeral,
    question_of,
    refs_of,
    running_bot,
    until,
)
from tests.adapters.discord.fake_discord import FakeDiscord, Json
from tests.conftest import FakeScheduler, FixedClock

CHANNEL = 3333333333333333333


def member_option(fake: FakeDiscord, user_id: int, name: str, *extra: Json) -> dict[str, object]:
    return {
        "options": [{"name": "member", "type": 6, "value": str(user_id)}, *extra],
        "resolved": fake.resolved_member(user_id, name),
    }


def channel_posts(fake: FakeDiscord) -> list[Json]:
    return [m for m in fake.messages.values() if m["channel_id"] == str(CHANNEL) and not m.get("webhook_id")]


def key(bank: Bank, message: Json) -> str:
    return "".join(sorted(question_of(message, bank).keys))


def wrong(bank: Bank, message: Json) -> str:
    q = question_of(message, bank)
    return "".join(sorted(set(q.letters) - q.keys))[: q.choose]


async def board_now(bot: Bot, board: Json, edits: int) -> Json:
    """The duel or round card after the core's `edits`-th edit through the REST API."""
    path = rf"/channels/{CHANNEL}/messages/{board['id']}"
    await until(lambda: len(bot.fake.find_requests("PATCH", path)) >= edits, f"{edits} edits of the card")
    return bot.fake.messages[int(board["id"])]


async def play(bot: Bot, bank: Bank, message: Json, right: bool, **who: object) -> Json:
    """Answer every question of a player's private duel cards; the last reply."""
    reply: Json = {}
    while message.get("components"):
        letters = key(bank, message) if right else wrong(bank, message)
        _, reply = await bot.answer(message, letters, **who)  # type: ignore[arg-type]
        assert reply["type"] == 7, reply  # the answered card is replaced: the next question, or the last word
        message = {**message, **reply["data"]}
    return reply


async def test_a_duel_from_challenge_to_result_with_private_questions_and_ratings(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    discord_problems: Callable[[], list[str]],
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        count = {"name": "count", "type": 4, "value": 2}
        interaction, callback = await bot.command("duel", **member_option(fake, BOB, "bob", count))
        assert callback["type"] == 4 and "flags" not in callback["data"]  # the challenge is public
        board = fake.original_response(interaction)
        await refs_of(bot, 1, 1)  # the core edits this card from now on
        shown = embed_of(board)
        assert shown["title"] == "⚔️ Duel · Alice vs Bob"
        assert "**Bob**, accept or decline <t:" in shown["description"]
        assert custom_ids(board) == ["play:1:accept", "play:1:decline"]

        _, foreign = await bot.click(board, "play:1:accept", user_id=CAROL, username="carol")
        assert foreign == ephemeral("This duel is between two other members; challenge someone with `duel`.")
        bob_int, accepted = await bot.click(board, "play:1:accept", user_id=BOB, username="bob")
        assert accepted["data"]["flags"] == 64  # Bob's first question: only he sees it
        assert accepted["data"]["content"].startswith("Duel on!")
        first = fake.original_response(bob_int)
        assert (
            embed_of(first)["title"] == "Duel · question 1 of 2" and "Time is up <t:" in embed_of(first)["description"]
        )
        board = await board_now(bot, board, 1)
        assert custom_ids(board) == ["play:1:play", "play:1:leave"]

        last = await play(bot, bank, first, right=True, user_id=BOB, username="bob")
        assert "when your opponent is done" in last["data"]["content"]
        alice_int, opened = await bot.click(board, "play:1:play")
        assert opened["data"]["flags"] == 64
        await play(bot, bank, fake.original_response(alice_int), right=False)

        await until(lambda: any("Duel result" in str(m.get("embeds")) for m in channel_posts(fake)), "the result")
        (result,) = [m for m in channel_posts(fake) if "Duel result" in str(m.get("embeds"))]
        embed = embed_of(result)
        assert embed["title"] == "⚔️ Duel result · Alice vs Bob"
        assert embed["description"].startswith("**Bob** wins.")
        assert "rating 1220 (+20) provisional" in embed["description"]
        assert len(embed["fields"]) == 2 and "> **" in embed["fields"][0]["value"]  # the key's explanation
        board = await board_now(bot, board, 2)
        assert "the result is below" in embed_of(board)["description"] and not board.get("components")

        _, ratings = await bot.command("ratings")
        assert (
            embed_of(ratings["data"])["description"].splitlines()[0] == "**1.** Bob · 1220 (provisional) · 1 W 0 L 0 D"
        )
        _, stats = await bot.command("stats")
        rating = {"name": "Duel rating", "value": "1180 (provisional) · 0 W 1 L 0 D", "inline": False}
        assert rating in embed_of(stats["data"])["fields"]  # shown on each member's stats
    assert discord_problems() == []
    await assert_nothing_left_running()


async def test_bots_are_refused_and_a_challenge_expires(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        robot = member_option(fake, CAROL, "helper")
        robot["resolved"]["users"][str(CAROL)]["bot"] = True  # type: ignore[index]
        _, refused = await bot.command("duel", **robot)
        assert refused["data"]["content"] == "Bots don't duel; challenge a member instead."
        _, me = await bot.command("duel", **member_option(fake, ALICE, "alice"))
        assert me["data"]["content"] == "You can't duel yourself; challenge another member."

        interaction, _ = await bot.command("duel", **member_option(fake, BOB, "bob"))
        board = fake.original_response(interaction)
        await refs_of(bot, 1, 1)
        clock.advance(minutes=10)
        await scheduler.run_due(clock.now())
        board = await board_now(bot, board, 1)
        assert "expired" in embed_of(board)["description"] and not board.get("components")

        interaction, _ = await bot.command("duel", **member_option(fake, BOB, "bob"))
        board = fake.original_response(interaction)
        await refs_of(bot, 2, 1)
        _, declined = await bot.click(board, "play:2:decline", user_id=BOB, username="bob")
        assert declined == ephemeral("Challenge declined.")
        board = await board_now(bot, board, 1)
        assert "declined" in embed_of(board)["description"]


async def test_a_group_round_with_join_timed_public_questions_reveals_and_standings(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    discord_problems: Callable[[], list[str]],
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        options = [{"name": "count", "type": 4, "value": 2}, {"name": "seconds", "type": 4, "value": 20}]
        interaction, callback = await bot.command("round", options)
        assert "flags" not in callback["data"]
        board = fake.original_response(interaction)
        await refs_of(bot, 1, 1)
        assert embed_of(board)["title"] == "🏁 Group round" and custom_ids(board) == ["play:1:join", "play:1:stop"]
        _, joined = await bot.click(board, "play:1:join", user_id=BOB, username="bob")
        assert joined["data"]["content"].startswith("You joined the round")
        board = await board_now(bot, board, 1)
        assert "Players (2): Alice, Bob" in embed_of(board)["description"]
        _, refused = await bot.click(board, "play:1:stop", user_id=BOB, username="bob")
        assert refused == ephemeral("Only the member who started this round, or an admin, can stop it.")

        clock.advance(seconds=30)
        await scheduler.run_due(clock.now())  # the join window closes: question 1 goes to the channel
        (card,) = [m for m in channel_posts(fake) if "question 1 of 2" in str(m.get("embeds"))]
        assert card["nonce"] == "group:1:1"
        assert f"<t:{int(clock.now().timestamp()) + 20}:R>" in embed_of(card)["description"]
        _, ack = await bot.answer(card, key(bank, card))
        assert ack["data"]["flags"] == 64 and ack["data"]["content"].startswith("Recorded your answer")
        _, ack = await bot.answer(card, wrong(bank, card), user_id=BOB, username="bob")
        assert ack["data"]["content"].endswith("everyone has answered, so here is the reveal.")
        path = rf"/channels/{CHANNEL}/messages/{card['id']}"
        await until(lambda: bool(fake.find_requests("PATCH", path)), "the reveal")
        revealed = embed_of(fake.messages[int(card["id"])])
        assert revealed["title"] == "Round · revealed" and "50% (1)" in str(revealed["fields"])

        clock.advance(seconds=5)
        await scheduler.run_due(clock.now())
        clock.advance(seconds=20)
        await scheduler.run_due(clock.now())  # nobody answers question 2: revealed at its deadline, then the end
        await until(lambda: any("standings" in str(m.get("embeds")) for m in channel_posts(fake)), "the standings")
        (standings,) = [m for m in channel_posts(fake) if "standings" in str(m.get("embeds"))]
        lines = embed_of(standings)["description"].splitlines()
        assert lines[0] == "2 of 2 questions asked. Every question has been asked."
        assert lines[2].startswith("**1.** Alice · 10 pts · 1/1 correct") and lines[3].startswith("**2.** Bob · 0 pts")
    assert discord_problems() == []
    await assert_nothing_left_running()
