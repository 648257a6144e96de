"""Storage contract of duels, ratings and group rounds (migration 0006): every state change happens once."""

from __future__ import annotations

from datetime import timedelta

from bot.models import Answer, Tally, Target
from bot.play_store import ASKING, CHALLENGED, DECLINED, ENDED, JOINING, PAUSED, PLAYING, RatingChange
from bot.storage.sqlite import SqliteRepository
from tests.conftest import START

WHERE = Target(platform="console", workspace="ws", channel="study")
A, B, C = "console:a", "console:b", "console:c"


async def test_duels_allow_one_open_duel_per_member_and_move_by_compare_and_set(repo: SqliteRepository) -> None:
    round_id = await repo.create_duel(WHERE, A, B, ["q1", "q2"], 60, START, START + timedelta(minutes=10))
    assert round_id is not None
    assert await repo.create_duel(WHERE, C, B, ["q1"], 60, START, START) is None  # B is busy
    duel = await repo.duel(round_id)
    assert (
        duel is not None and duel.state == CHALLENGED and duel.players == (A, B) and duel.question_ids == ["q1", "q2"]
    )
    assert (await repo.open_duel_of(B)) == duel and await repo.open_duel_ids() == [round_id]
    assert await repo.move_duel(round_id, CHALLENGED, PLAYING, START)
    assert not await repo.move_duel(round_id, CHALLENGED, DECLINED, START)  # the acceptance won
    assert await repo.start_duel_player(round_id, B, START)
    assert not await repo.start_duel_player(round_id, B, START + timedelta(seconds=5))
    playing = await repo.duel(round_id)
    assert playing is not None and playing.opponent_start == START and playing.challenger_start is None
    assert await repo.forfeit_duel(round_id, A) and not await repo.forfeit_duel(round_id, B)


async def test_finishing_a_duel_writes_ratings_and_counts_answers_once(repo: SqliteRepository) -> None:
    round_id = await repo.create_duel(WHERE, A, B, ["q1"], 60, START, START + timedelta(minutes=10))
    assert round_id is not None
    await repo.move_duel(round_id, CHALLENGED, PLAYING, START)
    answer = Answer(
        round_id=round_id,
        question_no=1,
        user_key=A,
        question_id="q1",
        choice="a",
        correct=True,
        points=10,
        answered_at=START,
        elapsed_ms=1000,
    )
    tally = Tally(answer=answer, task="1.1", scopes=[WHERE.channel_key], periods=["all"])
    assert await repo.record_answer(tally, count_now=False)
    assert await repo.leaderboard(WHERE.channel_key, "all", 10) == []  # not counted until the duel ends
    changes = [RatingChange(A, 1220.0, "win"), RatingChange(B, 1180.0, "loss")]
    scope = WHERE.workspace_key
    assert await repo.finish_duel(round_id, START, [tally], scope, A, 1.0, changes)
    assert not await repo.finish_duel(round_id, START, [tally], scope, A, 1.0, changes)
    assert await repo.leaderboard(WHERE.channel_key, "all", 10) == [(A, 10, 1, 1)]
    rows = await repo.rating_rows(scope)
    assert [(r.user_key, r.rating, r.games, r.wins, r.losses) for r in rows] == [
        (A, 1220.0, 1, 1, 0),
        (B, 1180.0, 1, 0, 1),
    ]
    assert await repo.pair_games_since(scope, B, A, START) == 1
    assert await repo.pair_games_since(scope, B, A, START + timedelta(seconds=1)) == 0
    rnd = await repo.get_round(round_id)
    assert rnd is not None and not rnd.is_open and rnd.closes_at is None


async def test_group_rounds_one_per_channel_joins_and_phases_move_once(repo: SqliteRepository) -> None:
    round_id = await repo.create_group_round(WHERE, A, ["q1", "q2"], 30, True, START, START + timedelta(seconds=30))
    assert round_id is not None
    assert await repo.create_group_round(WHERE, B, ["q1"], 30, True, START, START) is None
    assert await repo.join_round(round_id, B, START) and not await repo.join_round(round_id, B, START)
    assert await repo.round_players(round_id) == [A, B]
    deadline = START + timedelta(seconds=60)
    assert await repo.advance_group(round_id, JOINING, 0, ASKING, 1, deadline, asked_at=START)
    assert not await repo.advance_group(round_id, JOINING, 0, ASKING, 1, deadline, asked_at=START)
    assert await repo.advance_group(round_id, ASKING, 1, PAUSED, 1, deadline, quiet=1)
    g = await repo.group_round(round_id)
    assert g is not None and (g.phase, g.current, g.quiet, g.asked_at, g.speed) == (PAUSED, 1, 1, START, True)
    assert await repo.open_group_round(WHERE) == g and await repo.open_group_ids() == [round_id]
    assert await repo.end_group(round_id, START, "done") and not await repo.end_group(round_id, START, "again")
    ended = await repo.group_round(round_id)
    assert ended is not None and ended.phase == ENDED and ended.ended_why == "done"
    assert await repo.open_group_round(WHERE) is None
