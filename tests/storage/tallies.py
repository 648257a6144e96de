"""Answers as the storage tests write them: a round, a member, a question number and whether it was right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Answer, Tally, Target

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
HERE = Target(platform="console", workspace="console", channel="study")


def tally(round_id: int, user: str, question_no: int = 1, correct: bool = True) -> Tally:
    """One member's answer with the aggregates it counts toward (two scopes, two periods)."""
    answer = Answer(
        round_id=round_id,
        question_no=question_no,
        user_key=user,
        question_id=f"q{question_no}",
        choice="a" if correct else "b",
        correct=correct,
        points=10 if correct else 0,
        answered_at=T0 + timedelta(seconds=question_no),
        elapsed_ms=900,
    )
    return Tally(answer=answer, task="1.1", scopes=["ch", "ws"], periods=["all", "w:2026-W48"])
