"""HTTP mode end to end: signed requests into the real SlackDoor (Bolt on its own aiohttp server), a fake Slack out.

Every outbound call is asserted as the fake received it: chat.postMessage, chat.update, views.publish, and the
JSON posted to response_url (how ephemeral replies travel).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk.http_retry import builtin_async_handlers

from adapters.slack.door import SlackDoor
from bot.metrics import METRICS
from bot.models import RoundKind, Target, UserRef
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository
from tests.adapters.slack.conftest import ALICE, BOB, CHANNEL, LISTED_ADMIN, ROOT, TEAM, SlackSender, refs_of
from tests.adapters.slack.fake_slack import Call, FakeSlack, app_home_opened_event, event_callback
from tests.conftest import FakeScheduler, FixedClock

FIFO = "1.1-app-code-0001"  # single answer, key B, options A-D
FAN_OUT = "1.1-app-code-0002"  # choose two, keys A and C, options A-E
WAIT = "1.1-app-code-0003"  # single answer, key C
REVEAL_AT = "<!date^1795456800^{date_short_pretty} at {time}|Mon 23 Nov 18:00 UTC>"
STEM = "Test question one asks which queue type keeps strict order. Which one?"


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def button(round_id: int, letter: str, label: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": letter.upper(), "emoji": True},
        "action_id": f"quiz:{round_id}:1:{letter}",
        "value": f"quiz:{round_id}:1:{letter}",
        "accessibility_label": f"Answer {letter.upper()}: {label}",
    }


def fifo_card(footer: str, controls: bool = True) -> list[dict[str, Any]]:
    """The question of the day card for FIFO in round 1, exactly as Slack must receive it."""
    blocks = [
        header("Question of the day"),
        context("Task 1.1 · Develop code for applications hosted on AWS"),
        section(STEM),
        section("*A.* Standard queue"),
        section("*B.* FIFO queue"),
        section("*C.* Dead-letter queue"),
        section("*D.* Delay queue"),
    ]
    if controls:
        labels = {"a": "Standard queue", "b": "FIFO queue", "c": "Dead-letter queue", "d": "Delay queue"}
        blocks.append(
            {"type": "actions", "block_id": "quiz_answer", "elements": [button(1, x, y) for x, y in labels.items()]}
        )
    return [*blocks, context(footer)]


FIFO_TEXT = f"Question of the day: {STEM}\nA. Standard queue\nB. FIFO queue\nC. Dead-letter queue\nD. Delay queue"


def ephemeral(text: str) -> dict[str, Any]:
    return {"text": text, "response_type": "ephemeral", "replace_original": False}


async def post_qotd(slack: SlackSender, fake: FakeSlack, repo: SqliteRepository) -> Call:
    """`/quiz qotd` in the channel; returns the card's chat.postMessage once the bot has stored where it is."""
    status, body, _ = await slack.command("qotd")
    assert (status, body) == (200, "")
    (post,) = await fake.wait_for("chat.postMessage")
    assert await refs_of(repo, 1)
    return post


async def replies(fake: FakeSlack, count: int) -> list[dict[str, Any]]:
    """The JSON bodies posted to response_url so far (waiting until there are `count`)."""
    return [c.json or {} for c in await fake.wait_for("response_url", count)]


# ---- signatures -------------------------------------------------------------------------------------------------


