"""Practice exams on Slack, end to end: signed requests in, the fake Web API out; the exam runs in the app's DM."""

from __future__ import annotations

from typing import Any

import pytest

from bot.bank import Bank, default_bank_dir, load_bank
from bot.models import Question
from tests.adapters.slack.conftest import ALICE, BOB, TEAM, SlackSender
from tests.adapters.slack.fake_slack import FORM, FakeSlack, block_actions_payload, interaction_body
from tests.conftest import FakeScheduler, FixedClock

FULL_BANK = load_bank(default_bank_dir())
DM = "D" + ALICE[1:]  # what the fake's conversations.open answers for Alice


@pytest.fixture
def bank() -> Bank:
    return FULL_BANK


def exam_message(fake: FakeSlack) -> tuple[str, dict[str, Any]]:
    """(ts, message) of the exam message in Alice's DM."""
    ((_, ts),) = [key for key in fake.messages if key[0] == DM]
    edits = [c.args for c in fake.calls_to("chat.update") if c.args.get("ts") == ts]
    # The fake records a call before it stores the edit: the newest edit sent is what the member sees.
    return ts, {"blocks": edits[-1]["blocks"]} if edits else fake.messages[(DM, ts)]


def header_of(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


def texts(message: dict[str, Any]) -> str:
    """Every section and context text of a message, joined."""
    found = []
    for block in message["blocks"]:
        if block["type"] == "section":
            found.append(block["text"]["text"])
        elif block["type"] == "context":
            found += [e["text"] for e in block["elements"]]
    return "\n".join(found)


def shown_question(message: dict[str, Any]) -> Question:
    body = texts(message)
    (found,) = [q for q in FULL_BANK.questions.values() if q.stem.replace("&", "&amp;")[:80] in body]
    return found


def action_ids(message: dict[str, Any]) -> list[str]:
    ids = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return [i for i in ids if i.startswith("exam:")]


async def updated(fake: FakeSlack, count: int) -> dict[str, Any]:
    """The exam message after the `count`-th chat.update."""
    calls = await fake.wait_for("chat.update", count)
    # The call is recorded before the fake stores the edit, so read what was sent.
    return {"blocks": calls[count - 1].args["blocks"]}


async def press(slack: SlackSender, fake: FakeSlack, action: str, **kwargs: Any) -> None:
    """Press the exam message's control with this action (`exam:{round}:{action}:…`)."""
    ts, message = exam_message(fake)
    (action_id,) = [a for a in action_ids(message) if a.split(":")[2] == action and a != "exam:1:g:"]
    await slack.click(action_id, action_id, channel=DM, message_ts=ts, block_id="exam", **kwargs)


async def answer(slack: SlackSender, fake: FakeSlack, question: Question, letters: str) -> None:
    ts, message = exam_message(fake)
    if question.choose > 1:
        (save,) = [a for a in action_ids(message) if a.split(":")[2] == "a"]
        await slack.click(save, save, channel=DM, message_ts=ts, block_id="exam", ticked=sorted(letters))
    else:
        (button,) = [a for a in action_ids(message) if a.split(":")[2] == "a" and a.endswith(letters)]
        await slack.click(button, button, channel=DM, message_ts=ts, block_id="quiz_answer")


async def jump(slack: SlackSender, fake: FakeSlack, number: int) -> None:
    """Pick a question in the exam message's jump menu (a static_select)."""
    ts, _ = exam_message(fake)
    action = {
        "type": "static_select",
        "action_id": "exam:1:g:",
        "block_id": "nav",
        "selected_option": {"value": str(number), "text": {"type": "plain_text", "text": f"Question {number}"}},
        "action_ts": "1700000000.000200",
    }
    payload = block_actions_payload(
        team_id=TEAM,
        user_id=ALICE,
        response_url=fake.response_url(TEAM, "actions"),
        channel_id=DM,
        message={"type": "message", "ts": ts, "text": "", "blocks": []},
        actions=[action],
    )
    status, _, _ = await slack.post(interaction_body(payload), FORM)
    assert status == 200


async def test_a_short_exam_runs_in_the_dm_with_flags_jumps_review_and_the_paged_report(
    fake: FakeSlack, slack: SlackSender
) -> None:
    await slack.command("exam short seed:2")
    (pointer,) = [c.json for c in await fake.wait_for("response_url")]
    assert pointer is not None and pointer["text"].startswith("Your exam is in your direct messages with me")
    assert fake.calls_to("conversations.open")[0].args["users"] == ALICE
    (post,) = await fake.wait_for("chat.postMessage")
    assert post.args["channel"] == DM
    _, message = exam_message(fake)
    assert header_of(message) == "Short practice exam · question 1 of 20"
    assert "Time left: *40 min 00 s*" in texts(message)
    assert {"exam:1:p:1", "exam:1:n:1", "exam:1:f:1", "exam:1:r:1", "exam:1:s:1", "exam:1:g:"} <= set(
        action_ids(message)
    )

    first = shown_question(message)
    wrong = "".join(sorted(set(first.letters) - first.keys))[: first.choose]
    await answer(slack, fake, first, wrong)
    message = await updated(fake, 1)
    assert header_of(message) == "Short practice exam · question 2 of 20"
    assert f"Saved {', '.join(wrong.upper())} for question 1." in texts(message)
    await press(slack, fake, "f")
    assert header_of(await updated(fake, 2)) == "Short practice exam · question 2 of 20 · flagged"
    await press(slack, fake, "p")
    assert f"Your answer: {', '.join(wrong.upper())}" in texts(await updated(fake, 3))
    await answer(slack, fake, first, "".join(sorted(first.keys)))  # changed
    await updated(fake, 4)
    await jump(slack, fake, 20)
    message = await updated(fake, 5)
    assert header_of(message) == "Short practice exam · question 20 of 20"
    last = shown_question(message)
    await answer(slack, fake, last, "".join(sorted(last.keys)))
    review = await updated(fake, 6)
    assert header_of(review) == "Short practice exam · review"
    assert "Unanswered: 2-19" in texts(review) and "Flagged: 2" in texts(review)

    await press(slack, fake, "s")
    assert "*Submit now?*" in texts(await updated(fake, 7))
    ts, _ = exam_message(fake)
    await slack.click("exam:1:c:20", "exam:1:c:20", channel=DM, message_ts=ts, block_id="exam", user=BOB)
    refusal = (await fake.wait_for("response_url", 2))[1].json
    assert refusal is not None and refusal["text"] == "This exam belongs to another member; start your own with `exam`."
    await press(slack, fake, "c")
    report = await updated(fake, 8)
    assert header_of(report) == "Short practice exam · report"
    assert "Estimated score " in texts(report) and "pass mark 720: FAIL" in texts(report)
    assert "2 of 20 correct · 2 answered" in texts(report)
    await press(slack, fake, "rp")
    page = await updated(fake, 9)
    assert ":white_check_mark: *Question 1 of 20*" in texts(page)
    for option in first.options:
        assert option.explanation.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")[:60] in texts(page)

    await slack.command("exam history")
    history = (await fake.wait_for("response_url", 3))[2].json
    assert history is not None and history["blocks"][0]["text"]["text"].startswith("Practice exams of ")


async def test_the_deadline_turns_the_dm_message_into_the_report(
    fake: FakeSlack, slack: SlackSender, clock: FixedClock, scheduler: FakeScheduler
) -> None:
    await slack.command("exam short")
    await fake.wait_for("chat.postMessage")
    question = shown_question(exam_message(fake)[1])
    await answer(slack, fake, question, "".join(sorted(question.keys)))
    await updated(fake, 1)
    clock.advance(minutes=40)
    assert await scheduler.run_due(clock.now()) == ["exam:1"]
    report = await updated(fake, 2)
    assert header_of(report) == "Short practice exam · report"
    assert "Time is up: the exam submitted itself." in texts(report)
    assert "1 of 20 correct · 1 answered" in texts(report)
    await press(slack, fake, "rp")
    assert "*Question 1 of 20*" in texts(await updated(fake, 3))
