"""Duels and group rounds on Slack, end to end: signed requests into the Bolt app, Web API calls to the fake Slack."""

from __future__ import annotations

from typing import Any

from bot.bank import Bank
from bot.storage.sqlite import SqliteRepository
from tests.adapters.slack.conftest import BOB, CHANNEL, TEAM, SlackSender, refs_of
from tests.adapters.slack.fake_slack import FakeSlack
from tests.conftest import FakeScheduler, FixedClock


async def replies(fake: FakeSlack, count: int) -> list[dict[str, Any]]:
    return [c.json or {} for c in await fake.wait_for("response_url", count)]


def action_ids(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def text_of(message: dict[str, Any]) -> str:
    """Every section and context text of a message."""
    parts = []
    for b in message.get("blocks", []):
        if "text" in b:
            parts.append(str(b["text"].get("text", "")))
        parts += [str(e.get("text", "")) for e in b.get("elements", []) if b["type"] == "context"]
    return "\n".join(parts)


async def key(repo: SqliteRepository, bank: Bank, round_id: int, number: int, right: bool = True) -> str:
    """The key (or a wrong answer of the same size) of a round's question."""
    rnd = await repo.get_round(round_id)
    assert rnd is not None
    question = bank.get(rnd.question_ids[number - 1])
    assert question is not None
    if right:
        return "".join(sorted(question.keys))
    return "".join(sorted(set(question.letters) - question.keys))[: question.choose]


async def test_a_duel_challenged_with_a_mention_played_privately_and_rated(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository, bank: Bank
) -> None:
    await slack.command("duel <@U0BOB0002|bob> count:2")
    (board,) = await fake.wait_for("chat.postMessage")
    assert board.args["channel"] == CHANNEL and "Duel · alice vs bob" in text_of(board.args)
    assert action_ids(board.args) == ["play:1:accept", "play:1:decline"]
    assert await refs_of(repo, 1)

    await slack.click("play:1:accept", "play:1:accept", user=BOB)
    (first,) = await replies(fake, 1)
    assert first["response_type"] == "ephemeral"  # only Bob sees his question
    assert first["blocks"][0]["text"]["text"] == "Duel · question 1 of 2"
    assert "Duel on!" in text_of(first)
    (edit,) = await fake.wait_for("chat.update")
    assert action_ids(edit.args) == ["play:1:play", "play:1:leave"]

    for number in (1, 2):
        letters = await key(repo, bank, 1, number)
        await slack.click(f"quiz:1:{number}:{letters}", f"quiz:1:{number}:{letters}", user=BOB, ephemeral=True)
    _, second, done = await replies(fake, 3)
    assert second["replace_original"] is True and second["blocks"][0]["text"]["text"] == "Duel · question 2 of 2"
    assert "when your opponent is done" in done["text"]

    await slack.click("play:1:play", "play:1:play")
    opened = (await replies(fake, 4))[3]
    assert opened["blocks"][0]["text"]["text"] == "Duel · question 1 of 2"
    for number in (1, 2):
        wrong = await key(repo, bank, 1, number, right=False)
        await slack.click(f"quiz:1:{number}:{wrong}", f"quiz:1:{number}:{wrong}", ephemeral=True)
    posts = await fake.wait_for("chat.postMessage", 2)
    result = posts[1].args
    assert result["text"].startswith("Duel result: bob wins.")
    assert "rating 1220 (+20) provisional" in text_of(result)

    await slack.command("ratings")
    ratings = (await replies(fake, 7))[6]
    assert "*1.* bob · 1220 (provisional) · 1 W 0 L 0 D" in text_of(ratings)
    await slack.command("stats", user=BOB)
    stats = (await replies(fake, 8))[7]
    assert "*Duel rating* 1220 (provisional) · 1 W 0 L 0 D" in text_of(stats)


async def test_bots_are_refused_and_decline_and_expiry_edit_the_card(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    fake.add_user(TEAM, "U0HELPER9", "helper")["is_bot"] = True
    await slack.command("duel <@U0HELPER9|helper>")
    (refused,) = await replies(fake, 1)
    assert refused["text"] == "Bots don't duel; challenge a member instead."
    await slack.command("duel <@U0BOB0002|bob>")
    await fake.wait_for("chat.postMessage")
    await slack.command("decline", user=BOB)
    declined = (await replies(fake, 2))[1]
    assert declined["text"] == "Challenge declined."
    (edit,) = await fake.wait_for("chat.update")
    assert "The challenge was declined." in text_of(edit.args) and not action_ids(edit.args)

    await slack.command("duel <@U0BOB0002|bob>")
    await fake.wait_for("chat.postMessage", 2)
    assert await refs_of(repo, 2)  # stored just after Slack answered the post
    clock.advance(minutes=10)
    await scheduler.run_due(clock.now())
    expired = (await fake.wait_for("chat.update", 2))[1]
    assert "the challenge expired" in text_of(expired.args) and not action_ids(expired.args)


async def test_a_group_round_with_join_public_questions_reveals_and_a_stop(
    fake: FakeSlack,
    slack: SlackSender,
    repo: SqliteRepository,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
) -> None:
    await slack.command("round 3 seconds:20")
    (board,) = await fake.wait_for("chat.postMessage")
    assert action_ids(board.args) == ["play:1:join", "play:1:stop"]
    assert await refs_of(repo, 1)
    await slack.click("play:1:join", "play:1:join", user=BOB)
    (joined,) = await replies(fake, 1)
    assert joined["text"].startswith("You joined the round")

    clock.advance(seconds=30)
    await scheduler.run_due(clock.now())
    posts = await fake.wait_for("chat.postMessage", 2)
    card = posts[1].args
    assert card["metadata"]["event_payload"]["slot"] == "group:1:1"
    assert any(i.startswith("quiz:1:1:") for i in action_ids(card))  # letter buttons, or Submit for choose-N
    letters = await key(repo, bank, 1, 1)
    await slack.click(f"quiz:1:1:{letters}", f"quiz:1:1:{letters}")
    other = f"quiz:1:1:{await key(repo, bank, 1, 1, right=False)}"
    await slack.click(other, other, user=BOB)
    _, mine, bobs = await replies(fake, 3)
    assert mine["response_type"] == "ephemeral" and mine["text"].startswith("Recorded your answer")
    assert bobs["text"].endswith("everyone has answered, so here is the reveal.")
    edits = await fake.wait_for("chat.update", 2)  # the join card (Bob joined), then question 1's reveal
    assert edits[-1].args["blocks"][0]["text"]["text"].startswith("Round · answer ")

    await slack.command("stop", user=BOB)
    assert (await replies(fake, 4))[3]["text"] == "Only the member who started this round, or an admin, can stop it."
    await slack.command("stop")
    assert (await replies(fake, 5))[4]["text"] == "Round stopped; the standings are in the channel."
    standings = (await fake.wait_for("chat.postMessage", 3))[2].args
    assert standings["text"] == "Round standings: Stopped by alice."
    assert "*1.* alice · 10 pts · 1/1 correct" in text_of(standings)
