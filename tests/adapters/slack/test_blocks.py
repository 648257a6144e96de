"""Block Kit rendering: every card becomes valid blocks (slack_sdk validates on to_dict) within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from adapters.slack import blocks
from bot.cards import (
    Accuracy,
    AnswerResult,
    HelpCard,
    HelpLine,
    LeaderboardCard,
    OptionReveal,
    OptionView,
    Outcome,
    Progress,
    QuestionCard,
    QuizSummary,
    RevealCard,
    ScoreLine,
    SettingsCard,
    StatsCard,
)
from bot.models import RoundKind


def question(**changes: Any) -> QuestionCard:
    card = QuestionCard(
        round_id=12,
        kind=RoundKind.QOTD,
        question_no=1,
        total=1,
        question_id="1.1-app-code-0001",
        domain="1",
        task="1.1",
        task_name="Develop code for applications hosted on AWS",
        stem="Which queue keeps order?",
        options=[OptionView(letter=x, text=f"Option {x.upper()}") for x in "abcd"],
        choose=1,
        answered_count=3,
        closes_at=datetime(2026, 11, 23, 18, 0, tzinfo=UTC),
        timezone="Europe/Berlin",
    )
    return card.model_copy(update=changes)


def reveal(**changes: Any) -> RevealCard:
    card = RevealCard(
        round_id=12,
        kind=RoundKind.QOTD,
        question_no=1,
        question_id="1.1-app-code-0001",
        task="1.1",
        stem="Which queue keeps order?",
        answers=4,
        options=[
            OptionReveal(letter="a", text="Standard", explanation="Best effort only.", correct=False, count=1),
            OptionReveal(letter="b", text="FIFO", explanation="Keeps order per group.", correct=True, count=3),
            OptionReveal(letter="c", text="DLQ", explanation="Not a queue type.", correct=False, count=0),
        ],
    )
    return card.model_copy(update=changes)


def dicts(message: blocks.Message) -> list[dict[str, Any]]:
    """Serialise as the Web API client does (validation runs here), through JSON and back."""
    out: list[dict[str, Any]] = json.loads(json.dumps([b.to_dict() for b in message.blocks]))
    return out


def texts(message: blocks.Message) -> list[str]:
    found = []
    for b in dicts(message):
        if "text" in b:
            found.append(b["text"]["text"])
        found += [e.get("text", "") for e in b.get("elements", []) if isinstance(e.get("text"), str)]
    return found


def test_a_single_answer_card_has_one_labelled_button_per_letter() -> None:
    message = blocks.question_message(question())
    out = dicts(message)
    (actions,) = [b for b in out if b["type"] == "actions"]
    assert [(e["text"]["text"], e["action_id"], e["value"]) for e in actions["elements"]] == [
        (x.upper(), f"quiz:12:1:{x}", f"quiz:12:1:{x}") for x in "abcd"
    ]
    assert next(e["accessibility_label"] for e in actions["elements"]) == "Answer A: Option A"
    assert [b["text"]["text"] for b in out if b["type"] == "section"][1:] == [f"*{x}.* Option {x}" for x in "ABCD"]
    assert (
        message.text
        == "Question of the day: Which queue keeps order?\nA. Option A\nB. Option B\nC. Option C\nD. Option D"
    )
    footer = out[-1]["elements"][0]["text"]
    assert footer == (
        "Pick one answer · answers stay private until the reveal "
        "<!date^1795456800^{date_short_pretty} at {time}|Mon 23 Nov 19:00 CET> · 3 answered so far"
    )
    assert Block.parse_all(out) and [b.to_dict() for b in Block.parse_all(out)] == out  # a lossless round trip


def test_a_choose_two_card_has_checkboxes_and_a_submit_button() -> None:
    out = dicts(blocks.question_message(question(choose=2, options=[OptionView(letter=x, text="t") for x in "abcde"])))
    choices, submit = [b for b in out if b["type"] == "actions"]
    assert choices["block_id"] == "quiz_choices"
    (box,) = choices["elements"]
    assert box["type"] == "checkboxes" and box["action_id"] == "quiz_pick"
    assert [(o["value"], o["text"]["text"]) for o in box["options"]] == [(x, f"{x.upper()}. t") for x in "abcde"]
    (button,) = submit["elements"]
    assert (button["action_id"], button["value"], button["style"]) == ("quiz:12:1:", "quiz:12:1:", "primary")
    assert button["accessibility_label"] == "Submit your two ticked answers"
    assert out[-1]["elements"][0]["text"].startswith("Choose two: tick two boxes, then press Submit · ")


def test_an_answered_or_closed_card_has_no_controls() -> None:
    answered = dicts(blocks.question_message(question(your_choice="b")))
    closed = dicts(blocks.question_message(question(is_open=False)))
    assert not [b for b in answered + closed if b["type"] == "actions"]
    assert answered[-1]["elements"][0]["text"] == (
        "You answered B · answers stay private until the reveal "
        "<!date^1795456800^{date_short_pretty} at {time}|Mon 23 Nov 19:00 CET> · 3 answered so far"
    )
    assert closed[-1]["elements"][0]["text"] == "This question is closed · 3 answered so far"


def test_a_quiz_card_counts_questions_and_hides_the_answer_count() -> None:
    out = dicts(blocks.question_message(question(kind=RoundKind.QUIZ, question_no=2, total=10, closes_at=None)))
    assert out[0]["text"]["text"] == "Quiz · question 2 of 10"
    assert out[-1]["elements"][0]["text"] == "Pick one answer"


def test_text_is_escaped_for_mrkdwn() -> None:
    message = blocks.question_message(question(stem="Is <b> & <@U1> safe?"))
    assert "Is &lt;b&gt; &amp; &lt;@U1&gt; safe?" in texts(message)
    assert "Is <b> & <@U1> safe?" in message.text  # the plain fallback is not mrkdwn-escaped twice


def test_long_texts_are_cut_to_slacks_limits_and_still_serialise() -> None:
    long = "x" * 5000
    card = question(
        stem=long,
        task_name=long,
        options=[OptionView(letter=x, text=long + "&") for x in "abcdef"],
    )
    message = blocks.question_message(card)
    out = dicts(message)
    assert len(out) <= blocks.MAX_BLOCKS
    assert all(len(t) <= blocks.SECTION_LIMIT for t in texts(message))
    assert all(len(e["accessibility_label"]) <= blocks.BUTTON_LIMIT for e in out[-2]["elements"])
    assert len(message.text) <= blocks.TEXT_LIMIT
    revealed = reveal(
        stem=long,
        options=[OptionReveal(letter=x, text=long, explanation=long, correct=x == "a", count=1) for x in "abcdef"],
        answers=6,
    )
    out = dicts(blocks.reveal_message(revealed))
    assert all(len(b["text"]["text"]) <= blocks.SECTION_LIMIT for b in out if b["type"] == "section")
    assert all("\n" in b["text"]["text"] for b in out[2:-2])  # the verdict line survives the cut
    assert out[-1]["elements"][0]["action_id"] == "qreport"  # the Report button is never cut


def test_clip_never_leaves_half_an_entity() -> None:
    assert blocks.clip("abc&amp;def", 6) == "abc…"
    assert blocks.clip("abcdef", 6) == "abcdef"


def test_the_reveal_shows_the_key_the_share_per_option_and_every_explanation() -> None:
    message = blocks.reveal_message(reveal())
    out = dicts(message)
    assert out[0]["text"]["text"] == "Question of the day · answer B"
    assert [b["text"]["text"] for b in out[2:5]] == [
        ":x: *A.* Standard · 25% (1 of 4)\nBest effort only.",
        ":white_check_mark: *B.* FIFO · 75% (3 of 4)\nKeeps order per group.",
        ":x: *C.* DLQ · 0% (0 of 4)\nNot a queue type.",
    ]
    assert out[-2]["elements"][0]["text"] == "4 answers · task 1.1"
    assert message.text == "Question of the day revealed: the answer is B.\nWhich queue keeps order?"
    # No answer controls any more; only the Report button.
    assert [e["action_id"] for b in out if b["type"] == "actions" for e in b["elements"]] == ["qreport"]


def test_feedback_marks_the_key_and_the_members_pick() -> None:
    card = reveal(kind=RoundKind.QUIZ, answers=0)
    result = AnswerResult(
        outcome=Outcome.FEEDBACK, message="Not quite: the answer is B.", choice="a", correct=False, feedback=card
    )
    out = dicts(blocks.feedback_message(result))
    assert out[0]["text"]["text"] == ":x: *Not quite: the answer is B.*"
    assert out[-1]["elements"][0]["value"] == card.question_id  # Report
    assert [b["text"]["text"].split("\n")[0] for b in out[3:-1]] == [
        ":x: *A.* Standard · _your answer_",
        ":white_check_mark: *B.* FIFO",
        ":white_small_square: *C.* DLQ",
    ]
    plain = AnswerResult(outcome=Outcome.RECORDED, message="Recorded.", choice="a")
    assert blocks.feedback_message(plain) == blocks.Message("Recorded.")


def test_summary_stats_leaderboard_help_and_settings_render() -> None:
    domains = [
        Accuracy(id="1", name="Development", answered=4, correct=3),
        Accuracy(id="2", name="Security", answered=0, correct=0),
    ]
    summary = blocks.summary_message(
        QuizSummary(round_id=1, total=5, answered=4, correct=3, seconds=125, by_domain=domains, ended_early=True)
    )
    assert (
        summary.text
        == "Quiz ended early: 3/4 correct (75%) · 5 questions · 2 min 05 s.\n1 Development: 3/4\n2 Security: 0/0"
    )
    assert dicts(summary)[2]["text"]["text"].splitlines() == [
        "*Accuracy by domain*",
        "`████████░░`  75% · *1* Development (4 answered)",
        "`░░░░░░░░░░`    - · *2* Security (0 answered)",
    ]
    stats = blocks.stats_message(StatsCard(user_name="alice", answered=4, correct=3, domains=domains, tasks=domains))
    assert stats.text == "Stats for alice: 4 answered, 3 correct (75%)."
    board = blocks.leaderboard_message(
        LeaderboardCard(title="Top", lines=[ScoreLine(rank=1, name="a<b", points=20, answered=2, correct=2)])
    )
    assert dicts(board)[1]["text"]["text"] == "*1.* a&lt;b · *20* points · 100% of 2 answered"
    helped = blocks.help_message(
        HelpCard(
            lines=[
                HelpLine(usage="quiz [N]", summary="Quiz.", admin=False),
                HelpLine(usage="reveal", summary="Now.", admin=True),
            ]
        )
    )
    assert dicts(helped)[1]["text"]["text"] == "`/quiz [N]` Quiz.\n`/quiz reveal` Now. _(admin)_"
    settings = blocks.settings_message(SettingsCard(timezone="UTC", reveal="18:00"))
    assert settings.text == "Timezone UTC; the question of the day is revealed at 18:00 local time."


def test_a_notice_is_text_only() -> None:
    assert blocks.notice("Hello.").kwargs() == {"text": "Hello."}
    assert blocks.notice("x" * 5000).text.endswith("…")


@pytest.mark.parametrize("rank", [None, ScoreLine(rank=2, name="alice", points=30, answered=4, correct=3)])
def test_the_home_view_fits_and_offers_quiz_buttons(rank: ScoreLine | None) -> None:
    domains = [Accuracy(id=str(i), name=f"Domain {'x' * 80}", answered=i, correct=i // 2) for i in range(1, 5)]
    tasks = [Accuracy(id=f"{i}.1", name="Task", answered=0, correct=0) for i in range(1, 14)]
    view = blocks.home_view(StatsCard(user_name="alice", answered=10, correct=5, domains=domains, tasks=tasks), rank)
    out = view.to_dict()
    assert out["type"] == "home" and len(out["blocks"]) <= blocks.MAX_VIEW_BLOCKS
    buttons = out["blocks"][2]["elements"]
    assert all(len(b["text"]["text"]) <= blocks.BUTTON_LIMIT for b in buttons)
    assert [b["value"] for b in buttons[:4]] == ["quiz quick", "quiz 10", "review", "quiz 10 domain:1"]
    standing = out["blocks"][1]["text"]["text"]
    assert ("Rank *#2* in this workspace with *30* points." in standing) == (rank is not None)


def test_the_home_view_shows_the_streak() -> None:
    progress = Progress(readiness=640, pass_mark=720, confident=False, min_answers=30, domains=[], trend=[],
                        streak=4, best_streak=9)
    card = StatsCard(user_name="bo", answered=3, correct=2, domains=[], tasks=[], progress=progress)
    standing = blocks.home_view(card, None).to_dict()["blocks"][1]["text"]["text"]
    assert "Streak: *4* day(s) in a row (best 9)." in standing


def test_a_long_help_is_split_into_sections_without_losing_a_command() -> None:
    lines = [HelpLine(usage=f"cmd{i} {'x' * 200}", summary="Does a thing.", admin=False) for i in range(40)]
    out = dicts(blocks.help_message(HelpCard(lines=lines)))
    sections = [b["text"]["text"] for b in out if b["type"] == "section"]
    assert len(sections) > 1 and all(len(t) <= blocks.SECTION_LIMIT for t in sections)
    assert "\n".join(sections).count("`/quiz cmd") == 40 and "…" not in "".join(sections)