async def test_a_bad_signature_is_rejected_with_401_and_changes_nothing(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    status, _, _ = await slack.command("qotd", secret="not-the-signing-secret")
    assert status == 401
    status, _, _ = await slack.command("qotd", timestamp=int(time.time()) - 600)  # replayed: too old
    assert status == 401
    assert fake.calls == []
    assert await repo.open_rounds() == []


async def test_url_verification_and_health_check(fake: FakeSlack, slack: SlackSender, door: SlackDoor) -> None:
    status, body, _ = await slack.event({"type": "url_verification", "challenge": "c-123", "token": "x"})
    assert (status, json.loads(body)) == (200, {"challenge": "c-123"})
    async with slack.session.get(f"http://127.0.0.1:{door.http_port}/healthz") as resp:
        assert (resp.status, await resp.text()) == (200, "ok")


# ---- /quiz --------------------------------------------------------------------------------------------------------


async def test_empty_quiz_shows_the_help_privately(fake: FakeSlack, slack: SlackSender) -> None:
    status, body, _ = await slack.command("")
    assert (status, body) == (200, "")  # acked at once with an empty body; the help follows on response_url
    (reply,) = await replies(fake, 1)
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert reply["text"].startswith(
        "quizbot commands:\n/quiz help: List every command with its arguments.\n/quiz qotd:"
    )
    lines = reply["blocks"][1]["text"]["text"].splitlines()
    assert lines[0] == "`/quiz help` List every command with its arguments."
    assert "`/quiz [N|quick] [domain:D] [task:T] [seed:S]` A solo quiz of N questions" in lines[2]
    (settings,) = [line for line in lines if line.startswith("`/quiz settings [timezone:Area/City] [reveal:HH:MM]`")]
    assert settings.endswith("_(admin)_")


async def test_the_ack_comes_before_the_work(fake: FakeSlack, slack: SlackSender) -> None:
    fake.slow_down("users.info", 0.4)
    timed = METRICS.ack_latency.count
    status, _, elapsed = await slack.command("stats")
    assert status == 200 and elapsed < 0.3  # Slack's budget is 3 s; the slow work happens after the ack
    assert METRICS.ack_latency.count == timed + 1  # /metrics: quizbot_interaction_ack_seconds
    (reply,) = await replies(fake, 1)
    assert reply["text"] == "Stats for alice: 0 answered, 0 correct (-)."


async def test_a_click_is_answered_at_its_ack_while_the_answer_is_still_being_recorded(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await post_qotd(slack, fake, repo)
    ts = next(iter(fake.messages))[1]
    settle, slack.settle = slack.settle, None
    async with repo._gate.transaction():  # the database is busy: the answer cannot be written yet
        status, _, _ = await slack.click("quiz:1:1:b", "quiz:1:1:b", message_ts=ts)
        assert status == 200  # Slack has its HTTP answer, with no 10 ms polling of the ack in between
        assert await repo.answers(1) == []
    assert settle is not None
    await settle()
    (reply,) = await replies(fake, 1)
    assert reply["text"] == "Recorded your answer B. The answer is revealed at 18:00 UTC."
    assert len(await repo.answers(1)) == 1


async def test_an_unknown_command_gets_one_polite_sentence(fake: FakeSlack, slack: SlackSender) -> None:
    await slack.command("qotf")
    (reply,) = await replies(fake, 1)
    assert reply == ephemeral("Unknown command `qotf`. Did you mean `qotd`? Type `help` for the list.")


@pytest.mark.questions(FIFO)
async def test_qotd_posts_the_card_publicly_and_remembers_where(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    post = await post_qotd(slack, fake, repo)
    assert post.token == fake.workspaces[TEAM].bot_token
    assert post.args == {
        "channel": CHANNEL,
        "team_id": TEAM,
        "text": FIFO_TEXT,
        "blocks": fifo_card(f"Pick one answer · answers stay private until the reveal {REVEAL_AT} · 0 answered so far"),
    }
    ts = next(iter(fake.messages))[1]
    assert await refs_of(repo, 1) == [f"{CHANNEL}:{ts}"]
    assert fake.calls_to("response_url") == []  # nothing else to say: the card is in the channel

    # a second /quiz qotd in the same channel shows the same card privately instead of posting it again
    await slack.command("qotd", user=BOB)
    (copy,) = await replies(fake, 1)
    assert copy["response_type"] == "ephemeral" and copy["blocks"] == post.args["blocks"]
    assert len(fake.calls_to("chat.postMessage")) == 1


@pytest.mark.questions(FIFO)
async def test_an_answer_is_acknowledged_privately_and_the_count_edit_is_debounced(
    fake: FakeSlack, slack: SlackSender, door: SlackDoor, repo: SqliteRepository
) -> None:
    await post_qotd(slack, fake, repo)
    ts = next(iter(fake.messages))[1]
    await slack.click("quiz:1:1:b", "quiz:1:1:b", message_ts=ts)
    await replies(fake, 1)  # requests run concurrently after their acks: one at a time keeps the order known
    await slack.click("quiz:1:1:a", "quiz:1:1:a", message_ts=ts, user=BOB)
    assert await replies(fake, 2) == [
        ephemeral("Recorded your answer B. The answer is revealed at 18:00 UTC."),
        ephemeral("Recorded your answer A. The answer is revealed at 18:00 UTC."),
    ]
    assert fake.calls_to("chat.update") == []  # edits wait for the interval; two answers make one edit
    await door.port.flush()
    (update,) = fake.calls_to("chat.update")
    assert update.args == {
        "channel": CHANNEL,
        "ts": ts,
        "text": FIFO_TEXT,
        "blocks": fifo_card(f"Pick one answer · answers stay private until the reveal {REVEAL_AT} · 2 answered so far"),
    }


@pytest.mark.questions(FIFO)
async def test_a_double_clicked_answer_counts_once(fake: FakeSlack, slack: SlackSender, repo: SqliteRepository) -> None:
    await post_qotd(slack, fake, repo)
    ts = next(iter(fake.messages))[1]
    first, second = await asyncio.gather(
        slack.click("quiz:1:1:b", "quiz:1:1:b", message_ts=ts), slack.click("quiz:1:1:b", "quiz:1:1:b", message_ts=ts)
    )
    assert first[0] == second[0] == 200
    texts = sorted(r["text"] for r in await replies(fake, 2))
    assert texts[0] == "Recorded your answer B. The answer is revealed at 18:00 UTC."
    assert texts[1].startswith("You already answered this question") and texts[1].endswith("the first answer stands.")
    assert len(await repo.answers(1)) == 1
    await slack.command("reveal", user=ROOT)  # question-of-the-day answers reach the scores at the reveal
    await replies(fake, 3)
    assert await repo.leaderboard(f"ch:slack:{TEAM}:{CHANNEL}", "all", 10) == [(f"slack:{ALICE}", 10, 1, 1)]


@pytest.mark.questions(FIFO)
@pytest.mark.parametrize(
    ("action_id", "value", "answer"),
    [
        ("quiz:999:1:a", "quiz:999:1:a", "That question is not available here; it may belong to another channel."),
        ("quiz:1:1:z", "quiz:1:1:z", "That button is not one of mine (or it was changed on the way);"),
        ("quiz:1:1:a", "quiz:1:1:f", "There is no option F; this question has options A-D."),
        ("quiz:1:1:a", "quiz:1:7:a", "That question is not part of this round."),
        ("quiz:1:1:a", "'; DROP TABLE answers; --", "That button is not one of mine"),
    ],
)
async def test_a_forged_action_value_is_refused_and_writes_nothing(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository, action_id: str, value: str, answer: str
) -> None:
    await post_qotd(slack, fake, repo)
    status, _, _ = await slack.click(action_id, value)
    assert status == 200
    (reply,) = await replies(fake, 1)
    assert reply["response_type"] == "ephemeral" and reply["text"].startswith(answer)
    assert await repo.answers(1) == []


@pytest.mark.questions(FIFO)
async def test_an_answer_from_another_channel_is_refused(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await post_qotd(slack, fake, repo)
    await slack.click("quiz:1:1:b", "quiz:1:1:b", channel="C0ELSEWHERE")
    (reply,) = await replies(fake, 1)
    assert reply == ephemeral("That question is not available here; it may belong to another channel.")
    assert await repo.answers(1) == []


@pytest.mark.questions(FIFO)
async def test_a_private_copy_of_the_card_is_replaced_by_the_acknowledgement(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await post_qotd(slack, fake, repo)
    await slack.click("quiz:1:1:b", "quiz:1:1:b", ephemeral=True)
    (reply,) = await replies(fake, 1)
    assert reply == {"text": "Recorded your answer B. The answer is revealed at 18:00 UTC.", "replace_original": True}


@pytest.mark.questions(FIFO)
async def test_where_the_bot_cannot_post_the_card_comes_privately(fake: FakeSlack, slack: SlackSender) -> None:
    fake.fail_next("chat.postMessage", "not_in_channel")
    await slack.command("qotd", channel="G0PRIVATE1")
    (reply,) = await replies(fake, 1)
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][-1] == context(
        "I can't post in this channel, so here is the question just for you. "
        "To share it with the channel, invite me with `/invite @quizbot`."
    )
    # the private card still works: its buttons carry the round, and the round belongs to this channel
    await slack.click("quiz:1:1:b", "quiz:1:1:b", channel="G0PRIVATE1", ephemeral=True)
    assert (await replies(fake, 2))[1]["text"].startswith("Recorded your answer B.")


@pytest.mark.questions(FIFO)
async def test_web_api_429s_are_retried_after_retry_after(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(0)

    # the handler waits Retry-After plus up to one second of jitter: keep the jitter out and record the wait
    monkeypatch.setattr(builtin_async_handlers, "random", SimpleNamespace(random=lambda: 0.0))
    monkeypatch.setattr(builtin_async_handlers, "asyncio", SimpleNamespace(sleep=sleep))
    fake.fail_next("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "3"})
    await slack.command("qotd")
    first, second = await fake.wait_for("chat.postMessage", 2)
    assert first.args == second.args and slept == [3]
    assert len(fake.messages) == 1
    assert await refs_of(repo, 1) == [f"{CHANNEL}:{next(iter(fake.messages))[1]}"]


# ---- reveals and admin rights -------------------------------------------------------------------------------------


def fifo_reveal(answers: int, picked_b: int) -> list[dict[str, Any]]:
    def share(count: int) -> str:
        return f"{100 * count / answers:.0f}% ({count} of {answers})"

    return [
        header("Question of the day · answer B"),
        section(STEM),
        section(
            f":x: *A.* Standard queue · {share(answers - picked_b)}\nStandard queues give best-effort ordering only."
        ),
        section(
            f":white_check_mark: *B.* FIFO queue · {share(picked_b)}\nFIFO queues keep order within a message group."
        ),
        section(
            f":x: *C.* Dead-letter queue · {share(0)}\n"
            "A dead-letter queue stores failed messages; it is not a queue type."
        ),
        section(f":x: *D.* Delay queue · {share(0)}\nA delay queue postpones delivery; it does not order messages."),
        context(f"{answers} answer{'' if answers == 1 else 's'} · task 1.1"),
        REPORT_FIFO,
    ]


REPORT_FIFO = {
    "type": "actions",
    "block_id": "qreport_actions",
    "elements": [
        {
            "type": "button",
            "action_id": "qreport",
            "value": "1.1-app-code-0001",
            "text": {"type": "plain_text", "text": "Report a problem", "emoji": True},
        }
    ],
}


@pytest.mark.questions(FIFO)
async def test_a_member_who_is_not_an_admin_is_refused_politely(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await post_qotd(slack, fake, repo)
    await slack.command("reveal")
    await replies(fake, 1)
    await slack.command("settings timezone:Europe/Berlin reveal:19:00", user=BOB)
    assert await replies(fake, 2) == [
        ephemeral("Sorry, only an admin can reveal the question of the day early."),
        ephemeral("Sorry, only an admin can change settings."),
    ]
    assert fake.calls_to("users.info")[0].args == {"user": ALICE, "team_id": TEAM}
    assert fake.calls_to("chat.update") == []
    assert (await repo.get_round(1)) is not None and (await repo.get_round(1)).is_open  # type: ignore[union-attr]
    assert await repo.get_settings(f"ch:slack:{TEAM}:{CHANNEL}") == {}


@pytest.mark.questions(FIFO)
async def test_a_workspace_admin_reveals_and_the_channel_card_becomes_the_reveal(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await post_qotd(slack, fake, repo)
    ts = next(iter(fake.messages))[1]
    await slack.click("quiz:1:1:b", "quiz:1:1:b", message_ts=ts)
    await replies(fake, 1)
    await slack.command("reveal", user=ROOT)  # users.info says is_admin
    assert (await replies(fake, 2))[1] == ephemeral("Revealed the question of the day in this channel.")
    (update,) = fake.calls_to("chat.update")
    assert update.args == {
        "channel": CHANNEL,
        "ts": ts,
        "text": f"Question of the day revealed: the answer is B.\n{STEM}",
        "blocks": fifo_reveal(1, 1),
    }
    # a late click on the revealed card is refused
    await slack.click("quiz:1:1:b", "quiz:1:1:b", message_ts=ts, user=BOB)
    assert (await replies(fake, 3))[2] == ephemeral("This round is closed, so answers are no longer taken.")


async def test_an_admin_named_in_the_settings_may_change_settings(fake: FakeSlack, slack: SlackSender) -> None:
    await slack.command("settings timezone:Europe/Berlin reveal:19:30", user=LISTED_ADMIN)
    (reply,) = await replies(fake, 1)
    assert reply["text"] == "Saved. Timezone Europe/Berlin; the question of the day is revealed at 19:30 local time."
    assert reply["blocks"] == [
        section("Saved. Timezone *Europe/Berlin*; the question of the day is revealed at *19:30* local time.")
    ]


@pytest.mark.questions(FIFO)
async def test_the_scheduled_reveal_edits_the_posted_card(
    fake: FakeSlack,
    slack: SlackSender,
    clock: FixedClock,
    scheduler: FakeScheduler,
    door: SlackDoor,
    repo: SqliteRepository,
) -> None:
    await post_qotd(slack, fake, repo)
    ts = next(iter(fake.messages))[1]
    await slack.click("quiz:1:1:a", "quiz:1:1:a", message_ts=ts, user=BOB)
    await replies(fake, 1)
    clock.advance(hours=9)
    assert await scheduler.run_due(clock.now()) == ["close:1"]
    (update,) = fake.calls_to("chat.update")  # the pending count edit was dropped: the reveal is the last word
    assert update.args["blocks"] == fifo_reveal(1, 0)
    await door.port.flush()
    assert len(fake.calls_to("chat.update")) == 1


async def test_a_reveal_without_a_posted_card_is_posted_to_the_channel(
    fake: FakeSlack, slack: SlackSender, slack_service: QuizService, channel_target: Target, door: SlackDoor
) -> None:
    card = await slack_service.qotd(UserRef(platform="slack", user_id=ALICE, name="alice"), channel_target)
    await slack_service.close_round(card.round_id)
    (post,) = fake.calls_to("chat.postMessage")
    assert post.args["channel"] == CHANNEL and post.args["text"].startswith("Question of the day revealed")


# ---- solo quizzes -------------------------------------------------------------------------------------------------


@pytest.mark.questions(FIFO, WAIT)
async def test_a_solo_quiz_runs_privately_with_feedback_and_a_summary(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await slack.command("2 seed:1")  # bare `/quiz N` is `quiz N`
    (first,) = await replies(fake, 1)
    assert first["response_type"] == "ephemeral"
    assert first["blocks"][0] == header("Quiz · question 1 of 2")
    assert first["blocks"][-1] == context("Pick one answer")
    round_id = int(first["blocks"][-2]["elements"][0]["action_id"].split(":")[1])
    rnd = await repo.get_round(round_id)
    assert rnd is not None and rnd.kind is RoundKind.QUIZ and rnd.owner == f"slack:{ALICE}"
    keys = {FIFO: "b", WAIT: "c"}

    key = keys[rnd.question_ids[0]]
    await slack.click(f"quiz:{round_id}:1:{key}", f"quiz:{round_id}:1:{key}", ephemeral=True)
    _, feedback, second = await replies(fake, 3)
    assert feedback["replace_original"] is True and "response_type" not in feedback
    assert feedback["blocks"][0] == section(":white_check_mark: *Correct!*")
    assert any("_your answer_" in b["text"]["text"] for b in feedback["blocks"] if b["type"] == "section")
    explained = [b for b in feedback["blocks"] if b["type"] == "section" and "\n" in b["text"]["text"]]
    assert len(explained) == 4  # every option with its explanation
    assert second["response_type"] == "ephemeral" and second["replace_original"] is False
    assert second["blocks"][0] == header("Quiz · question 2 of 2")

    wrong = "a"
    await slack.click(f"quiz:{round_id}:2:{wrong}", f"quiz:{round_id}:2:{wrong}", ephemeral=True)
    _, _, _, feedback, summary = await replies(fake, 5)
    key = keys[rnd.question_ids[1]]
    assert feedback["blocks"][0] == section(f":x: *Not quite: the answer is {key.upper()}.*")
    assert summary["response_type"] == "ephemeral"
    assert summary["text"].startswith("Quiz finished: 1/2 correct (50%) · 2 questions · 0 min 00 s.")
    assert summary["blocks"][0] == header("Quiz finished")
    assert "*1* Development with AWS Services (2 answered)" in summary["blocks"][2]["text"]["text"]
    assert await repo.leaderboard(f"ch:slack:{TEAM}:{CHANNEL}", "all", 10) == [(f"slack:{ALICE}", 0, 2, 1)]


@pytest.mark.questions(FAN_OUT)
async def test_choose_two_refuses_a_submit_with_one_box_ticked(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await slack.command("quiz 1")
    (card,) = await replies(fake, 1)
    choices, submit = card["blocks"][-3], card["blocks"][-2]
    assert choices["block_id"] == "quiz_choices" and choices["elements"][0]["type"] == "checkboxes"
    assert [o["value"] for o in choices["elements"][0]["options"]] == ["a", "b", "c", "d", "e"]
    assert submit["elements"][0]["action_id"] == "quiz:1:1:" and submit["elements"][0]["text"]["text"] == "Submit"
    assert card["blocks"][-1] == context("Choose two: tick two boxes, then press Submit")

    await slack.click("quiz:1:1:", "quiz:1:1:", ephemeral=True, block_id="quiz_submit", ticked=["a"])
    assert (await replies(fake, 2))[1] == ephemeral("This question takes two answers; you gave one.")
    assert await repo.answers(1) == []
    await slack.click("quiz:1:1:", "quiz:1:1:", ephemeral=True, block_id="quiz_submit", ticked=[])
    assert (await replies(fake, 3))[2] == ephemeral("Answer with option letters A-E.")

    await slack.click("quiz:1:1:", "quiz:1:1:", ephemeral=True, block_id="quiz_submit", ticked=["c", "a"])
    feedback, summary = (await replies(fake, 5))[3:]
    assert feedback["blocks"][0] == section(":white_check_mark: *Correct!*")
    assert summary["blocks"][0] == header("Quiz finished")
    assert [(a.choice, a.correct) for a in await repo.answers(1)] == [("ac", True)]


async def test_ticking_a_box_is_acknowledged_and_nothing_else(fake: FakeSlack, slack: SlackSender) -> None:
    status, body, _ = await slack.click("quiz_pick", "", block_id="quiz_choices")
    assert (status, body) == (200, "")
    assert fake.method_names() == ["auth.test"]  # Bolt's one-off check of the bot token; nothing else


@pytest.mark.questions(FIFO, WAIT)
async def test_stop_stats_and_leaderboard_answer_privately(fake: FakeSlack, slack: SlackSender) -> None:
    for number, text in enumerate(("quiz 2", "stop", "stats", "leaderboard"), start=1):
        await slack.command(text)
        await replies(fake, number)  # each reply comes after its ack: wait before the next command
    _, stop, stats, board = await replies(fake, 4)
    assert stop["text"].startswith("Quiz ended early: 0/0 correct (-) · 2 questions")
    assert stats["blocks"][0] == header("Stats for alice")
    assert board["blocks"] == [
        header("Leaderboard: this channel, all time"),
        section("No points yet: answer the question of the day (`/quiz qotd`) to get on the board."),
    ]
    assert {r["response_type"] for r in (stop, stats, board)} == {"ephemeral"}


# ---- App Home -----------------------------------------------------------------------------------------------------


@pytest.mark.questions(FIFO)
async def test_the_home_tab_shows_progress_rank_and_quiz_buttons(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await post_qotd(slack, fake, repo)
    await slack.click("quiz:1:1:b", "quiz:1:1:b")
    await replies(fake, 1)
    await slack.command("reveal", user=ROOT)
    await replies(fake, 2)
    ws = fake.workspaces[TEAM]
    status, _, _ = await slack.event(
        event_callback(app_home_opened_event(ALICE), team_id=TEAM, bot_user_id=ws.bot_user_id)
    )
    assert status == 200
    (publish,) = await fake.wait_for("views.publish")
    assert publish.args["user_id"] == ALICE
    view = publish.args["view"]
    assert view["type"] == "home"
    assert view["blocks"][0] == header("Hi alice!")
    assert view["blocks"][1] == section(
        "You have answered *1* questions, *100%* correct.\nRank *#1* in this workspace with *10* points."
        "\nStreak: *1* day(s) in a row (best 1)."
    )
    start = view["blocks"][2]
    assert start["block_id"] == "home_start"
    assert [(b["action_id"], b["value"]) for b in start["elements"]] == [
        ("home_quiz_quick", "quiz quick"),
        ("home_quiz_10", "quiz 10"),
        ("home_quiz_review", "review"),
        ("home_quiz_domain_1", "quiz 10 domain:1"),
        ("home_quiz_domain_2", "quiz 10 domain:2"),
        ("home_quiz_domain_3", "quiz 10 domain:3"),
        ("home_quiz_domain_4", "quiz 10 domain:4"),
    ]
    assert all(b["accessibility_label"].startswith("Start a private ") for b in start["elements"])
    domains = view["blocks"][4]["text"]["text"].splitlines()
    assert domains[0] == "*Accuracy by domain*"
    assert domains[1] == "`██████████` 100% · *1* Development with AWS Services (1 answered)"
    tasks = view["blocks"][5]["text"]["text"].splitlines()
    assert tasks[1] == "`██████████` 100% · *1.1* Develop code for applications hosted on AWS (1 answered)"
    assert len(tasks) == 1 + 13


async def test_a_retried_event_delivery_is_handled_once(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    ws = fake.workspaces[TEAM]
    envelope = event_callback(app_home_opened_event(ALICE), team_id=TEAM, bot_user_id=ws.bot_user_id)
    assert (await slack.event(envelope))[0] == 200
    await fake.wait_for("views.publish")
    # Slack thought the first delivery timed out and sends it again, twice, with the same event_id
    assert (await slack.event(envelope, retry_num=1))[:2] == (200, "")
    assert (await slack.event(envelope, retry_num=2))[:2] == (200, "")
    other = event_callback(app_home_opened_event(BOB), team_id=TEAM, bot_user_id=ws.bot_user_id)
    await slack.event(other)
    await fake.wait_for("views.publish", 2)
    assert [c.args["user_id"] for c in fake.calls_to("views.publish")] == [ALICE, BOB]
    assert not await repo.claim_event(f"slack:{envelope['event_id']}", FixedClock().now(), timedelta(hours=1))


async def test_opening_the_messages_tab_publishes_nothing(fake: FakeSlack, slack: SlackSender) -> None:
    messages_tab = app_home_opened_event(ALICE) | {"tab": "messages"}
    assert (await slack.event(event_callback(messages_tab, team_id=TEAM, bot_user_id="UBOT")))[0] == 200
    await slack.event(event_callback(app_home_opened_event(BOB), team_id=TEAM, bot_user_id="UBOT"))
    await fake.wait_for("views.publish")
    assert [c.args["user_id"] for c in fake.calls_to("views.publish")] == [BOB]
    assert [c.args["user"] for c in fake.calls_to("users.info")] == [BOB]


@pytest.mark.questions(FIFO, WAIT)
async def test_a_home_button_starts_a_quiz_in_the_apps_dm(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    status, _, _ = await slack.home_click("home_quiz_quick", "quiz quick")
    assert status == 200
    (post,) = await fake.wait_for("chat.postMessage")
    dm = "D" + ALICE[1:]
    assert fake.calls_to("conversations.open")[0].args["users"] == ALICE
    assert post.args["channel"] == dm
    assert post.args["blocks"][0] == header("Quiz · question 1 of 2")
    rnd = await repo.open_round_of(f"slack:{ALICE}", RoundKind.QUIZ)
    assert rnd is not None and rnd.target == Target(platform="slack", workspace=TEAM, channel=dm)

    # answering in the DM: feedback replaces the card, the next question is a normal message there
    key = {FIFO: "b", WAIT: "c"}[rnd.question_ids[0]]
    ts = next(ts for (channel, ts) in fake.messages if channel == dm)
    await slack.click(f"quiz:{rnd.id}:1:{key}", f"quiz:{rnd.id}:1:{key}", channel=dm, message_ts=ts)
    feedback, following = await replies(fake, 2)
    assert feedback["replace_original"] is True
    assert following["response_type"] == "in_channel" and following["blocks"][0] == header("Quiz · question 2 of 2")


async def test_a_forged_home_button_is_refused(fake: FakeSlack, slack: SlackSender, repo: SqliteRepository) -> None:
    await slack.home_click("home_quiz_10", "reveal")
    (post,) = await fake.wait_for("chat.postMessage")
    assert post.args["text"].startswith("That button is not one of mine")
    assert await repo.open_rounds() == []


async def test_uninstall_events_in_single_workspace_mode_are_acknowledged_quietly(
    fake: FakeSlack, slack: SlackSender
) -> None:
    for kind in ("app_uninstalled", "tokens_revoked"):
        event = {"type": kind, "event_ts": "1.2", "tokens": {"bot": ["UBOT"]}}
        assert (await slack.event(event_callback(event, team_id=TEAM, bot_user_id="UBOT")))[:2] == (200, "")
    assert not [c for c in fake.calls if c.method != "auth.test"]


@pytest.mark.questions(FIFO)
@pytest.mark.allow_logs("response_url answered 404 (expired_url); replying through the Web API")
async def test_when_the_response_url_is_used_up_the_reply_goes_by_chat_post_ephemeral(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await post_qotd(slack, fake, repo)
    fake.fail_next("response_url", "expired_url", status=404)
    await slack.click("quiz:1:1:b", "quiz:1:1:b")
    (direct,) = await fake.wait_for("chat.postEphemeral")
    assert direct.args == {
        "channel": CHANNEL,
        "user": ALICE,
        "team_id": TEAM,
        "text": "Recorded your answer B. The answer is revealed at 18:00 UTC.",
    }
    assert len(await repo.answers(1)) == 1
