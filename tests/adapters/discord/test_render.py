"""render.py turns cards into real discord.py embeds and views that respect Discord's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord import components, render
from bot import component_ids
from bot.cards import (
    Accuracy,
    AnswerResult,
    HelpCard,
    HelpLine,
    LeaderboardCard,
    OptionReveal,
    OptionView,
    Outcome,
    QuestionCard,
    QuizSummary,
    RevealCard,
    ScoreLine,
    SettingsCard,
    StatsCard,
)
from bot.models import RoundKind

CLOSES = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def question_card(**changes: Any) -> QuestionCard:
    values: dict[str, Any] = {
        "round_id": 7,
        "kind": RoundKind.QOTD,
        "question_no": 1,
        "total": 1,
        "question_id": "1.1-app-code-0001",
        "domain": "1",
        "task": "1.1",
        "task_name": "Develop code for applications hosted on AWS",
        "stem": "Which queue type keeps strict order?",
        "options": [
            OptionView(letter="a", text="Standard queue"),
            OptionView(letter="b", text="FIFO queue"),
            OptionView(letter="c", text="Dead-letter queue"),
            OptionView(letter="d", text="Delay queue"),
        ],
        "choose": 1,
        "answered_count": 3,
        "closes_at": CLOSES,
        "timezone": "UTC",
    }
    values.update(changes)
    return QuestionCard(**values)


def reveal_card(**changes: Any) -> RevealCard:
    values: dict[str, Any] = {
        "round_id": 7,
        "kind": RoundKind.QOTD,
        "question_no": 1,
        "question_id": "1.1-app-code-0001",
        "task": "1.1",
        "stem": "Which queue type keeps strict order?",
        "answers": 4,
        "options": [
            OptionReveal(
                letter="a", text="Standard queue", explanation="Best-effort ordering only.", correct=False, count=1
            ),
            OptionReveal(letter="b", text="FIFO queue", explanation="Order within a group.", correct=True, count=2),
            OptionReveal(letter="c", text="Dead-letter queue", explanation="Stores failures.", correct=False, count=1),
            OptionReveal(letter="d", text="Delay queue", explanation="Postpones delivery.", correct=False, count=0),
        ],
    }
    values.update(changes)
    return RevealCard(**values)


def assert_within_limits(embed: discord.Embed) -> None:
    assert len(embed) <= render.TOTAL_LIMIT
    assert len(embed.title or "") <= render.TITLE_LIMIT
    assert len(embed.description or "") <= render.DESCRIPTION_LIMIT
    assert len(embed.fields) <= render.FIELD_LIMIT
    for f in embed.fields:
        assert 0 < len(f.name or "") <= render.FIELD_NAME_LIMIT
        assert 0 < len(f.value or "") <= render.FIELD_VALUE_LIMIT
    assert len(embed.footer.text or "") <= render.FOOTER_LIMIT


async def test_question_card_has_option_texts_in_the_embed_and_one_button_per_letter() -> None:
    message = render.question(question_card())
    embed = message.embeds[0]
    assert embed.title == "Question of the day"
    assert embed.description == (
        "Which queue type keeps strict order?\n\n"
        "**A** · Standard queue\n**B** · FIFO queue\n**C** · Dead-letter queue\n**D** · Delay queue\n\n"
        f"Answer privately below; the answer is revealed at 18:00 UTC (<t:{int(CLOSES.timestamp())}:R>)."
    )
    assert embed.footer.text == "3 answered · Task 1.1 Develop code for applications hosted on AWS · 1.1-app-code-0001"
    assert message.view is not None
    assert message.view.timeout is None
    assert [type(item) for item in message.view.children] == [components.AnswerControl] * 4
    assert message.view.to_components() == [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 1, "disabled": False, "label": letter.upper(), "custom_id": f"quiz:7:1:{letter}"}
                for letter in "abcd"
            ],
        }
    ]
    message.view.stop()


async def test_choose_n_question_gets_a_menu_with_exactly_n_letters() -> None:
    card = question_card(
        choose=2,
        options=[OptionView(letter=x, text=f"Option {x}") for x in "abcde"],
        stem="Which two build a fan-out? (Choose two.)",
    )
    message = render.question(card)
    assert message.view is not None
    (menu,) = message.view.children
    assert isinstance(menu, components.AnswerControl)
    assert isinstance(menu.item, discord.ui.Select)
    assert menu.custom_id == "quiz:7:1:"
    assert component_ids.decode(menu.custom_id) == component_ids.AnswerId(7, 1, "")
    assert (menu.item.min_values, menu.item.max_values) == (2, 2)
    assert [(o.label, o.value) for o in menu.item.options] == [(x.upper(), x) for x in "abcde"]
    assert "Choose two: pick 2 letters in the menu." in (message.embeds[0].description or "")
    message.view.stop()


async def test_quiz_question_has_a_stop_button_and_no_answer_count() -> None:
    card = question_card(kind=RoundKind.QUIZ, question_no=2, total=5, closes_at=None, answered_count=1)
    message = render.question(card)
    embed = message.embeds[0]
    assert embed.title == "Quiz · question 2 of 5"
    assert embed.footer.text == "Task 1.1 Develop code for applications hosted on AWS · 1.1-app-code-0001"
    assert "revealed" not in (embed.description or "")
    assert message.view is not None
    stop = message.view.children[-1]
    assert isinstance(stop, components.StopControl)
    assert stop.custom_id == "quizstop:7"
    rows = message.view.to_components()
    assert [c["custom_id"] for c in rows[-1]["components"]] == ["quizstop:7"]
    message.view.stop()


async def test_answered_or_closed_question_has_no_controls() -> None:
    assert render.question(question_card(your_choice="b")).view is None
    assert render.question(question_card(is_open=False)).view is None
    message = render.answered(question_card(your_choice="ac"))
    assert message.content == "You answered A, C; 3 answered so far. The answer is revealed at 18:00 UTC."
    assert message.view is None
    closed = render.answered(question_card(is_open=False))
    assert closed.content == "This question is closed; 3 answered so far."


def test_reveal_time_is_shown_in_the_channel_timezone() -> None:
    card = question_card(closes_at=datetime(2026, 11, 23, 17, 0, tzinfo=UTC), timezone="Europe/Berlin")
    assert render.reveal_time(card) == "18:00 CET"
    assert render.reveal_time(question_card(closes_at=None)) == "when it closes"


def test_reveal_shows_key_share_and_every_explanation_without_controls() -> None:
    message = render.reveal(reveal_card())
    embed = message.embeds[0]
    assert message.view is not None  # no answer controls; only the Report button
    assert [c["custom_id"] for row in message.view.to_components() for c in row["components"]] == [
        f"qreport:{reveal_card().question_id}"
    ]
    assert embed.title == "Question of the day · revealed"
    assert embed.description == "Which queue type keeps strict order?\n\n**Answer: B** · 4 answers"
    assert [(f.name, f.value) for f in embed.fields] == [
        ("❌ A · 25% (1)", "Standard queue\n> Best-effort ordering only."),
        ("✅ B · 50% (2)", "FIFO queue\n> Order within a group."),
        ("❌ C · 25% (1)", "Dead-letter queue\n> Stores failures."),
        ("❌ D · 0% (0)", "Delay queue\n> Postpones delivery."),
    ]
    assert embed.colour == render.REVEAL_COLOR


def test_reveal_without_answers_shows_no_shares() -> None:
    options = [o.model_copy(update={"count": 0}) for o in reveal_card().options]
    embed = render.reveal(reveal_card(answers=0, options=options)).embeds[0]
    assert embed.description is not None and embed.description.endswith("**Answer: B** · 0 answers")
    assert [f.name for f in embed.fields] == ["❌ A", "✅ B", "❌ C", "❌ D"]


def test_huge_reveal_is_cut_to_discords_limits_keeping_every_option() -> None:
    options = [
        OptionReveal(letter=x, text="word " * 400, explanation="because " * 500, correct=x == "b", count=1)
        for x in "abcdef"
    ]
    embed = render.reveal(reveal_card(stem="stem " * 2000, options=options, answers=6)).embeds[0]
    assert_within_limits(embed)
    assert len(embed.fields) == 6
    assert all((f.value or "").endswith(render.ELLIPSIS) for f in embed.fields)
    assert (embed.description or "").endswith(render.ELLIPSIS)
    assert len(embed) > render.TOTAL_LIMIT - 100  # cut to fit, not cut to nothing
    discord.Embed.from_dict(embed.to_dict())  # still a valid embed


@settings(max_examples=60, deadline=None)
@given(
    stem=st.text(min_size=1, max_size=7000),
    texts=st.lists(
        st.tuples(st.text(min_size=1, max_size=1500), st.text(min_size=1, max_size=3000)), min_size=2, max_size=6
    ),
)
def test_any_reveal_fits_the_embed_limits(stem: str, texts: list[tuple[str, str]]) -> None:
    options = [
        OptionReveal(letter="abcdef"[i], text=t, explanation=e, correct=i == 0, count=i)
        for i, (t, e) in enumerate(texts)
    ]
    card = reveal_card(stem=stem, options=options, answers=sum(range(len(texts))))
    assert_within_limits(render.reveal(card).embeds[0])
    result = AnswerResult(outcome=Outcome.FEEDBACK, message="Correct!", choice="a", correct=True, feedback=card)
    assert_within_limits(render.feedback(result).embeds[0])


def test_cut_prefers_a_word_boundary_and_marks_the_cut() -> None:
    assert render.cut("short", 10) == "short"
    assert render.cut("word " * 10, 23) == "word word word word…"  # a space close to the limit
    assert render.cut("one two three four five", 12) == "one two thr…"  # none close enough
    assert render.cut("abcdefghijklmnop", 8) == "abcdefg…"
    assert render.cut("abc", 1) == "…"
    assert len(render.cut("x" * 5000, 1024)) == 1024


def test_feedback_marks_the_members_pick_and_the_verdict() -> None:
    wrong = AnswerResult(
        outcome=Outcome.FEEDBACK,
        message="Not quite: the answer is B.",
        choice="a",
        correct=False,
        feedback=reveal_card(kind=RoundKind.QUIZ, answers=0),
    )
    embed = render.feedback(wrong).embeds[0]
    assert embed.title == "❌ Not quite: the answer is B."
    assert embed.colour == render.WRONG_COLOR
    assert [f.name for f in embed.fields] == ["❌ A · your answer", "✅ B", "❌ C", "❌ D"]
    assert embed.fields[1].value == "FIFO queue\n> Order within a group."
    right = wrong.model_copy(update={"message": "Correct!", "choice": "b", "correct": True})
    embed = render.feedback(right).embeds[0]
    assert embed.title == "✅ Correct!"
    assert embed.colour == render.CORRECT_COLOR
    assert embed.fields[1].name == "✅ B · your answer"
    recorded = AnswerResult(outcome=Outcome.RECORDED, message="Recorded your answer B.", choice="b")
    assert render.feedback(recorded).content == "Recorded your answer B."


def test_summary_shows_accuracy_by_domain() -> None:
    card = QuizSummary(
        round_id=3,
        total=5,
        answered=4,
        correct=3,
        seconds=125,
        by_domain=[
            Accuracy(id="1", name="Development with AWS Services", answered=3, correct=3),
            Accuracy(id="2", name="Security", answered=1, correct=0),
        ],
        ended_early=True,
    )
    embed = render.summary(card).embeds[0]
    assert embed.title == "Quiz ended early"
    assert embed.description == "**3/4 correct** (75%) · 5 questions · 2 min 05 s"
    assert [(f.name, f.value, f.inline) for f in embed.fields] == [
        ("1 · Development with AWS Services", "3/3 · 100%", True),
        ("2 · Security", "0/1 · 0%", True),
    ]
    empty = card.model_copy(update={"answered": 0, "correct": 0, "by_domain": [], "ended_early": False})
    embed = render.summary(empty).embeds[0]
    assert embed.title == "Quiz finished"
    assert embed.fields == []


def test_stats_group_task_statements_under_their_domain() -> None:
    card = StatsCard(
        user_name="Bob",
        answered=3,
        correct=2,
        domains=[
            Accuracy(id="1", name="Development with AWS Services", answered=3, correct=2),
            Accuracy(id="2", name="Security", answered=0, correct=0),
        ],
        tasks=[
            Accuracy(id="1.1", name="Develop code for applications hosted on AWS", answered=2, correct=2),
            Accuracy(id="1.2", name="Develop code for AWS Lambda", answered=1, correct=0),
            Accuracy(id="2.1", name="Implement authentication and/or authorization", answered=0, correct=0),
        ],
    )
    embed = render.stats(card).embeds[0]
    assert embed.title == "Stats for Bob"
    assert embed.description == "3 answered, 2 correct (67%)."
    assert [(f.name, f.value) for f in embed.fields] == [
        (
            "1 · Development with AWS Services · 3 answered · 67%",
            "`1.1` Develop code for applications hosted on AWS · 2 answered · 100%\n"
            "`1.2` Develop code for AWS Lambda · 1 answered · 0%",
        ),
        ("2 · Security · 0 answered · -", "`2.1` Implement authentication and/or authorization · 0 answered · -"),
    ]
    assert_within_limits(embed)


def test_leaderboard_lists_ranks_or_says_how_to_get_on_it() -> None:
    empty = render.leaderboard(LeaderboardCard(title="Leaderboard", lines=[])).embeds[0]
    assert empty.description == "No points yet: answer the question of the day (`/qotd`) to get on the board."
    card = LeaderboardCard(
        title="Leaderboard: this channel, all time",
        lines=[
            ScoreLine(rank=1, name="Bob", points=20, answered=2, correct=2),
            ScoreLine(rank=2, name="Alice", points=0, answered=1, correct=0),
        ],
    )
    embed = render.leaderboard(card).embeds[0]
    assert embed.title == "Leaderboard: this channel, all time"
    assert embed.description == "**1.** Bob · 20 pts · 100% · 2 answered\n**2.** Alice · 0 pts · 0% · 1 answered"


def test_help_shows_slash_commands_and_marks_admin_ones() -> None:
    card = HelpCard(
        lines=[
            HelpLine(usage="quiz [N|quick] [domain:D] [task:T] [seed:S]", summary="A solo quiz.", admin=False),
            HelpLine(usage="reveal", summary="Reveal now.", admin=True),
            HelpLine(usage="future", summary="Something new.", admin=False),
        ]
    )
    lines = (render.help_message(card).embeds[0].description or "").splitlines()
    assert lines[:3] == [
        "`/quiz count:<1-65> domain:<domain> task:<task>` · A solo quiz.",
        "`/quizadmin reveal` · Reveal now. (Manage Server)",
        "`/future` · Something new.",
    ]


def test_settings_and_notices_are_plain_sentences() -> None:
    saved = render.settings(SettingsCard(timezone="Europe/Berlin", reveal="19:30", changed=True))
    assert saved.content == "Saved. Timezone Europe/Berlin; the question of the day is revealed at 19:30 local time."
    assert saved.embeds == []
    assert render.notice("x" * 3000).content is not None
    assert len(render.notice("x" * 3000).content or "") == render.CONTENT_LIMIT


async def test_card_renders_whatever_a_command_returns() -> None:
    question = render.card(question_card())
    assert question.view is not None
    question.view.stop()
    assert render.card(question_card(your_choice="b")).content is not None
    assert render.card(reveal_card()).embeds[0].title == "Question of the day · revealed"
    assert render.card(SettingsCard(timezone="UTC", reveal="18:00")).content is not None
