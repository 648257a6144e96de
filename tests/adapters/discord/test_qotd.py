"""Question of the day on Discord, end to end: a real discord.py client against a local fake Discord."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.bank import Bank
from tests.adapters.discord.conftest import (
    ALICE,
    BOB,
    CAROL,
    Bot,
    assert_nothing_left_running,
    components,
    custom_ids,
    embed_of,
    ephemeral,
    question_of,
    refs_of,
    running_bot,
)
from tests.adapters.discord.fake_discord import ADMIN_PERMISSIONS, FakeDiscord, Json
from tests.conftest import FakeScheduler, FixedClock

CHANNEL = 3333333333333333333
REVEAL = {"type": 1, "name": "reveal", "options": []}


async def post_card(bot: Bot) -> tuple[Json, Json]:
    """/qotd by Alice: the public card (as members see it) and the callback that posted it."""
    interaction, callback = await bot.command("qotd")
    return bot.fake.original_response(interaction), callback


async def card_edits(fake: FakeDiscord, card: Json, count: int) -> list[Json]:
    """The first `count` edits of a posted card, as JSON bodies."""
    path = rf"/channels/{CHANNEL}/messages/{card['id']}"
    await fake.wait_for_request("PATCH", path, predicate=lambda r: len(fake.find_requests("PATCH", path)) >= count)
    return [r.json for r in fake.find_requests("PATCH", path)]


async def test_qotd_card_is_public_and_answers_are_acknowledged_privately(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    discord_problems: Callable[[], list[str]],
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        card, callback = await post_card(bot)
        question = question_of(card, bank)
        assert question.choose == 1  # this channel and day pick a single-answer question: one button per letter
        assert callback["type"] == 4
        assert "flags" not in callback["data"]  # public
        shown = embed_of(callback["data"])
        assert shown["title"] == "Question of the day"
        for letter, option in zip("ABCD", question.options, strict=False):
            assert f"**{letter}** · {option.text}" in shown["description"]
        assert shown["footer"]["text"].startswith("0 answered · ")
        assert custom_ids(card) == [f"quiz:1:1:{x}" for x in question.letters]
        assert [c["label"] for c in components(card)] == [x.upper() for x in question.letters]
        assert await refs_of(bot, 1, 1) == [f"{CHANNEL}:{card['id']}"]

        _, ack = await bot.click(card, "quiz:1:1:b", user_id=BOB, username="bob")
        assert ack == ephemeral("Recorded your answer B. The answer is revealed at 18:00 UTC.")
        (edit,) = await card_edits(fake, card, 1)
        assert embed_of(edit)["footer"]["text"].startswith("1 answered · ")
        assert [c["custom_id"] for row in edit["components"] for c in row["components"]] == custom_ids(card)
        assert edit["content"] is None

        _, ack = await bot.click(card, "quiz:1:1:a", user_id=ALICE)
        assert ack == ephemeral("Recorded your answer A. The answer is revealed at 18:00 UTC.")
        edits = await card_edits(fake, card, 2)
        assert embed_of(edits[-1])["footer"]["text"].startswith("2 answered · ")

        # Asked again, the member who answered sees their answer privately; nothing new is posted.
        _, callback = await bot.command("qotd", user_id=BOB, username="bob")
        assert callback["data"]["flags"] == 64
        assert callback["data"]["content"] == (
            "You answered B; 2 answered so far. The answer is revealed at 18:00 UTC."
        )
        assert "components" not in callback["data"]  # no buttons: answered already
        assert await refs_of(bot, 1, 1) == [f"{CHANNEL}:{card['id']}"]
    assert discord_problems() == []
    await assert_nothing_left_running()


async def test_a_double_click_is_counted_once(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        card, _ = await post_card(bot)
        _, first = await bot.click(card, "quiz:1:1:b", user_id=BOB, username="bob")
        _, second = await bot.click(card, "quiz:1:1:c", user_id=BOB, username="bob")
        assert first == ephemeral("Recorded your answer B. The answer is revealed at 18:00 UTC.")
        assert second == ephemeral("You already answered this question (B); the first answer stands.")

        # Two clicks in flight at once (a real double click): one is recorded, the other politely refused.
        clicks = [fake.component_click(card, "quiz:1:1:d", user_id=CAROL, username="carol") for _ in range(2)]
        for click in clicks:
            await fake.send_interaction(click)
        replies = sorted([await final_reply(fake, c) for c in clicks])
        assert replies[0].startswith("Recorded your answer D.")
        assert replies[1].startswith("You already answered this question")

        assert await bot.repo.answer_count(1, 1) == 2
        assert [a.choice for a in await bot.repo.answers(1, 1)] == ["b", "d"]
    await assert_nothing_left_running()


async def final_reply(fake: FakeDiscord, click: Json) -> str:
    """What the member finally reads: the reply itself, or (acknowledged first) the edit of its placeholder."""
    callback = (await fake.wait_for_callback(click)).json
    if callback["type"] == 4:
        return str(callback["data"]["content"])
    assert callback == {"type": 5, "data": {"flags": 64}}  # private "thinking…", edited once the core has answered
    await fake.wait_for_request("PATCH", rf"/webhooks/\d+/{click['token']}/messages/@original")
    return str(fake.original_response(click)["content"])


async def test_a_burst_of_answers_is_acknowledged_before_the_work_and_each_reply_follows(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        card, _ = await post_card(bot)
        _, alone = await bot.click(card, "quiz:1:1:a", user_id=BOB, username="bob")
        assert alone == ephemeral("Recorded your answer A. The answer is revealed at 18:00 UTC.")  # one call, no defer
        clicks = [
            fake.component_click(card, "quiz:1:1:b", user_id=10**17 + n, username=f"m{n}") for n in range(30)
        ]
        async with bot.repo._gate.transaction():  # the database is busy, so the answers pile up in flight: a burst
            for click in clicks:
                await fake.send_interaction(click)
            # Every click after the first is acknowledged at once, before its answer is recorded.
            for click in clicks[1:]:
                assert (await fake.wait_for_callback(click)).json == {"type": 5, "data": {"flags": 64}}
            assert await bot.repo.answer_count(1, 1) == 1
        for click in clicks:
            assert await final_reply(fake, click) == "Recorded your answer B. The answer is revealed at 18:00 UTC."
        assert await bot.repo.answer_count(1, 1) == 31
    await assert_nothing_left_running()


async def test_forged_or_stale_controls_are_refused_politely_and_nothing_is_written(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        card, _ = await post_card(bot)

        def forged(custom_id: str) -> Json:
            row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "A", "custom_id": custom_id}]}
            return fake.message(components=[row])

        cases = {
            "quiz:999:1:a": "That question is not available here; it may belong to another channel.",
            "quiz:1:9:a": "That question is not part of this round.",
            "quiz:1:1:f": "There is no option F; this question has options A-D.",
            "quiz:1:1:xyz": "That control is not one of quizbot's answer buttons.",
        }
        for custom_id, sentence in cases.items():
            _, reply = await bot.click(forged(custom_id), custom_id, user_id=BOB, username="bob")
            assert reply == ephemeral(sentence), custom_id

        # The real card's button, clicked from another channel (a copied message, a replayed id).
        click = fake.component_click(card, "quiz:1:1:a", user_id=BOB, username="bob")
        click["channel_id"] = click["channel"]["id"] = "4444444444444444444"
        await fake.send_interaction(click)
        reply = (await fake.wait_for_callback(click)).json
        assert reply == ephemeral("That question is not available here; it may belong to another channel.")

        assert await bot.repo.answer_count(1, 1) == 0
        assert fake.find_requests("PATCH", rf"/channels/{CHANNEL}/messages/\d+") == []
    await assert_nothing_left_running()


async def test_debounced_count_edits_coalesce_and_are_flushed_at_shutdown(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    # An interval far longer than the test: no timer fires, so only the flush on shutdown can send the edit.
    async with running_bot(fake, bank, clock, scheduler, tmp_path, edit_interval=60) as bot:
        card, _ = await post_card(bot)
        for user_id, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")):
            await bot.click(card, "quiz:1:1:a", user_id=user_id, username=name)
        assert fake.find_requests("PATCH") == []
    (edit,) = [r.json for r in fake.find_requests("PATCH", rf"/channels/{CHANNEL}/messages/{card['id']}")]
    assert embed_of(edit)["footer"]["text"].startswith("3 answered · ")
    await assert_nothing_left_running()


async def test_reveal_needs_manage_server_and_edits_the_card(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    discord_problems: Callable[[], list[str]],
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        card, _ = await post_card(bot)
        question = question_of(card, bank)
        key = next(iter(question.keys))
        wrong = next(x for x in question.letters if x != key)
        stale = copy.deepcopy(card)  # the card as a client that missed the reveal still shows it
        await bot.click(card, f"quiz:1:1:{key}", user_id=BOB, username="bob")
        await bot.click(card, f"quiz:1:1:{wrong}", user_id=CAROL, username="carol")
        await card_edits(fake, card, 1)

        _, refused = await bot.command("quizadmin", [REVEAL], user_id=BOB, username="bob")
        assert refused == ephemeral("Sorry, only an admin can reveal the question of the day early.")
        _, refused = await bot.command(
            "quizadmin", [{"type": 1, "name": "settings", "options": [{"type": 3, "name": "reveal", "value": "19:30"}]}]
        )
        assert refused == ephemeral("Sorry, only an admin can change settings.")

        _, done = await bot.command("quizadmin", [REVEAL], permissions=ADMIN_PERMISSIONS)
        assert done == ephemeral(f"Revealed: the answer is {key.upper()}.")
        reveal = (await card_edits(fake, card, 1))[-1]
        # No more answer buttons: only Report.
        assert [c["custom_id"][:8] for row in reveal["components"] for c in row["components"]] == ["qreport:"]
        shown = embed_of(reveal)
        assert shown["title"] == "Question of the day · revealed"
        assert f"**Answer: {key.upper()}** · 2 answers" in shown["description"]
        fields = {f["name"][2:3]: f for f in shown["fields"]}  # by letter
        assert set(fields) == {x.upper() for x in question.letters}
        for letter, option in zip(question.letters, question.options, strict=True):
            field = fields[letter.upper()]
            assert field["name"].startswith("✅" if letter == key else "❌")
            share = "50% (1)" if letter in (key, wrong) else "0% (0)"
            assert field["name"].endswith(share)
            assert field["value"] == f"{option.text}\n> {option.explanation}"

        # Revealed: a late click is refused, and /qotd shows the reveal privately.
        _, late = await bot.click(stale, f"quiz:1:1:{key}", user_id=ALICE)
        assert late == ephemeral("This round is closed, so answers are no longer taken.")
        _, again = await bot.command("qotd")
        assert again["data"]["flags"] == 64
        assert embed_of(again["data"])["title"] == "Question of the day · revealed"

        _, board = await bot.command("leaderboard")
        assert "flags" not in board["data"]
        assert embed_of(board["data"])["description"].splitlines()[0] == "**1.** Bob · 10 pts · 100% · 1 answered"
    assert discord_problems() == []
    await assert_nothing_left_running()


async def test_admin_ids_setting_and_settings_command(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path, admin_ids=[str(CAROL)]) as bot:
        settings = {"type": 1, "name": "settings", "options": [{"type": 3, "name": "timezone", "value": "Mars/Base"}]}
        _, bad = await bot.command("quizadmin", [settings], user_id=CAROL, username="carol")
        assert bad == ephemeral("Unknown timezone `Mars/Base`; use an IANA name such as Europe/Berlin or UTC.")
        settings["options"] = [
            {"type": 3, "name": "timezone", "value": "Europe/Berlin"},
            {"type": 3, "name": "reveal", "value": "19:30"},
        ]
        _, saved = await bot.command("quizadmin", [settings], user_id=CAROL, username="carol")
        assert saved == ephemeral(
            "Saved. Timezone Europe/Berlin; the question of the day is revealed at 19:30 local time."
        )
        card, _ = await post_card(bot)
        assert "revealed at 19:30 CET" in embed_of(card)["description"]
        _, done = await bot.command("quizadmin", [REVEAL], user_id=CAROL, username="carol")
        assert done["data"]["content"].startswith("Revealed: the answer is ")
    await assert_nothing_left_running()


async def test_scheduled_reveal_edits_the_card_and_falls_back_when_it_is_gone(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        card, _ = await post_card(bot)
        second_card, _ = await post_card(bot)  # asked twice: two cards, both attached
        assert len(await refs_of(bot, 1, 2)) == 2
        del fake.messages[int(card["id"])]  # someone deleted the first card

        clock.advance(hours=9)
        assert await scheduler.run_due(clock.now()) == ["close:1"]
        edits = await card_edits(fake, second_card, 1)
        assert embed_of(edits[-1])["title"] == "Question of the day · revealed"
        assert fake.find_requests("POST", rf"/channels/{CHANNEL}/messages") == []  # one card was still there
    assert any("it was deleted (404)" in r.getMessage() for r in caplog.records)
    await assert_nothing_left_running()


async def test_reveal_is_posted_anew_when_no_card_survives_and_403_is_logged(
    fake: FakeDiscord,
    bank: Bank,
    clock: FixedClock,
    scheduler: FakeScheduler,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        card, _ = await post_card(bot)
        del fake.messages[int(card["id"])]
        _, done = await bot.command("quizadmin", [REVEAL], permissions=ADMIN_PERMISSIONS)
        assert done["data"]["content"].startswith("Revealed: the answer is ")
        posted = await fake.wait_for_request("POST", rf"/channels/{CHANNEL}/messages")
        assert embed_of(posted.json)["title"] == "Question of the day · revealed"

        # Tomorrow the bot has lost access to the channel: the reveal fails with a log line, nothing crashes.
        clock.advance(days=1)
        card, _ = await post_card(bot)
        fake.forbidden_channels.add(CHANNEL)
        _, done = await bot.command("quizadmin", [REVEAL], permissions=ADMIN_PERMISSIONS)
        assert done["data"]["content"].startswith("Revealed: the answer is ")
        assert [r.status for r in fake.find_requests("PATCH", rf"/channels/{CHANNEL}/messages/{card['id']}")] == [403]
        assert [r.status for r in fake.find_requests("POST", rf"/channels/{CHANNEL}/messages")] == [200, 403]
        fake.forbidden_channels.clear()
        _, help_reply = await bot.command("help")  # still serving
        assert help_reply["data"]["flags"] == 64
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("adapters.discord")]
    assert any("missing access (403)" in m and str(CHANNEL) in m for m in messages)
    await assert_nothing_left_running()


async def test_slow_work_is_deferred_within_three_seconds_and_then_filled_in(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        bot.door.client.handlers.ack_budget = 0  # every call counts as slow: acknowledge first, answer after
        interaction, callback = await bot.command("qotd")
        assert callback == {"type": 5}  # deferred, public "thinking"
        filled = await fake.wait_for_request("PATCH", rf"/webhooks/\d+/{interaction['token']}/messages/@original")
        assert embed_of(filled.json)["title"] == "Question of the day"
        card = fake.original_response(interaction)
        assert await refs_of(bot, 1, 1) == [f"{CHANNEL}:{card['id']}"]

        click, ack = await bot.click(card, "quiz:1:1:a", user_id=BOB, username="bob")
        assert ack == {"type": 5, "data": {"flags": 64}}  # deferred, private
        filled = await fake.wait_for_request("PATCH", rf"/webhooks/\d+/{click['token']}/messages/@original")
        assert filled.json["content"] == "Recorded your answer A. The answer is revealed at 18:00 UTC."

        # Bob asks again while slow: the public placeholder is removed and his answer comes privately.
        again, placeholder = await bot.command("qotd", user_id=BOB, username="bob")
        assert placeholder == {"type": 5}
        await fake.wait_for_request("DELETE", rf"/webhooks/\d+/{again['token']}/messages/@original")
        private = await fake.wait_for_request("POST", rf"/webhooks/\d+/{again['token']}")
        assert private.json["flags"] == 64
        assert private.json["content"].startswith("You answered A;")
    await assert_nothing_left_running()


async def test_a_reveal_supersedes_pending_count_edits(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path, edit_interval=60) as bot:
        card, _ = await post_card(bot)
        await refs_of(bot, 1, 1)
        await bot.click(card, "quiz:1:1:a", user_id=BOB, username="bob")
        await bot.command("quizadmin", [REVEAL], permissions=ADMIN_PERMISSIONS)
    edits = [r.json for r in fake.find_requests("PATCH", rf"/channels/{CHANNEL}/messages/{card['id']}")]
    assert [embed_of(e)["title"] for e in edits] == ["Question of the day · revealed"]  # never un-revealed
    await assert_nothing_left_running()
